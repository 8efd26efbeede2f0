"""Zip containers (OOXML, OpenDocument) looked at without trusting them: format-neutral checks.

Used by intake's workbook checks and by the evidence checks. Nothing here phrases a message for
a person: each check returns what it found (a member's name, a size, a ratio) and the caller
says what that means for its kind of file. Nothing is inflated past a cap: the sizes come from
the central directory, and a member is read in chunks against a running budget.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
CHUNK = 1 << 20

# The errors a damaged or crafted zip can raise while it is opened or read.
ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError)

# Parts that hold or run code: VBA projects, Excel 4 macro sheets, ActiveX controls, OLE objects
# (`*/embeddings/*.bin`) and custom ribbons that call macros.
CODE_PART = re.compile(
    r"vbaproject[^/]*\.bin$|vbadata\.xml$|(^|/)(macrosheets|activex|customui)/"
    r"|(^|/)embeddings/[^/]*\.bin$|(^|/)[^/]*oleobject[^/]*\.bin$|macroenabled"
)
# Content types that declare macros, ActiveX or OLE objects in `[Content_Types].xml`.
MACRO_TYPES = (
    b"macroenabled",
    b"vbaproject",
    b"activex",
    b"macrosheet",
    b"oleobject",
)


def open_zip(data: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The archive and its central directory; raises one of ZIP_ERRORS if it is damaged."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    return archive, archive.infolist()


def encrypted_member(infos: Iterable[zipfile.ZipInfo]) -> str | None:
    """The first member stored with zip encryption, or None."""
    return next((info.filename for info in infos if info.flag_bits & 0x1), None)


@dataclass(frozen=True)
class Expansion:
    """How far a zip says it expands, from its central directory alone."""

    total: int  # uncompressed bytes of all members
    ratio: float  # total over compressed bytes


def expansion(infos: Iterable[zipfile.ZipInfo]) -> Expansion:
    """Declared total size and compression ratio; nothing is inflated."""
    infos = list(infos)
    total = sum(info.file_size for info in infos)
    compressed = sum(info.compress_size for info in infos) or 1
    return Expansion(total, total / compressed)


def expanding_member(
    infos: Iterable[zipfile.ZipInfo], max_ratio: float, *, over: int = 1_000_000
) -> zipfile.ZipInfo | None:
    """The first member over `over` bytes that expands more than `max_ratio` times, or None."""
    return next(
        (
            info
            for info in infos
            if info.file_size > over and info.file_size / max(info.compress_size, 1) > max_ratio
        ),
        None,
    )


def code_part(names: Iterable[str], extra: re.Pattern[str] | None = None) -> str | None:
    """The first member (in name order) that holds or runs code, by its name, or None."""
    for name in sorted(names):
        lower = name.lower()
        if CODE_PART.search(lower) or (extra is not None and extra.search(lower)):
            return name
    return None


class Budget:
    """A running total of inflated bytes; `take` raises OverBudget past the cap."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.used = 0

    def take(self, size: int) -> None:
        """Count `size` more bytes."""
        self.used += size
        if self.used > self.cap:
            raise OverBudget(self.used)


class OverBudget(Exception):
    """More bytes were inflated than the budget allows."""


def stream_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget | None = None
) -> Iterator[bytes]:
    """A member's bytes in chunks, never past its declared size, each chunk counted in `budget`."""
    left = info.file_size
    with archive.open(info) as stream:
        while left > 0:
            block = stream.read(min(CHUNK, left))
            if not block:
                break
            left -= len(block)
            if budget is not None:
                budget.take(len(block))
            yield block


def first_needle(chunks: Iterable[bytes], needles: Iterable[bytes]) -> bytes | None:
    """The first of `needles` (lower case) found in the chunks, case-insensitively, or None.

    Needles that straddle two chunks are found: the end of each chunk is kept for the next.
    """
    needles = tuple(needles)
    keep = max(map(len, needles)) - 1
    tail = b""
    for block in chunks:
        text = tail + block.lower()
        for needle in needles:
            if needle in text:
                return needle
        tail = text[-keep:] if keep else b""
    return None


def declared_macros(archive: zipfile.ZipFile) -> str:
    """The first macro or ActiveX content type `[Content_Types].xml` declares, or "".

    The whole part is read in chunks (padding cannot push a declaration out of sight), never
    past its declared size, which the caller's size checks have already capped.
    """
    info = next(
        (i for i in archive.infolist() if i.filename.lower() == "[content_types].xml"), None
    )
    if info is None:
        return ""
    found = first_needle(stream_member(archive, info), MACRO_TYPES)
    return found.decode() if found else ""
