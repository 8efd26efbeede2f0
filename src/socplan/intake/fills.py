"""A status shown only by a cell's fill colour: the fills of chosen cells, read from an xlsx
(openpyxl, read-only, one column) or an ods (styles.xml and content.xml, streaming, up to the
end of the one table), and the status each fill stands for: the nearest configured colour, when
it is near enough. calamine, which reads the values, reads no styles.

Only cells whose status is empty are looked up, so a workbook that states every status costs
nothing here; by then the hostile-file checks have bounded every sheet.
"""

from __future__ import annotations

import bisect
import colorsys
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import opendocument as odf

RGB = tuple[int, int, int]

# A fill farther than this (straight-line distance in RGB, 0 to 441) from every configured colour
# stands for no status; so does one with less colour in it than MIN_CHROMA (white, greys, black).
MAX_DISTANCE = 100.0
MIN_CHROMA = 64


def parse_colour(text: str) -> RGB | None:
    """`#RRGGBB`, `RRGGBB`, `AARRGGBB` (as Excel writes) or `#RGB` as RGB; None otherwise."""
    value = text.strip().lstrip("#")
    if len(value) == 8:
        value = value[2:]
    elif len(value) == 3:
        value = "".join(ch * 2 for ch in value)
    if len(value) != 6:
        return None
    try:
        number = int(value, 16)
    except ValueError:
        return None
    return (number >> 16) & 255, (number >> 8) & 255, number & 255


def palette(colours: Iterable[tuple[str, str]]) -> list[tuple[RGB, str]]:
    """(colour, status) pairs as RGB; colours that do not parse are left out."""
    out = []
    for colour, status in colours:
        rgb = parse_colour(colour)
        if rgb is not None:
            out.append((rgb, status))
    return out


def nearest_status(rgb: RGB, choices: Sequence[tuple[RGB, str]]) -> str | None:
    """The status of the configured colour nearest `rgb`, or None when none is near enough or
    the fill is white, grey or black."""
    if max(rgb) - min(rgb) < MIN_CHROMA or not choices:
        return None
    distance, status = min(
        (sum((a - b) ** 2 for a, b in zip(rgb, colour, strict=True)) ** 0.5, status)
        for colour, status in choices
    )
    return status if distance <= MAX_DISTANCE else None


def status_fills(
    data: bytes, sheet: str, column: int, rows: Sequence[int], colours: Iterable[tuple[str, str]]
) -> dict[int, str]:
    """The status each cell of `column` (1-based) of `sheet` at `rows` (1-based, as the
    spreadsheet numbers them) shows by its fill colour, for the cells that show one."""
    choices = palette(colours)
    if not rows or not choices:
        return {}
    out = {}
    for row, rgb in cell_fills(data, sheet, column, rows).items():
        status = nearest_status(rgb, choices)
        if status is not None:
            out[row] = status
    return out


def cell_fills(data: bytes, sheet: str, column: int, rows: Sequence[int]) -> dict[int, RGB]:
    """The fill colour of each cell of `column` at `rows` that has one. A file whose styles
    cannot be read gives none (its statuses stay empty and are reported as such)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if odf.is_opendocument(set(archive.namelist())):
                return _ods_fills(archive, sheet, column, sorted(set(rows)))
        return _xlsx_fills(data, sheet, column, sorted(set(rows)))
    except Exception:  # a reader's own errors for odd styles: no colours, never a crash
        return {}


# -- xlsx --

# Theme colour index -> the element of the theme's colour scheme (Excel swaps the first pairs).
_THEME_SLOTS = (
    "lt1",
    "dk1",
    "lt2",
    "dk2",
    "accent1",
    "accent2",
    "accent3",
    "accent4",
    "accent5",
    "accent6",
    "hlink",
    "folHlink",
)
_DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/main"


def _theme_colours(theme: bytes | None) -> list[RGB | None]:
    """The colours of a workbook's theme, in Excel's theme-index order."""
    if not theme:
        return []
    scheme: dict[str, RGB | None] = {}
    slot: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        namespace, _, local = tag.rpartition(odf.SEP)
        if namespace != _DRAWING:
            return
        if local in _THEME_SLOTS and local not in scheme:
            slot[:] = [local]
            scheme[local] = None
        elif slot and local in ("srgbClr", "sysClr"):
            value = attrs.get("val", "") if local == "srgbClr" else attrs.get("lastClr", "")
            scheme[slot[0]] = parse_colour(value)
            slot.clear()

    odf.parser(start).Parse(theme, True)
    return [scheme.get(name) for name in _THEME_SLOTS]


def _tinted(rgb: RGB, tint: float) -> RGB:
    """Excel's tint: lighter towards white (tint > 0) or darker towards black (tint < 0)."""
    if not tint:
        return rgb
    h, light, s = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    light = light * (1 + tint) if tint < 0 else light * (1 - tint) + tint
    r, g, b = colorsys.hls_to_rgb(h, light, s)
    return round(r * 255), round(g * 255), round(b * 255)


def _openpyxl_colour(colour: Any, theme: list[RGB | None]) -> RGB | None:
    from openpyxl.styles.colors import COLOR_INDEX

    if colour is None:
        return None
    kind = getattr(colour, "type", None)
    rgb: RGB | None = None
    if kind == "rgb" and isinstance(colour.rgb, str):
        rgb = parse_colour(colour.rgb)
    elif kind == "indexed" and isinstance(colour.indexed, int) and colour.indexed < 64:
        rgb = parse_colour(COLOR_INDEX[colour.indexed])
    elif kind == "theme" and isinstance(colour.theme, int) and colour.theme < len(theme):
        rgb = theme[colour.theme]
    if rgb is None:
        return None
    return _tinted(rgb, float(getattr(colour, "tint", 0.0) or 0.0))


def _xlsx_fills(data: bytes, sheet: str, column: int, rows: list[int]) -> dict[int, RGB]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        if sheet not in book.sheetnames:
            return {}
        theme = _theme_colours(getattr(book, "loaded_theme", None))
        wanted = set(rows)
        out: dict[int, RGB] = {}
        cells = book[sheet].iter_rows(
            min_row=rows[0], max_row=rows[-1], min_col=column, max_col=column
        )
        for number, row in enumerate(cells, start=rows[0]):
            if number not in wanted or not row:
                continue
            fill = getattr(row[0], "fill", None)
            if getattr(fill, "fill_type", None) != "solid":
                continue
            rgb = _openpyxl_colour(fill.fgColor, theme)  # type: ignore[union-attr]
            if rgb is not None:
                out[number] = rgb
        return out
    finally:
        book.close()


# -- ods --

_STYLE = odf.q(odf.STYLE, "style")
_DEFAULT_STYLE = odf.q(odf.STYLE, "default-style")
_CELL_PROPERTIES = odf.q(odf.STYLE, "table-cell-properties")
_NAME = odf.q(odf.STYLE, "name")
_FAMILY = odf.q(odf.STYLE, "family")
_PARENT = odf.q(odf.STYLE, "parent-style-name")
_BACKGROUND = odf.q(odf.FO, "background-color")
_COLUMN = odf.q(odf.TABLE, "table-column")
_CELL_STYLE = odf.q(odf.TABLE, "style-name")
_DEFAULT_CELL_STYLE = odf.q(odf.TABLE, "default-cell-style-name")
DEFAULT = "Default"  # the style LibreOffice gives a cell that names none


class _Done(Exception):
    """The table has been read: stop parsing."""


@dataclass
class _OdsScan:
    """Cell styles (name -> parent, background) and the style of each wanted cell of one table."""

    sheet: str
    column: int
    rows: list[int]
    styles: dict[str | None, tuple[str | None, str | None]] = field(default_factory=dict)
    found: dict[int, str | None] = field(default_factory=dict)
    style: str | None = ""  # the style being read ("" when none)
    in_table: bool = False
    depth: int = 0
    cell: int = 0
    row: int = 0
    column_at: int = 0
    column_default: str | None = None
    row_default: str | None = None
    row_span: tuple[int, int] = (0, 0)
    row_done: bool = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag in (_STYLE, _DEFAULT_STYLE):
            if attrs.get(_FAMILY) == "table-cell":
                self.style = attrs.get(_NAME) if tag == _STYLE else None
                self.styles[self.style] = (attrs.get(_PARENT), None)
            return
        if tag == _CELL_PROPERTIES and self.style != "":
            parent, _ = self.styles[self.style]
            self.styles[self.style] = (parent, attrs.get(_BACKGROUND))
            return
        if not self.in_table:
            if tag == odf.SHEET and attrs.get(odf.NAME) == self.sheet:
                self.in_table, self.depth = True, 0
            return
        self.depth += 1
        if self.cell:
            self.cell += 1
        elif tag == _COLUMN:
            first = self.column_at + 1
            self.column_at += odf.repeat(attrs, odf.COLUMNS_REPEATED)
            if first <= self.column <= self.column_at:
                self.column_default = attrs.get(_DEFAULT_CELL_STYLE)
        elif tag == odf.ROW:
            first = self.row + 1
            self.row += odf.repeat(attrs, odf.ROWS_REPEATED)
            self.row_span, self.column_at, self.row_done = (first, self.row), 0, False
            self.row_default = attrs.get(_DEFAULT_CELL_STYLE)
            if first > self.rows[-1]:
                raise _Done
        elif tag in odf.CELLS:
            first = self.column_at + 1
            self.column_at += odf.repeat(attrs, odf.COLUMNS_REPEATED)
            self.cell = 1
            if not self.row_done and first <= self.column <= self.column_at:
                self._take(attrs.get(_CELL_STYLE) or self.row_default or self.column_default)

    def _take(self, style: str | None) -> None:
        self.row_done = True
        low = bisect.bisect_left(self.rows, self.row_span[0])
        high = bisect.bisect_right(self.rows, self.row_span[1])
        for number in self.rows[low:high]:
            self.found[number] = style or DEFAULT

    def end(self, tag: str) -> None:
        if tag in (_STYLE, _DEFAULT_STYLE):
            self.style = ""
            return
        if not self.in_table:
            return
        if self.depth == 0:
            raise _Done
        self.depth -= 1
        if self.cell:
            self.cell -= 1
        elif tag == odf.ROW and not self.row_done:  # the row stops before the column
            self._take(self.row_default or self.column_default)

    def colour(self, style: str | None) -> RGB | None:
        """The background a style shows, from itself or its parents, else the default style's
        (a style without a parent takes the family's default)."""
        for _ in range(32):  # a chain of parents is short; a loop in one is a damaged file
            parent, background = self.styles.get(style, (None, None))
            if background is not None:
                return None if background.strip() == "transparent" else parse_colour(background)
            if style is None:
                return None
            style = parent
        return None


def _ods_fills(
    archive: zipfile.ZipFile, sheet: str, column: int, rows: list[int]
) -> dict[int, RGB]:
    scan = _OdsScan(sheet, column, rows)
    names = set(archive.namelist())
    for member in ("styles.xml", "content.xml"):
        if member not in names:
            continue
        try:
            odf.feed(archive, member, odf.parser(scan.start, scan.end))
        except _Done:
            break
    out: dict[int, RGB] = {}
    for number, style in scan.found.items():
        rgb = scan.colour(style)
        if rgb is not None:
            out[number] = rgb
    return out


def colour_table(colours: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """A settings mapping (colour -> status) as the hashable pairs a Vocabulary holds."""
    return tuple((str(colour), str(status)) for colour, status in colours.items())
