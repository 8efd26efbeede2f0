"""How far each sheet of an xlsx reaches, read from its XML before any grid is used (before
any parser runs, or, in the limited child, while calamine parses: `importer._ExtentScan`).

A spreadsheet reader allocates a grid from the first to the farthest cell, so one value at
`XFD1048576` makes a 7 KB file ask for billions of cells. The extent is read by streaming each
sheet's XML in chunks: the `<dimension>` element, every `<row r>` and every `<c r>` (the declared
dimension alone may lie). Files laid out the usual way (`<c r="A1" ...>`, which Excel, LibreOffice,
Google Sheets and openpyxl all write) take a fast scan of a few regular expressions; anything
else (cells without `r`, namespace prefixes, other quoting) takes a slower tag-by-tag scan that
counts rows and cells the way a reader would.
"""

from __future__ import annotations

import functools
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

from .problems import column_letter

CHUNK = 1 << 20
SMALL_PART = 4 << 20  # workbook.xml and its rels are a few KB; refuse to parse a bloated one

_COLON = re.compile(rb":(?:c|row)[\s/>]")  # cheap first look for a prefixed cell or row
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.\-]*:(?:c|row|dimension)[\s/>]")
_DIMENSION = re.compile(
    rb"""<(?:[A-Za-z_][\w.\-]*:)?dimension\s(?:[^>"']|"[^"]*"|'[^']*')*?"""
    rb"""(?<=[\s"'])ref\s*=\s*(?:"([^"]*)"|'([^']*)')"""
)
_TAG = re.compile(rb"""<(?:[A-Za-z_][\w.\-]*:)?(row|c)(?=[\s/>])((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_R_ATTR = re.compile(rb"""(?:^|[\s"'])(?:[A-Za-z_][\w.\-]*:)?r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(r"^\$?([A-Za-z]+)\$?([0-9]+)$")


def column_number(letters: str) -> int:
    """One-based column number of Excel letters (A -> 1, XFD -> 16384)."""
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


@dataclass
class Extent:
    """The farthest row and column a sheet reaches, and a cell at each (as Excel names it)."""

    rows: int = 0
    columns: int = 0
    row_cell: str = ""
    column_cell: str = ""

    def see(self, row: int, column: int) -> None:
        """Take one cell (one-based row and column) into account."""
        if row > self.rows:
            self.rows, self.row_cell = row, f"{column_letter(max(column, 1) - 1)}{row}"
        if column > self.columns:
            self.columns, self.column_cell = column, f"{column_letter(column - 1)}{row}"

    def see_ref(self, ref: str) -> None:
        """Take a cell reference (`B7`, `$B$7`) into account; ignore anything else."""
        match = _REF.match(ref.strip())
        if match:
            self.see(int(match[2]), column_number(match[1]))


def sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip member) for every worksheet, as the workbook's relationships say.

    Members under `xl/worksheets/` that no sheet claims are included too, named by file name.
    """
    names = set(archive.namelist())
    found: list[tuple[str, str]] = []
    try:
        found = _declared_sheets(archive, names)
    except (KeyError, ElementTree.ParseError, ValueError):
        found = []
    claimed = {member for _, member in found}
    for member in sorted(names):
        if (
            member.startswith("xl/worksheets/")
            and member.endswith(".xml")
            and member not in claimed
        ):
            found.append((posixpath.basename(member)[:-4], member))
    return found


def _small_xml(archive: zipfile.ZipFile, member: str) -> ElementTree.Element:
    info = archive.getinfo(member)
    if info.file_size > SMALL_PART:
        raise ValueError(f"{member} is too large")
    return ElementTree.fromstring(archive.read(member))


def _declared_sheets(archive: zipfile.ZipFile, names: set[str]) -> list[tuple[str, str]]:
    workbook = _small_xml(archive, "xl/workbook.xml")
    rels = _small_xml(archive, "xl/_rels/workbook.xml.rels")
    targets = {}
    for rel in rels.iter():
        if rel.tag.rsplit("}", 1)[-1] == "Relationship":
            target = rel.get("Target", "")
            path = target[1:] if target.startswith("/") else posixpath.join("xl", target)
            targets[rel.get("Id", "")] = posixpath.normpath(path)
    sheets = []
    for element in workbook.iter():
        if element.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if k.rsplit("}", 1)[-1] == "id"), "")
        member = targets.get(rid, "")
        if member in names:
            sheets.append((element.get("name", member), member))
    return sheets


def _chunks(archive: zipfile.ZipFile, member: str) -> Iterator[bytes]:
    """The member's bytes in pieces that never split a tag (each ends before a `<`)."""
    carry = b""
    with archive.open(member) as stream:
        while True:
            block = stream.read(CHUNK)
            if not block:
                break
            data = carry + block
            cut = data.rfind(b"<")
            if cut <= 0:
                carry = data if cut == 0 else b""
                if cut < 0:
                    yield data
                continue
            carry = data[cut:]
            yield data[:cut]
    if carry:
        yield carry


def _dimension(chunk: bytes, extent: Extent) -> None:
    if b"dimension" not in chunk:  # a plain search is many times faster than the pattern's
        return
    for match in _DIMENSION.finditer(chunk):
        ref = (match[1] or match[2] or b"").decode("ascii", "replace")
        for corner in ref.split(":"):
            extent.see_ref(corner)


def _above(limit: int) -> bytes:
    """A pattern for decimal numbers (leading zeros allowed) greater than `limit`."""
    digits = str(limit)
    options = [rb"[1-9][0-9]{%d,}" % len(digits)]
    for i, d in enumerate(digits):
        if d != "9":
            tail = len(digits) - i - 1
            options.append(digits[:i].encode() + rb"[%d-9][0-9]{%d}" % (int(d) + 1, tail))
    return rb"0*(?:" + rb"|".join(options) + rb")"


def _letters_above(limit: int) -> bytes:
    """A pattern for column letters past column number `limit`."""
    letters = column_letter(limit - 1)
    options = [rb"[A-Z]{%d,}" % (len(letters) + 1)]
    for i, ch in enumerate(letters):
        if ch != "Z":
            tail = len(letters) - i - 1
            options.append(
                letters[:i].encode() + rb"[%s-Z][A-Z]{%d}" % (chr(ord(ch) + 1).encode(), tail)
            )
    return rb"(?:" + rb"|".join(options) + rb")"


@functools.lru_cache(maxsize=8)
def _beyond(max_rows: int, max_columns: int) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """Patterns that find what the fast scan cannot clear: a cell or row without `r` first, a
    reference out of the usual form, or one past the limits."""
    rows = _above(max_rows)
    cell = re.compile(
        rb'<c(?:(?=[\s/>])(?! r=")| r="(?:(?![A-Z]{1,3}[0-9]{1,7}")|'
        + _letters_above(max_columns)
        + rb"|[A-Z]{1,3}"
        + rows
        + rb'"))'
    )
    row = re.compile(rb'<row(?:(?=[\s/>])(?! r="[0-9]{1,7}")| r="' + rows + rb'")')
    return cell, row


# A cell or row not plainly within A to Z and 99,999 rows in the usual form (`<c r="B7"`).
_SMALL_CELL = re.compile(rb'<c(?=[\s/>])(?! r="[A-Z][0-9]{1,5}")')
_SMALL_ROW = re.compile(rb'<row(?=[\s/>])(?! r="[0-9]{1,5}")')


def _usual(chunk: bytes, max_rows: int, max_columns: int) -> bool:
    """True when every row and cell of the chunk is in the usual form and within the limits."""
    if _COLON.search(chunk) and _PREFIXED.search(chunk):
        return False
    return _plainly_small(chunk, max_rows, max_columns) or _within(chunk, max_rows, max_columns)


def _plainly_small(chunk: bytes, max_rows: int, max_columns: int) -> bool:
    """True when every row and cell is in the usual form and within A to Z and 99,999 rows, and
    the limits reach that far (a search several times cheaper than `_within`'s)."""
    return (
        max_rows >= 99_999
        and max_columns >= 26
        and not _SMALL_CELL.search(chunk)
        and not _SMALL_ROW.search(chunk)
    )


def _within(chunk: bytes, max_rows: int, max_columns: int) -> bool:
    """True when no row or cell is out of the usual form or past the limits."""
    cell, row = _beyond(max_rows, max_columns)
    return not cell.search(chunk) and not row.search(chunk)


class _Counter:
    """Rows and cells counted as a reader counts them: `r` when given, else one after the last."""

    def __init__(self) -> None:
        self.row = 0
        self.column = 0
        self.rows = Extent()  # `<row>` elements, apart from cells: a cell names a place first

    def scan(self, chunk: bytes, extent: Extent) -> None:
        for match in _TAG.finditer(chunk):
            r = _R_ATTR.search(match[2])
            ref = (r[1] or r[2] or b"").decode("ascii", "replace") if r else ""
            if match[1] == b"row":
                self.row = int(ref) if ref.isdigit() else self.row + 1
                self.column = 0
                self.rows.see(self.row, 1)
                continue
            cell = _REF.match(ref.strip())
            if cell:
                self.row, self.column = int(cell[2]), column_number(cell[1])
            else:
                self.row, self.column = max(self.row, 1), self.column + 1
            extent.see(self.row, self.column)


def sheet_extent(archive: zipfile.ZipFile, member: str) -> Extent:
    """How far one sheet reaches: its declared dimension and every row and cell it holds."""
    extent, declared, counter = Extent(), Extent(), _Counter()
    for chunk in _chunks(archive, member):
        _dimension(chunk, declared)
        counter.scan(chunk, extent)
    # Rows and the declared dimension count too, but a cell actually present names the place.
    for other in (counter.rows, declared):
        if other.rows > extent.rows:
            extent.rows, extent.row_cell = other.rows, other.row_cell
        if other.columns > extent.columns:
            extent.columns, extent.column_cell = other.columns, other.column_cell
    return extent


def far_cell(archive: zipfile.ZipFile, member: str, max_rows: int, max_columns: int) -> str | None:
    """The farthest cell of a sheet that reaches past the limits, or None when it stays within.

    Usual files are cleared by a fast scan; anything else is measured tag by tag.
    """
    for chunk in _chunks(archive, member):
        head = chunk.find(b"sheetData")
        declared = Extent()
        _dimension(chunk if head < 0 else chunk[:head], declared)
        if declared.rows > max_rows or declared.columns > max_columns:
            break
        if not _usual(chunk, max_rows, max_columns):
            break
    else:
        return None
    extent = sheet_extent(archive, member)
    if extent.rows > max_rows:
        return extent.row_cell
    if extent.columns > max_columns:
        return extent.column_cell
    return None
