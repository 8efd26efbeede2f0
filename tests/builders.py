"""Small plans and workbooks built by code for the tests."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from socplan.intake.template import write_template
from socplan.periods import Period
from socplan.schema import MS_COLUMNS, REC_COLUMNS, contract_frame

T = pd.Timestamp


def recs(n: int = 2) -> pd.DataFrame:
    """`n` recommendations, one per theme in turn."""
    themes = ["Pursue", "Prevent", "Protect", "Prepare"]
    return contract_frame(
        [
            dict(
                ref=f"R{i}",
                text=f"Recommendation {i}",
                theme=themes[(i - 1) % 4],
                lead="West Mercia Police",
                partners="Community Safety Partnerships; NHS",
            )
            for i in range(1, n + 1)
        ],
        REC_COLUMNS,
    )


def milestone(ref: str, **values: Any) -> dict[str, Any]:
    """One milestone row with sensible defaults."""
    row: dict[str, Any] = {c.key: c.blank for c in MS_COLUMNS}  # every column, blank
    row.update(
        ref=ref,
        recommendation=ref.split(".")[0],
        milestone=f"Milestone {ref}",
        owner="West Mercia Police",
        due=T("2020-03-31"),
        status="On track",
        progress=50.0,
        update="Going well",
    )
    row.update(values)
    return row


def milestones(*rows: dict[str, Any]) -> pd.DataFrame:
    """A milestone frame with the contract's columns and dtypes (dates as datetime64[ns])."""
    return contract_frame(rows, MS_COLUMNS)


def basic_milestones() -> pd.DataFrame:
    """Three milestones across two recommendations."""
    return milestones(
        milestone("R1.1"),
        milestone("R1.2", owner="NHS", due=T("2019-12-31"), status="At risk", progress=20.0),
        milestone(
            "R2.1",
            owner="Public health",
            due=T("2020-06-30"),
            status="Not started",
            progress=0.0,
            update="",
        ),
    )


def template_bytes(period: Period, r: pd.DataFrame, m: pd.DataFrame) -> bytes:
    """The canonical workbook for frames, as bytes."""
    buffer = io.BytesIO()
    write_template(buffer, period, r, m)
    return buffer.getvalue()


def write(path: Path, period: Period, r: pd.DataFrame, m: pd.DataFrame) -> Path:
    """Write the canonical workbook for frames to `path`."""
    path.write_bytes(template_bytes(period, r, m))
    return path


def edit(data: bytes, changes: dict[str, dict[str, Any]]) -> bytes:
    """Change cells of a workbook: {sheet: {cell: value}}; value None empties the cell."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet, cells in changes.items():
        for ref, value in cells.items():
            book[sheet][ref] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    """A workbook from raw rows, sheet by sheet, as a person might lay it out."""
    book = openpyxl.Workbook()
    first = True
    for name, rows in sheets.items():
        ws = book.active if first else book.create_sheet(name)
        assert ws is not None
        ws.title = name
        first = False
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_member(data: bytes, sheet: str) -> str:
    from socplan.intake.extents import sheet_parts

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return dict(sheet_parts(archive))[sheet]


def rewrite_member(data: bytes, member: str, change: Callable[[bytes], bytes]) -> bytes:
    """A copy of a zip (workbook) with one member's bytes passed through `change`."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info.filename, change(content) if info.filename == member else content)
    return out.getvalue()


def stray_cell(data: bytes, sheet: str, cell: str, dimension: str | None = None) -> bytes:
    """A workbook with one value at `cell` of `sheet`, written straight into the sheet's XML
    (openpyxl would correct a lying dimension); `dimension`, when given, replaces the declared one."""
    row = re.sub(r"^[A-Z]+", "", cell)

    def change(xml: bytes) -> bytes:
        extra = f'<row r="{row}"><c r="{cell}" t="inlineStr"><is><t>x</t></is></c></row>'
        xml = xml.replace(b"</sheetData>", extra.encode() + b"</sheetData>")
        if dimension is not None:
            xml = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), xml)
        return xml

    return rewrite_member(data, _sheet_member(data, sheet), change)


def stored_imports(store: Any) -> int:
    """How many imports the database holds, by a plain count that works on every schema
    revision (the store's own reads need the newest)."""
    import sqlalchemy as sa

    with store.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM imports")).scalar() or 0)


# -- OpenDocument: the template written as .ods, and cells changed as a partner would --

ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
ODF_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
ODF_FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"


def ods_template_bytes(period: Period, r: pd.DataFrame, m: pd.DataFrame, **words: Any) -> bytes:
    """The canonical workbook for frames as an OpenDocument spreadsheet."""
    buffer = io.BytesIO()
    write_template(buffer, period, r, m, fmt="ods", **words)
    return buffer.getvalue()


def _t(name: str) -> str:
    return f"{{{ODF_TABLE}}}{name}"


def _split(parent: Any, element: Any, attribute: str, at: int) -> Any:
    """Split a repeated row or cell so that repeat `at` (0-based) stands alone; returns it."""
    import copy

    count = int(element.get(attribute, "1"))
    if count == 1:
        return element
    index = list(parent).index(element)
    pieces = []
    for size in (at, 1, count - at - 1):
        if size:
            piece = copy.deepcopy(element)
            if size > 1:
                piece.set(attribute, str(size))
            else:
                piece.attrib.pop(attribute, None)
            pieces.append((size, piece))
    parent.remove(element)
    for offset, (_, piece) in enumerate(pieces):
        parent.insert(index + offset, piece)
    return pieces[1 if at else 0][1]


def _ods_cell(table: Any, ref: str) -> Any:
    """The cell element at `ref` of a table, splitting repeats (and adding rows) as needed."""
    from socplan.intake.extents import column_number

    letters = re.match(r"[A-Z]+", ref)
    assert letters
    row_no, col_no = int(ref[letters.end() :]), column_number(letters[0])
    parents = {child: parent for parent in table.iter() for child in parent}
    rows = [(parents[r], r) for r in table.iter(_t("table-row"))]  # in document order
    seen = 0
    for parent, row in rows:
        count = int(row.get(_t("number-rows-repeated"), "1"))
        if seen + count >= row_no:
            row = _split(parent, row, _t("number-rows-repeated"), row_no - seen - 1)
            break
        seen += count
    else:
        from xml.etree import ElementTree as ET

        parent = rows[-1][0]
        if row_no - seen > 1:  # one repeated empty row for the gap, as LibreOffice writes it
            gap = ET.SubElement(parent, _t("table-row"))
            gap.set(_t("number-rows-repeated"), str(row_no - seen - 1))
            ET.SubElement(gap, _t("table-cell"))
        row = ET.SubElement(parent, _t("table-row"))
    cells = [c for c in row if c.tag in (_t("table-cell"), _t("covered-table-cell"))]
    seen = 0
    for cell in cells:
        count = int(cell.get(_t("number-columns-repeated"), "1"))
        if seen + count >= col_no:
            return _split(row, cell, _t("number-columns-repeated"), col_no - seen - 1)
        seen += count
    from xml.etree import ElementTree as ET

    if col_no - seen > 1:
        gap = ET.SubElement(row, _t("table-cell"))
        gap.set(_t("number-columns-repeated"), str(col_no - seen - 1))
    return ET.SubElement(row, _t("table-cell"))


def _set_value(cell: Any, value: Any) -> None:
    from datetime import date
    from xml.etree import ElementTree as ET

    for key in list(cell.attrib):
        if key.startswith(f"{{{ODF_OFFICE}}}") or key == _t("formula"):
            del cell.attrib[key]
    for child in list(cell):
        cell.remove(child)
    if value is None:
        return
    office = f"{{{ODF_OFFICE}}}"
    if isinstance(value, date):
        cell.set(office + "value-type", "date")
        cell.set(office + "date-value", value.isoformat()[:10])
    elif isinstance(value, int | float):
        cell.set(office + "value-type", "float")
        cell.set(office + "value", repr(float(value)))
    else:
        cell.set(office + "value-type", "string")
    ET.SubElement(cell, f"{{{ODF_TEXT}}}p").text = str(value)


def ods_edit(
    data: bytes,
    changes: dict[str, dict[str, Any]] | None = None,
    fills: dict[str, dict[str, str]] | None = None,
) -> bytes:
    """Change cells of an OpenDocument spreadsheet as LibreOffice would: {sheet: {cell: value}}
    (None empties the cell); `fills` gives cells a background colour: {sheet: {cell: "#ff0000"}}."""
    from xml.etree import ElementTree as ET

    from socplan.opendocument import NS

    for prefix, uri in NS.items():
        ET.register_namespace(prefix, uri)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = ET.fromstring(archive.read("content.xml"))
    tables = {t.get(_t("name")): t for t in root.iter(_t("table"))}
    for sheet, cells in (changes or {}).items():
        for ref, value in cells.items():
            _set_value(_ods_cell(tables[sheet], ref), value)
    styles = root.find(f"{{{ODF_OFFICE}}}automatic-styles")
    assert styles is not None
    for sheet, cells in (fills or {}).items():
        for ref, colour in cells.items():
            name = f"fill{colour.lstrip('#')}"
            if not any(s.get(f"{{{ODF_STYLE}}}name") == name for s in styles):
                style = ET.SubElement(
                    styles,
                    f"{{{ODF_STYLE}}}style",
                    {f"{{{ODF_STYLE}}}name": name, f"{{{ODF_STYLE}}}family": "table-cell"},
                )
                ET.SubElement(
                    style,
                    f"{{{ODF_STYLE}}}table-cell-properties",
                    {f"{{{ODF_FO}}}background-color": colour},
                )
            _ods_cell(tables[sheet], ref).set(_t("style-name"), name)
    content = ET.tostring(root, xml_declaration=True, encoding="UTF-8")
    return rewrite_member(data, "content.xml", lambda _: content)


def ods_stray_rows(data: bytes, sheet: str, rows: str) -> bytes:
    """An OpenDocument spreadsheet with raw `table:table-row` XML added at the end of `sheet`."""

    def change(xml: bytes) -> bytes:
        at = xml.index(f'table:name="{sheet}"'.encode())
        end = xml.index(b"</table:table>", at)
        return xml[:end] + rows.encode() + xml[end:]

    return rewrite_member(data, "content.xml", change)
