"""Evidence files checked before they are stored: by what they contain, not what they are called.

`check_attachment` accepts PDF, Word (.docx), Excel (.xlsx), OpenDocument (.odt, .ods, .odp),
PNG and JPEG, and refuses everything else with one message a policy officer can act on: what
the file is, why that is refused, what to do instead. Nothing is decoded or rendered: images
are measured from their headers, documents are looked at through their zip directory, their
small XML parts (streamed, against a running budget) and, for PDF, their dictionaries.

A name whose extension disagrees with the content is renamed to match the content (the
`note` says so), not refused: the content is what was checked and what will be served, under
the media type of the content; a mismatched extension would only make the download open in the
wrong program, and photos saved as `.jpg` that are really PNG are common and harmless.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from .archives import OLE_MAGIC, ZIP_MAGIC
from .config import Settings
from .evidence_containers import check_container
from .evidence_formats import (
    ACCEPTED,
    KINDS,
    MB,
    AttachmentRefused,
    EvidenceLimits,
    Kind,
    check_jpeg,
    check_pdf,
    check_png,
    foreign_refusal,
    ole_refusal,
)

__all__ = [
    "ACCEPTED",
    "KINDS",
    "Attachment",
    "AttachmentRefused",
    "EvidenceLimits",
    "Kind",
    "check_attachment",
    "clean_name",
    "evidence_max_bytes",
]


@dataclass(frozen=True)
class Attachment:
    """An evidence file that passed the checks, with what it is and a name safe to offer."""

    name: str  # safe to show and to offer as a download name; extension matches the content
    kind: str  # a key of KINDS
    media_type: str
    size: int
    sha256: str
    note: str = ""  # one sentence for the person who attached it, when the name was changed


def evidence_max_bytes(settings: Settings) -> int:
    """The size cap for one evidence file, in bytes, from the settings."""
    return settings.max_evidence_mb * MB


def check_attachment(
    file_name: str, data: bytes, *, max_bytes: int, limits: EvidenceLimits | None = None
) -> Attachment:
    """Check one evidence file by its content; raise AttachmentRefused unless it is accepted.

    Bounded in memory and time whatever `data` holds (its size is checked first).
    """
    if max_bytes < 1:
        raise ValueError("max_bytes must be at least 1")
    limits = limits or EvidenceLimits()
    cleaned = clean_name(file_name)
    who = f"'{cleaned}'" if cleaned else "The file"
    if len(data) > max_bytes:
        raise AttachmentRefused(
            f"{who} is {len(data) / MB:.1f} MB, over the {max_bytes / MB:g} MB limit for "
            "evidence. Attach a smaller copy (for example a PDF saved at a lower quality, or a "
            "photo at a lower resolution), or split it into parts."
        )
    if not data:
        raise AttachmentRefused(
            f"{who} is empty (0 bytes). Attach it again; if it is still empty, open the original "
            "and save a new copy."
        )
    claimed = claimed_kind(cleaned)
    if data.startswith(b"%PDF-"):
        kind = "pdf"
        check_pdf(who, data, limits)
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "png"
        check_png(who, data, limits)
    elif data.startswith(b"\xff\xd8\xff"):
        kind = "jpeg"
        check_jpeg(who, data, limits)
    elif data.startswith(ZIP_MAGIC):
        kind = check_container(who, claimed, data, limits)
    elif data.startswith(OLE_MAGIC):
        raise AttachmentRefused(ole_refusal(who, claimed, data))
    else:
        raise AttachmentRefused(foreign_refusal(who, claimed, data))
    name, note = name_for(cleaned, KINDS[kind])
    return Attachment(
        name=name,
        kind=kind,
        media_type=KINDS[kind].media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        note=note,
    )


# --- names -----------------------------------------------------------------------------------

MAX_NAME_BYTES = 150  # UTF-8 bytes, extension included: far inside every file system's 255
_UNSAFE_CHARACTERS = re.compile(r'[<>:"/\\|?*]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
# Extensions that a name may carry and that are replaced, not kept, when the content disagrees.
_OTHER_EXTENSIONS = (
    "doc docm dot dotx dotm xls xlsm xlsb xlt xltx xltm ppt pptx pptm pps ppsx rtf txt csv htm "
    "html xhtml mht mhtml svg svgz xml gif bmp tif tiff webp heic heif odg odb otp ots ott zip "
    "7z rar gz exe com scr bat cmd ps1 vbs js jar msi lnk sh app dll bin eml msg"
)
_KNOWN_EXTENSIONS = {ext for kind in KINDS.values() for ext in kind.extensions} | {
    f".{ext}" for ext in _OTHER_EXTENSIONS.split(" ")
}


def clean_name(file_name: str) -> str:
    """A name safe to show and to save under: no folders, control or bidi characters, no
    characters Windows refuses, no leading dots, at most MAX_NAME_BYTES; "" if nothing is left."""
    name = re.split(r"[/\\]", file_name[-4096:])[-1]
    name = "".join(" " if c.isspace() else c for c in name)  # tabs, new lines: spaces
    name = unicodedata.normalize("NFC", "".join(c for c in name if not _invisible(c)))
    name = " ".join(_UNSAFE_CHARACTERS.sub("_", name).split())
    name = name.strip(". ")
    if _RESERVED.match(name):
        name = "_" + name
    stem, extension = split_extension(name)
    return _fit(stem, extension)


def _invisible(character: str) -> bool:
    # Controls, format characters (bidi overrides and isolates, zero widths), surrogates,
    # private use and unassigned code points: none belongs in a file name.
    return unicodedata.category(character).startswith("C")


def split_extension(name: str) -> tuple[str, str]:
    """(stem, extension) when the name ends in a known extension, else (name, "")."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem and f".{extension.lower()}" in _KNOWN_EXTENSIONS:
        return stem, f".{extension}"
    return name, ""


def _fit(stem: str, extension: str) -> str:
    stem = stem[:MAX_NAME_BYTES]
    while stem and len((stem + extension).encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(". ")
    return stem + extension if stem else ""


def claimed_kind(name: str) -> Kind | None:
    """The accepted kind a name's extension claims, if any."""
    extension = split_extension(name)[1].lower()
    return next((kind for kind in KINDS.values() if extension in kind.extensions), None)


def name_for(cleaned: str, kind: Kind) -> tuple[str, str]:
    """The name to store under (its extension one of the content's) and a note if it changed."""
    stem, extension = split_extension(cleaned)
    if extension.lower() in kind.extensions:
        return _fit(stem, extension.lower()), ""
    new_extension = kind.extensions[0]
    if stem.lower().endswith(new_extension):  # report.pdf.exe that is a PDF: report.pdf
        stem = stem[: -len(new_extension)]
    name = _fit(stem or "evidence", new_extension) or f"evidence{new_extension}"
    if extension:
        note = (
            f"'{cleaned}' was saved as '{name}': its content is {kind.label}, so it is named "
            "to match."
        )
    else:
        note = f"'{cleaned or 'The file'}' was saved as '{name}' ({kind.label})."
    return name, note
