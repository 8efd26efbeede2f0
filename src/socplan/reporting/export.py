"""Export the plan as at a period: one row per milestone, safe against formula injection."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..cells import FORMULA_STARTS as FORMULA_STARTS  # one definition, shared with the template
from ..cells import neutralise as neutralise
from ..cells import put
from ..schema import MS_COLUMNS, Kind

YES_NO = {"base": "boolean", "format": "Yes|No"}

# The model's measures that exports carry after the contract's columns: heading and CSVW datatype.
MEASURES: dict[str, tuple[str, object]] = {
    "theme": ("Theme", "string"),
    "baseline_due": ("Baseline due", "date"),
    "slip_days": ("Slippage (days)", "integer"),
    "overdue": ("Overdue", YES_NO),
    "updated": ("Update received", YES_NO),
}

# CSVW datatypes of the contract's kinds (text, refs and statuses are strings).
_DATATYPES: dict[Kind, object] = {Kind.DATE: "date", Kind.PERCENT: "number", Kind.FLAG: YES_NO}

EXPORT_COLUMNS: dict[str, str] = {
    **{c.key: c.heading for c in MS_COLUMNS},
    **{key: heading for key, (heading, _) in MEASURES.items()},
}
DATATYPES: dict[str, object] = {
    **{c.key: _DATATYPES.get(c.kind, "string") for c in MS_COLUMNS},
    **{key: datatype for key, (_, datatype) in MEASURES.items()},
}
_DATES = frozenset(k for k, t in DATATYPES.items() if t == "date")
_FLAGS = frozenset(k for k, t in DATATYPES.items() if t == YES_NO)
WIDE = frozenset(c.heading for c in MS_COLUMNS if c.width >= 50)  # long text: wide columns


README_LINES = (
    "One row per milestone as at the period end.",
    "Dates are day/month/year. Text that could run as a formula starts with an apostrophe.",
)


def export_frame(milestones: pd.DataFrame) -> pd.DataFrame:
    """The export's columns and headers, dates as dates, booleans as Yes/No."""
    frame = milestones[[k for k in EXPORT_COLUMNS if k in milestones.columns]].copy()
    for key in frame.columns:
        if key in _DATES:
            frame[key] = frame[key].dt.date
        elif key in _FLAGS:
            frame[key] = frame[key].map({True: "Yes", False: "No"})
    return frame.rename(columns=EXPORT_COLUMNS)


def csv_bytes(frame: pd.DataFrame, *, bom: bool = False) -> bytes:
    """RFC 4180 CSV in UTF-8 (with a BOM for Excel when asked), dates as ISO 8601, no cell a
    formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(c) for c in frame.columns])
    for row in frame.itertuples(index=False):
        writer.writerow(["" if pd.isna(v) else neutralise(v) for v in row])
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def write_csv(frame: pd.DataFrame, target: Path, *, bom: bool = False) -> None:
    """Write `csv_bytes(frame)` to `target`."""
    target.write_bytes(csv_bytes(frame, bom=bom))


def write_xlsx(frame: pd.DataFrame, target: Path, *, title: str, note: str = "") -> None:
    """An XLSX with the data sheet and a README sheet; no cell holds a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    readme = book.active
    assert readme is not None
    readme.title = "README"
    lines = [title, note, "", *README_LINES]
    for r, line in enumerate(lines, start=1):
        put(readme, r, 1, line, guard="apostrophe")
    readme["A1"].font = Font(bold=True, size=13)
    readme.column_dimensions["A"].width = 100
    data = book.create_sheet("Milestones")
    for c, name in enumerate(frame.columns, start=1):
        put(data, 1, c, str(name), guard="apostrophe").font = Font(bold=True)
        data.column_dimensions[get_column_letter(c)].width = 50 if name in WIDE else 14
    for r, row in enumerate(frame.itertuples(index=False), start=2):
        for c, value in enumerate(row, start=1):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            cell = put(data, r, c, value, guard="apostrophe")
            if hasattr(value, "year"):
                cell.number_format = "DD/MM/YYYY"
    data.freeze_panes = "A2"
    book.save(target)


def write_ods(frame: pd.DataFrame, target: Path, *, title: str, note: str = "") -> None:
    """The XLSX export as an OpenDocument spreadsheet: a README sheet and the data sheet, header
    frozen; no cell holds a formula, and formula-like text starts with an apostrophe."""
    from ..opendocument import Sheet, Styled, write_ods

    lines = [title, note, "", *README_LINES]
    readme = Sheet(
        "README",
        [[Styled(neutralise(line), "heading" if r == 0 else "")] for r, line in enumerate(lines)],
        widths=[100],
    )
    header = [Styled(neutralise(str(name)), "bold") for name in frame.columns]
    rows: list[list[Any]] = [header]
    rows += [[neutralise(v) for v in row] for row in frame.itertuples(index=False)]
    data = Sheet(
        "Milestones",
        rows,
        widths=[50 if name in WIDE else 14 for name in frame.columns],
        frozen_rows=1,
    )
    write_ods(target, [readme, data])


def csvw_metadata(
    frame: pd.DataFrame, csv_name: str, *, title: str, publisher: str, description: str = ""
) -> dict[str, object]:
    """A CSV on the Web (W3C CSVW) metadata document describing an exported CSV."""
    by_header = {header: key for key, header in EXPORT_COLUMNS.items()}
    columns = []
    for header in frame.columns:
        key = by_header.get(str(header), str(header).lower().replace(" ", "_"))
        columns.append(
            {
                "name": key,
                "titles": str(header),
                "datatype": DATATYPES.get(key, "string"),
                "required": key == "ref",
            }
        )
    from datetime import date

    return {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "url": csv_name,
        "dc:title": title,
        "dc:description": description
        or "One row per milestone of the delivery plan as at the period end.",
        "dc:publisher": publisher,
        "dc:modified": date.today().isoformat(),
        "dialect": {
            "encoding": "utf-8",
            "header": True,
            "lineTerminators": ["\r\n"],
            "quoteChar": '"',
        },
        "notes": ["Text that a spreadsheet would run as a formula starts with an apostrophe."],
        "tableSchema": {"columns": columns, "primaryKey": "ref"},
    }


def write_csvw(
    frame: pd.DataFrame, csv_path: Path, *, title: str, publisher: str, description: str = ""
) -> Path:
    """Write `<csv>-metadata.json` beside an exported CSV; returns its path."""
    import json

    target = csv_path.with_name(csv_path.name + "-metadata.json")
    document = csvw_metadata(
        frame, csv_path.name, title=title, publisher=publisher, description=description
    )
    target.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return target


@dataclass(frozen=True)
class Export:
    """What an export holds: one row per milestone, its title and a note on what was left out."""

    frame: pd.DataFrame
    title: str
    note: str


def plan_export(
    plan: Any,
    period: Any,
    settings: Any,
    *,
    public: bool = False,
    themes: tuple[str, ...] = (),
    owners: tuple[str, ...] = (),
) -> Export:
    """The export of `plan` as at `period`, narrowed to themes and owners, and for publication
    (public items only, saying how many were left out) when `public`."""
    chosen = plan.filtered(themes, owners)
    frame = export_frame(plan.filtered(themes, owners, public_only=public).milestones(period))
    title = f"{settings.strategy}: delivery plan as at {period.end:%d %B %Y} ({period})"
    if plan.draft_periods(period):
        title = f"DRAFT, not signed off: {title}"
    note = ""
    if public:
        left_out = len(chosen.milestones(period)) - len(frame)
        note = f"Published version: {left_out} milestones not for publication are left out."
    return Export(frame, title, note)
