"""OpenDocument spreadsheets (.ods) written from plain rows, with no dependency beyond the
standard library.

What the xlsx writers use from openpyxl, as far as ODF allows: column widths, bold and filled
header cells, dates shown day first, frozen header rows, hidden sheets, dropdown lists (ODF
content validations) and a filter on the header row. No cell is ever written as a formula: ODF
makes a cell a formula only through `table:formula`, which is never written, so text that starts
with `=` stays text (see `socplan.cells` for the exports' apostrophe).
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, NamedTuple
from xml.sax.saxutils import escape, quoteattr

MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
    "of": "urn:oasis:names:tc:opendocument:xmlns:of:1.2",
    "config": "urn:oasis:names:tc:opendocument:xmlns:config:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}
_XMLNS = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items() if k != "manifest")

# Characters XML 1.0 cannot hold (a worksheet cannot either): dropped, as `cells.put` drops them.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Cell styles a writer may name (`Styled(value, "header")`); dates take `date` by themselves.
STYLES: dict[str, tuple[str, str]] = {
    # name: (table-cell-properties attributes, text-properties attributes)
    "header": (
        'fo:background-color="#1d3557" fo:wrap-option="wrap" style:vertical-align="middle"',
        'fo:color="#ffffff" fo:font-weight="bold"',
    ),
    "bold": ("", 'fo:font-weight="bold"'),
    "title": ("", 'fo:font-weight="bold" fo:font-size="14pt"'),
    "heading": ("", 'fo:font-weight="bold" fo:font-size="13pt"'),
    "italic": ("", 'fo:font-style="italic"'),
    "wrap": ('fo:wrap-option="wrap" style:vertical-align="top"', ""),
    "date": ("", ""),
}


class Styled(NamedTuple):
    """A value with one of STYLES."""

    value: Any
    style: str


@dataclass(frozen=True)
class ListValidation:
    """A dropdown: the cells of one column must hold a value of a range (`Lists.B2:B7`)."""

    title: str
    sheet: str
    column: str  # the list's column letter on `sheet`
    first: int
    last: int
    strict: bool = True  # refuse anything else (else: warn, and keep it)

    @property
    def condition(self) -> str:
        ref = _sheet_ref(self.sheet)
        return (
            f"of:cell-content-is-in-list([${ref}.${self.column}${self.first}"
            f":.${self.column}${self.last}])"
        )


@dataclass
class Sheet:
    """One sheet: rows of values, column widths (Excel characters), and what applies to every
    row after the header: a style per column (e.g. dates) and dropdowns per column, down to
    `styled_rows` rows (so that new entries get them too)."""

    name: str
    rows: list[list[Any]] = field(default_factory=list)
    widths: Sequence[float] = ()
    frozen_rows: int = 0
    hidden: bool = False
    column_styles: dict[int, str] = field(default_factory=dict)
    validations: dict[int, ListValidation] = field(default_factory=dict)
    styled_rows: int = 0
    filter: bool = False


def _sheet_ref(name: str) -> str:
    """A sheet name as ODF addresses write it: quoted unless it is a plain word."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return name
    return "'" + name.replace("'", "''") + "'"


def column_letter(index: int) -> str:
    """Excel's column letters for a zero-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _spaces(text: str) -> str:
    """Escaped text with runs of spaces as ODF writes them (a reader collapses plain runs)."""
    out = []
    for i, part in enumerate(re.split(r"( {2,}|^ )", text)):
        if i % 2 == 0:
            out.append(escape(part))
        elif part == " ":  # a leading space
            out.append("<text:s/>")
        else:
            out.append(
                " " + (f'<text:s text:c="{len(part) - 1}"/>' if len(part) > 2 else "<text:s/>")
            )
    return "".join(out)


def _paragraphs(text: str) -> str:
    return "".join(f"<text:p>{_spaces(line)}</text:p>" for line in text.split("\n"))


def _is_number(value: object) -> bool:
    """Python and numpy numbers (numpy's booleans are taken as booleans before this)."""
    return isinstance(value, int | float) or (
        type(value).__module__ == "numpy" and getattr(value, "dtype", None) is not None
    )


def _cell(value: Any, style: str | None, validation: str | None) -> str:
    """One `table:table-cell`; an empty cell when `value` is None, NaN or NaT."""
    if isinstance(value, Styled):
        value, style = value.value, value.style
    attrs = ""
    if validation:
        attrs += f' table:content-validation-name="{validation}"'
    if value is None or (not isinstance(value, str) and _missing(value)):
        return f"<table:table-cell{_style(style)}{attrs}/>"
    if getattr(value, "dtype", None) is not None and value.dtype.kind == "b":
        value = bool(value)
    if isinstance(value, bool):
        word = "true" if value else "false"
        return (
            f'<table:table-cell{_style(style)}{attrs} office:value-type="boolean" '
            f'office:boolean-value="{word}"><text:p>{word.upper()}</text:p></table:table-cell>'
        )
    if isinstance(value, datetime | date):
        if isinstance(value, datetime) and value.time() == datetime.min.time():
            value = value.date()
        iso = (
            value.isoformat()
            if not isinstance(value, datetime)
            else value.replace(tzinfo=None).isoformat()
        )
        shown = f"{value:%d/%m/%Y}"
        return (
            f'<table:table-cell{_style(style or "date")}{attrs} office:value-type="date" '
            f'office:date-value="{iso}"><text:p>{shown}</text:p></table:table-cell>'
        )
    if _is_number(value):
        number = float(value)
        shown = f"{number:g}" if not number.is_integer() else str(int(number))
        return (
            f'<table:table-cell{_style(style)}{attrs} office:value-type="float" '
            f'office:value="{number!r}"><text:p>{shown}</text:p></table:table-cell>'
        )
    text = _ILLEGAL.sub("", str(value)).replace("\r\n", "\n")
    exact = ""
    if "\t" in text or "\r" in text:  # paragraphs cannot carry these: the value says it exactly
        exact = f" office:string-value={quoteattr(text)}"
    return (
        f'<table:table-cell{_style(style)}{attrs} office:value-type="string"{exact}>'
        f"{_paragraphs(text.replace(chr(13), ''))}</table:table-cell>"
    )


def _missing(value: Any) -> bool:
    if type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):
        return False


def _style(name: str | None) -> str:
    return f' table:style-name="{name}"' if name else ""


def _width(chars: float) -> str:
    return f"{chars * 0.19 + 0.1:.2f}cm"


def _automatic_styles(sheets: Sequence[Sheet]) -> tuple[str, dict[tuple[int, int], str]]:
    """Column, table and cell styles; returns the XML and the column style of each (sheet,
    column)."""
    parts = [
        '<number:date-style style:name="N1"><number:day number:style="long"/>'
        '<number:text>/</number:text><number:month number:style="long"/>'
        '<number:text>/</number:text><number:year number:style="long"/></number:date-style>',
        '<style:style style:name="ta1" style:family="table"><style:table-properties '
        'table:display="true"/></style:style>',
        '<style:style style:name="ta2" style:family="table"><style:table-properties '
        'table:display="false"/></style:style>',
    ]
    widths: dict[str, str] = {}
    columns: dict[tuple[int, int], str] = {}
    for s, sheet in enumerate(sheets):
        for c, chars in enumerate(sheet.widths):
            width = _width(chars)
            if width not in widths:
                widths[width] = f"co{len(widths) + 1}"
                parts.append(
                    f'<style:style style:name="{widths[width]}" style:family="table-column">'
                    f'<style:table-column-properties style:column-width="{width}"/></style:style>'
                )
            columns[(s, c)] = widths[width]
    for name, (cell, text) in STYLES.items():
        data = ' style:data-style-name="N1"' if name == "date" else ""
        parts.append(
            f'<style:style style:name="{name}" style:family="table-cell" '
            f'style:parent-style-name="Default"{data}>'
            + (f"<style:table-cell-properties {cell}/>" if cell else "")
            + (f"<style:text-properties {text}/>" if text else "")
            + "</style:style>"
        )
    return "".join(parts), columns


def _validations(sheets: Sequence[Sheet]) -> tuple[str, dict[tuple[int, int], str]]:
    parts = []
    names: dict[tuple[int, int], str] = {}
    for s, sheet in enumerate(sheets):
        for c, rule in sorted(sheet.validations.items()):
            name = f"val{len(names) + 1}"
            names[(s, c)] = name
            kind = "stop" if rule.strict else "warning"
            error = f"Choose a {rule.title.lower()} from the list" + (
                "" if rule.strict else ", or keep your own"
            )
            parts.append(
                f'<table:content-validation table:name="{name}" '
                f"table:condition={quoteattr(rule.condition)} "
                'table:allow-empty-cell="true" table:display-list="unsorted" '
                f'table:base-cell-address="{_sheet_ref(sheet.name)}.{column_letter(c)}2">'
                f'<table:help-message table:title={quoteattr(rule.title)} table:display="true">'
                f"<text:p>{escape(f'Choose a {rule.title.lower()} from the list')}</text:p>"
                "</table:help-message>"
                f'<table:error-message table:title={quoteattr(rule.title)} table:display="true" '
                f'table:message-type="{kind}"><text:p>{escape(error)}</text:p>'
                "</table:error-message></table:content-validation>"
            )
    if not parts:
        return "", names
    return "<table:content-validations>" + "".join(parts) + "</table:content-validations>", names


def _table(
    s: int, sheet: Sheet, columns: dict[tuple[int, int], str], rules: dict[tuple[int, int], str]
) -> Iterator[str]:
    style = "ta2" if sheet.hidden else "ta1"
    yield f'<table:table table:name={quoteattr(sheet.name)} table:style-name="{style}">'
    for c in range(len(sheet.widths)):
        yield f'<table:table-column table:style-name="{columns[(s, c)]}"/>'
    width = max([len(sheet.widths), *(len(r) for r in sheet.rows)], default=0)
    head = sheet.rows[: sheet.frozen_rows]
    if head:
        yield "<table:table-header-rows>"
        for row in head:
            yield "<table:table-row>" + "".join(_cell(v, None, None) for v in row)
            yield "</table:table-row>"
        yield "</table:table-header-rows>"
    for row in sheet.rows[sheet.frozen_rows :]:
        yield "<table:table-row>"
        for c, value in enumerate(row):
            yield _cell(value, sheet.column_styles.get(c), rules.get((s, c)))
        yield "</table:table-row>"
    if sheet.styled_rows and (sheet.validations or sheet.column_styles):
        empty = "".join(
            _cell(None, sheet.column_styles.get(c), rules.get((s, c))) for c in range(width)
        )
        yield (
            f'<table:table-row table:number-rows-repeated="{sheet.styled_rows}">{empty}'
            "</table:table-row>"
        )
    if not sheet.rows and not sheet.styled_rows:
        yield "<table:table-row><table:table-cell/></table:table-row>"
    yield "</table:table>"


def _filters(sheets: Sequence[Sheet]) -> str:
    ranges = []
    for s, sheet in enumerate(sheets):
        if sheet.filter and sheet.rows:
            ref = _sheet_ref(sheet.name)
            last = column_letter(max(len(sheet.rows[0]), 1) - 1)
            ranges.append(
                f'<table:database-range table:name="__Anonymous_Sheet_DB__{s}" '
                f'table:target-range-address="{ref}.A1:{ref}.{last}{len(sheet.rows)}" '
                'table:display-filter-buttons="true"/>'
            )
    return f"<table:database-ranges>{''.join(ranges)}</table:database-ranges>" if ranges else ""


def content_xml(sheets: Sequence[Sheet]) -> Iterator[str]:
    """content.xml, piece by piece."""
    styles, columns = _automatic_styles(sheets)
    validations, rules = _validations(sheets)
    yield '<?xml version="1.0" encoding="UTF-8"?>'
    yield f'<office:document-content {_XMLNS} office:version="1.3">'
    yield f"<office:automatic-styles>{styles}</office:automatic-styles>"
    yield f"<office:body><office:spreadsheet>{validations}"
    for s, sheet in enumerate(sheets):
        yield from _table(s, sheet, columns, rules)
    yield _filters(sheets)
    yield "</office:spreadsheet></office:body></office:document-content>"


def _styles_xml() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-styles {_XMLNS} office:version="1.3"><office:styles>'
        '<style:default-style style:family="table-cell"><style:text-properties '
        'fo:font-size="11pt"/></style:default-style>'
        '<style:style style:name="Default" style:family="table-cell"/>'
        "</office:styles></office:document-styles>"
    )


def _settings_xml(sheets: Sequence[Sheet]) -> str:
    """View settings: the header rows of each sheet frozen, the first sheet active."""

    def item(name: str, kind: str, value: object) -> str:
        return f'<config:config-item config:name="{name}" config:type="{kind}">{value}</config:config-item>'

    tables = []
    for sheet in sheets:
        if not sheet.frozen_rows:
            continue
        n = sheet.frozen_rows
        tables.append(
            f"<config:config-item-map-entry config:name={quoteattr(sheet.name)}>"
            + item("HorizontalSplitMode", "short", 0)
            + item("VerticalSplitMode", "short", 2)
            + item("HorizontalSplitPosition", "int", 0)
            + item("VerticalSplitPosition", "int", n)
            + item("ActiveSplitRange", "short", 2)
            + item("PositionLeft", "int", 0)
            + item("PositionRight", "int", 0)
            + item("PositionTop", "int", 0)
            + item("PositionBottom", "int", n)
            + "</config:config-item-map-entry>"
        )
    active = escape(sheets[0].name) if sheets else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-settings {_XMLNS} office:version="1.3"><office:settings>'
        '<config:config-item-set config:name="ooo:view-settings">'
        '<config:config-item-map-indexed config:name="Views"><config:config-item-map-entry>'
        + item("ViewId", "string", "view1")
        + '<config:config-item-map-named config:name="Tables">'
        + "".join(tables)
        + "</config:config-item-map-named>"
        + item("ActiveTable", "string", active)
        + "</config:config-item-map-entry></config:config-item-map-indexed>"
        "</config:config-item-set></office:settings></office:document-settings>"
    )


def _meta_xml() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-meta {_XMLNS} office:version="1.3"><office:meta>'
        "<meta:generator>socplan</meta:generator>"
        f"<meta:creation-date>{datetime.now().replace(microsecond=0).isoformat()}"
        "</meta:creation-date></office:meta></office:document-meta>"
    )


def _manifest_xml() -> str:
    entries = [("/", MIMETYPE)] + [
        (name, "text/xml") for name in ("content.xml", "styles.xml", "meta.xml", "settings.xml")
    ]
    lines = "".join(
        f'<manifest:file-entry manifest:full-path="{path}" manifest:media-type="{kind}"'
        + (' manifest:version="1.3"' if path == "/" else "")
        + "/>"
        for path, kind in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<manifest:manifest xmlns:manifest="{NS["manifest"]}" manifest:version="1.3">'
        f"{lines}</manifest:manifest>"
    )


def write_ods(target: str | Path | IO[bytes], sheets: Sequence[Sheet]) -> None:
    """Write `sheets` as an OpenDocument spreadsheet to a path or a binary file object."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        # The mimetype comes first and uncompressed, so the type can be read from the bytes.
        archive.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE, compress_type=zipfile.ZIP_STORED)
        with archive.open("content.xml", "w") as stream:
            buffer: list[str] = []
            size = 0
            for piece in content_xml(sheets):
                buffer.append(piece)
                size += len(piece)
                if size > 1 << 20:
                    stream.write("".join(buffer).encode("utf-8"))
                    buffer, size = [], 0
            stream.write("".join(buffer).encode("utf-8"))
        archive.writestr("styles.xml", _styles_xml())
        archive.writestr("meta.xml", _meta_xml())
        archive.writestr("settings.xml", _settings_xml(sheets))
        archive.writestr("META-INF/manifest.xml", _manifest_xml())
