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
