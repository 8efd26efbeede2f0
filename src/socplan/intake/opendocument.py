"""OpenDocument spreadsheets (.ods) taken in: refused when they are not spreadsheets, are
encrypted or carry macros, and measured before any reader builds their grids.

calamine reads every table of content.xml when it opens the file and a reader then asks for a
grid from A1 to the farthest value, so one value at `XFD1048576` costs billions of cells. How far
each table reaches is read here by stream-parsing content.xml first. Repeats count as a reader
counts them: `table:number-rows-repeated` and `table:number-columns-repeated` move on by their
count, but only a cell that holds something (a value type, a value or a formula) is used, at its
last repeat; LibreOffice's trailing empty rows (`number-rows-repeated="1048553"`) and cells are
not. The parser takes no DOCTYPE, so no entity can expand.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from .extents import CHUNK, SMALL_PART, Extent

SPREADSHEET = "application/vnd.oasis.opendocument.spreadsheet"
MANIFEST = "META-INF/manifest.xml"

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
SCRIPT = "urn:oasis:names:tc:opendocument:xmlns:script:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
XLINK = "http://www.w3.org/1999/xlink"
MANIFEST_NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"

# Expat joins a namespace and a local name with this separator.
SEP = " "


def q(namespace: str, local: str) -> str:
    """An element or attribute name as the parser reports it."""
    return f"{namespace}{SEP}{local}"


ROW = q(TABLE, "table-row")
CELLS = frozenset({q(TABLE, "table-cell"), q(TABLE, "covered-table-cell")})
SHEET = q(TABLE, "table")
ROWS_REPEATED = q(TABLE, "number-rows-repeated")
COLUMNS_REPEATED = q(TABLE, "number-columns-repeated")
NAME = q(TABLE, "name")
# What makes a cell hold something for a reader (calamine reads these, and nothing else).
VALUED = frozenset(
    {
        q(OFFICE, "value-type"),
        q(OFFICE, "value"),
        q(OFFICE, "string-value"),
        q(OFFICE, "date-value"),
        q(OFFICE, "time-value"),
        q(OFFICE, "boolean-value"),
        q(TABLE, "formula"),
    }
)
HREF = q(XLINK, "href")
# Elements that run code when the document is opened or used.
SCRIPTED = frozenset({q(SCRIPT, "event-listener"), q(OFFICE, "script")})
MACRO_LINKS = ("vnd.sun.star.script:", "macro:", "vnd.sun.star.basic:")
# Members and manifest entries of macro libraries, scripts and embedded programs.
MACRO_FOLDERS = ("basic/", "scripts/", "dialogs/")
MACRO_TYPES = ("script", "basic", "oleobject", "java")
MAX_REPEAT = 1 << 24  # far past any limit; a larger count is taken as this


class Refused(Exception):
    """The document is refused; the message says why, without the file's name."""


def is_opendocument(names: set[str]) -> bool:
    """True when a zip's members look like an OpenDocument file rather than an xlsx."""
    lowered = {n.lower() for n in names}
    if "[content_types].xml" in lowered:
        return False
    return "mimetype" in names or ("content.xml" in names and MANIFEST in names)


def parser(
    start: Callable[[str, dict[str, str]], None], end: Callable[[str], None] | None = None
) -> Any:
    """A namespace-aware expat parser that refuses any DOCTYPE (and so any entity)."""
    handle = expat.ParserCreate(namespace_separator=SEP)

    def no_doctype(*_: object) -> None:
        raise Refused("the document declares a DOCTYPE, which a spreadsheet never needs")

    handle.StartDoctypeDeclHandler = no_doctype
    handle.EntityDeclHandler = no_doctype
    handle.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    handle.StartElementHandler = start
    if end is not None:
        handle.EndElementHandler = end
    handle.buffer_text = True
    return handle


def feed(archive: zipfile.ZipFile, member: str, handle: Any) -> None:
    """Stream a member through `handle` in chunks, never past its declared (capped) size."""
    info = archive.getinfo(member)
    left = info.file_size
    with archive.open(info) as stream:
        while left > 0:
            block = stream.read(min(CHUNK, left))
            if not block:
                break
            left -= len(block)
            handle.Parse(block, False)
    handle.Parse(b"", True)


def repeat(attrs: dict[str, str], key: str) -> int:
    """A row's or cell's repeat count (1 when not given); refuses one that is not a number."""
    raw = attrs.get(key)
    if raw is None:
        return 1
    try:
        count = int(raw.strip())
    except ValueError:
        raise Refused(f"'{raw}' is not a repeat count") from None
    return min(max(count, 1), MAX_REPEAT)


@dataclass
class _Scan:
    """How far each table of content.xml reaches, and anything scripted it holds.

    Called for every element of what may be a large file, so the common paths (an element
    inside a cell, a cell, a row) come first and do little.
    """

    extents: dict[str, Extent] = field(default_factory=dict)
    scripted: str = ""
    table: Extent | None = None
    cell: int = 0  # elements open inside the current cell, itself included (0: not in a cell)
    row: int = 0
    column: int = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag in SCRIPTED or HREF in attrs:
            self._look(tag, attrs)
        if self.cell:
            self.cell += 1
        elif tag in CELLS:
            if self.table is None:
                return
            self.column += repeat(attrs, COLUMNS_REPEATED) if COLUMNS_REPEATED in attrs else 1
            self.cell = 1
            if not VALUED.isdisjoint(attrs):  # a repeated row or cell counts by its last repeat
                self.table.see(max(self.row, 1), self.column)
        elif tag == ROW:
            self.row += repeat(attrs, ROWS_REPEATED) if ROWS_REPEATED in attrs else 1
            self.column = 0
        elif tag == SHEET:
            name = attrs.get(NAME, f"Sheet{len(self.extents) + 1}")
            self.table = self.extents.setdefault(name, Extent())
            self.row = 0

    def end(self, tag: str) -> None:
        if self.cell:
            self.cell -= 1
        elif tag == SHEET:
            self.table = None

    def _look(self, tag: str, attrs: dict[str, str]) -> None:
        """Note the first element that runs a script, or link that calls a macro."""
        link = attrs.get(HREF, "").strip()
        if self.scripted:
            return
        if tag in SCRIPTED:
            self.scripted = tag.split(SEP)[-1]
        elif link.lower().startswith(MACRO_LINKS):
            self.scripted = link[:60]


def table_extents(archive: zipfile.ZipFile) -> tuple[dict[str, Extent], str]:
    """Each table's extent (by name) from content.xml, and the first scripted thing found ("")."""
    scan = _Scan()
    feed(archive, "content.xml", parser(scan.start, scan.end))
    return scan.extents, scan.scripted


def _manifest(archive: zipfile.ZipFile) -> Iterator[tuple[str, dict[str, str]]]:
    """Every element of the manifest with its attributes (a small part, parsed whole)."""
    info = archive.getinfo(MANIFEST)
    if info.file_size > SMALL_PART:
        raise Refused("its manifest is too large")
    found: list[tuple[str, dict[str, str]]] = []
    parser(lambda tag, attrs: found.append((tag, attrs))).Parse(archive.read(info), True)
    yield from found


def _mimetype(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "mimetype" not in names:
        return ""
    with archive.open("mimetype") as stream:
        return stream.read(200).decode("ascii", "replace").strip()


@dataclass(frozen=True)
class Verdict:
    """Why a document is refused, as the caller words it: `kind` is one of not-spreadsheet,
    encrypted, macros, damaged or far; `detail` what was found (for far: sheet and cell)."""

    kind: str
    detail: str


def inspect(archive: zipfile.ZipFile, max_rows: int, max_columns: int) -> Verdict | None:
    """Why an OpenDocument file is refused, or None when it is a plain spreadsheet within the
    limits. Reads the mimetype, the manifest and content.xml, streaming."""
    names = set(archive.namelist())
    kind = _mimetype(archive, names)
    if kind != SPREADSHEET:
        return Verdict("not-spreadsheet", kind)
    macro = next((n for n in sorted(names) if n.lower().startswith(MACRO_FOLDERS)), None)
    if macro is not None:
        return Verdict("macros", macro)
    if MANIFEST not in names or "content.xml" not in names:
        return Verdict(
            "damaged", f"it has no {MANIFEST if MANIFEST not in names else 'content.xml'}"
        )
    for tag, attrs in _manifest(archive):
        if tag == q(MANIFEST_NS, "encryption-data"):
            return Verdict("encrypted", "")
        path = attrs.get(q(MANIFEST_NS, "full-path"), "")
        media = attrs.get(q(MANIFEST_NS, "media-type"), "").lower()
        if path.lower().startswith(MACRO_FOLDERS) or any(t in media for t in MACRO_TYPES):
            return Verdict("macros", path or media)
    extents, scripted = table_extents(archive)
    if scripted:
        return Verdict("macros", scripted)
    for sheet, extent in extents.items():
        if extent.rows > max_rows:
            return Verdict("far", f"{sheet}!{extent.row_cell}")
        if extent.columns > max_columns:
            return Verdict("far", f"{sheet}!{extent.column_cell}")
    return None
