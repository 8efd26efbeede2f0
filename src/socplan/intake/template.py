"""Write the contract's workbook: instructions, the two data sheets with dropdowns, About."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import IO, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..cells import put
from ..opendocument import ListValidation, Sheet, Styled, write_ods
from ..periods import Period
from ..schema import (
    ABOUT,
    INSTRUCTIONS,
    LISTS,
    MILESTONES,
    MS_COLUMNS,
    REC_COLUMNS,
    RECOMMENDATIONS,
    STATUSES,
    THEMES,
    Column,
    Kind,
    contract_frame,
)

HEADER_FILL = PatternFill("solid", fgColor="1D3557")
HEADER_FONT = Font(bold=True, color="FFFFFF")
DATE_FORMAT = "DD/MM/YYYY"
DATA_ROWS = 500  # rows that carry dropdowns beyond the data, for new entries
FORMATS = ("xlsx", "ods")  # what the template can be written as

INSTRUCTIONS_TEXT = (
    "How to fill in this workbook",
    "",
    "1. Milestones: for each milestone you own, update Status, Progress, Forecast (only if the "
    "due date will move), Reason (required whenever Forecast differs from Due) and Update.",
    "2. Status: choose from the list. Off track needs the corrective action in Update. "
    "Complete needs the Completed date.",
    "3. Dates: use real dates or type them day first (01/10/2019). 'October 2019' means the end "
    "of that month; '2019/20 Q3' the end of that quarter; TBC if not yet known.",
    "4. Do not change Ref, Recommendation or Due: the baseline due date is fixed when a "
    "milestone is first agreed. Add a new milestone on a new row with a new Ref.",
    "5. Progress is a percentage from 0 to 100.",
    "6. Public: Yes if the item may appear in published reports, No if not.",
    "7. Leave the sheet and column names as they are. Extra columns are ignored.",
    "8. Return only your own rows if you prefer: the policy team can import a partial return.",
)


def _header(ws: Worksheet, columns: tuple[Column, ...]) -> None:
    for i, column in enumerate(columns, start=1):
        cell = put(ws, 1, i, column.name)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}1"


def _value(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return value


def _rows(ws: Worksheet, frame: pd.DataFrame, columns: tuple[Column, ...]) -> None:
    keys = [c.key for c in columns]
    dates = {i for i, c in enumerate(columns, start=1) if c.kind is Kind.DATE}
    wrap = {i for i, c in enumerate(columns, start=1) if c.width >= 40}
    for r, record in enumerate(frame[keys].itertuples(index=False), start=2):
        for i, value in enumerate(record, start=1):
            cell = put(ws, r, i, _value(value))
            if i in dates:
                cell.number_format = DATE_FORMAT
            if i in wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i in dates:
        for r in range(len(frame) + 2, len(frame) + 2 + DATA_ROWS):
            ws.cell(row=r, column=i).number_format = DATE_FORMAT


def _list_validation(
    ws: Worksheet,
    lists: Worksheet,
    col: int,
    name: str,
    values: list[str],
    column: str,
    strict: bool,
) -> None:
    put(lists, 1, col, name).font = Font(bold=True)
    for r, value in enumerate(values, start=2):
        put(lists, r, col, value)  # names from the plan and settings: text, never formulas
    letter = get_column_letter(col)
    source = f"={LISTS}!${letter}$2:${letter}${max(len(values) + 1, 2)}"
    validation = DataValidation(type="list", formula1=source, allow_blank=True)
    validation.errorStyle = "stop" if strict else "warning"
    validation.error = f"Choose a {name.lower()} from the list" + (
        "" if strict else ", or keep your own"
    )
    validation.errorTitle = name
    validation.prompt = f"Choose a {name.lower()} from the list"
    validation.promptTitle = name
    ws.add_data_validation(validation)
    validation.add(f"{column}2:{column}{ws.max_row + DATA_ROWS}")


def _letter(columns: tuple[Column, ...], key: str) -> str:
    return get_column_letter(next(i for i, c in enumerate(columns, start=1) if c.key == key))


def _letters(columns: tuple[Column, ...], kind: Kind) -> list[tuple[Column, str]]:
    """The columns of one kind, with their letters."""
    return [(c, get_column_letter(i)) for i, c in enumerate(columns, start=1) if c.kind is kind]


def template_format(path: str | Path) -> str:
    """The format a file name asks for: `ods` for .ods, else `xlsx`."""
    return "ods" if str(path).lower().endswith(".ods") else "xlsx"


def _about(period: Period) -> list[tuple[str, Any]]:
    return [
        ("Reporting period", period.label),
        ("Period start", period.start),
        ("Period end (as at)", period.end),
        ("Template written", date.today()),
        ("Contract", "socplan workbook v1"),
    ]


def _owners(owners: list[str] | None, ms: pd.DataFrame, recs: pd.DataFrame) -> list[str]:
    return sorted(set(owners or []) | set(ms["owner"].dropna()) | set(recs["lead"].dropna()))


def write_template(
    target: str | Path | IO[bytes],
    period: Period,
    recommendations: pd.DataFrame | None = None,
    milestones: pd.DataFrame | None = None,
    *,
    themes: tuple[str, ...] = THEMES,
    statuses: tuple[str, ...] = STATUSES,
    owners: list[str] | None = None,
    title: str = "Delivery plan",
    note: str = "",
    fmt: str = "xlsx",
) -> None:
    """Write the workbook for `period`, pre-filled with the frames given (blank when None), as
    `fmt` (xlsx or ods)."""
    recs = recommendations if recommendations is not None else contract_frame([], REC_COLUMNS)
    ms = milestones if milestones is not None else contract_frame([], MS_COLUMNS)
    if fmt == "ods":
        owner_list = _owners(owners, ms, recs)
        sheets = _ods_sheets(period, recs, ms, title, note, themes, statuses, owner_list)
        write_ods(target, sheets)
        return
    if fmt != "xlsx":
        raise ValueError(f"cannot write a template as {fmt}; use one of {', '.join(FORMATS)}")
    book = Workbook()
    intro = book.active
    assert intro is not None
    intro.title = INSTRUCTIONS
    intro.column_dimensions["A"].width = 110
    put(intro, 1, 1, f"{title}: return for {period}").font = Font(bold=True, size=14)
    for r, line in enumerate(INSTRUCTIONS_TEXT, start=3):
        cell = put(intro, r, 1, line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if r == 3:
            cell.font = Font(bold=True)
    if note:
        put(intro, len(INSTRUCTIONS_TEXT) + 4, 1, note).font = Font(italic=True)

    rec_ws = book.create_sheet(RECOMMENDATIONS)
    _header(rec_ws, REC_COLUMNS)
    _rows(rec_ws, recs, REC_COLUMNS)
    ms_ws = book.create_sheet(MILESTONES)
    _header(ms_ws, MS_COLUMNS)
    _rows(ms_ws, ms, MS_COLUMNS)

    about = book.create_sheet(ABOUT)
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 40
    for r, (label, value) in enumerate(_about(period), start=1):
        put(about, r, 1, label).font = Font(bold=True)
        cell = put(about, r, 2, value)
        if isinstance(value, date):
            cell.number_format = DATE_FORMAT

    lists = book.create_sheet(LISTS)
    owner_list = _owners(owners, ms, recs)
    _list_validation(rec_ws, lists, 1, "Theme", list(themes), _letter(REC_COLUMNS, "theme"), True)
    for column, letter in _letters(MS_COLUMNS, Kind.STATUS):
        _list_validation(ms_ws, lists, 2, column.name, list(statuses), letter, True)
    _list_validation(ms_ws, lists, 3, "Owner", owner_list, _letter(MS_COLUMNS, "owner"), False)
    # Yes/No columns share one list on the Lists sheet.
    for ws, columns in ((rec_ws, REC_COLUMNS), (ms_ws, MS_COLUMNS)):
        for column, letter in _letters(columns, Kind.FLAG):
            _list_validation(ws, lists, 4, column.name, ["Yes", "No"], letter, True)
    lists.sheet_state = "hidden"
    book.save(target)


def _ods_instructions(title: str, period: Period, note: str) -> list[list[Any]]:
    rows: list[list[Any]] = [[Styled(f"{title}: return for {period}", "title")], []]
    for r, line in enumerate(INSTRUCTIONS_TEXT):
        rows.append([Styled(line, "bold" if r == 0 else "wrap")])
    if note:
        rows += [[], [Styled(note, "italic")]]
    return rows


def _ods_data(
    name: str, frame: pd.DataFrame, columns: tuple[Column, ...], rules: dict[str, ListValidation]
) -> Sheet:
    """A contract sheet: the header (frozen, filtered), the rows, dropdowns on `rules`' columns."""
    keys = [c.key for c in columns]
    rows: list[list[Any]] = [[Styled(c.name, "header") for c in columns]]
    rows += [[_value(v) for v in record] for record in frame[keys].itertuples(index=False)]
    styles = {i: "date" for i, c in enumerate(columns) if c.kind is Kind.DATE}
    styles |= {i: "wrap" for i, c in enumerate(columns) if c.width >= 40}
    return Sheet(
        name,
        rows,
        widths=[c.width for c in columns],
        frozen_rows=1,
        column_styles=styles,
        validations={i: rules[c.key] for i, c in enumerate(columns) if c.key in rules},
        styled_rows=DATA_ROWS,
        filter=True,
    )


def _ods_sheets(
    period: Period,
    recs: pd.DataFrame,
    ms: pd.DataFrame,
    title: str,
    note: str,
    themes: tuple[str, ...],
    statuses: tuple[str, ...],
    owners: list[str],
) -> list[Sheet]:
    """The template's sheets, as the xlsx has them."""
    lists = [("Theme", list(themes)), ("Status", list(statuses)), ("Owner", owners)]
    lists.append(("Public", ["Yes", "No"]))
    height = max(len(values) for _, values in lists) + 1
    grid: list[list[Any]] = [[Styled(name, "bold") for name, _ in lists]]
    grid += [
        [values[r] if r < len(values) else None for _, values in lists] for r in range(height - 1)
    ]

    def rule(i: int, strict: bool = True) -> ListValidation:
        name, values = lists[i]
        letter = get_column_letter(i + 1)
        return ListValidation(name, LISTS, letter, 2, max(len(values) + 1, 2), strict)

    flags = {c.key: rule(3) for c in (*REC_COLUMNS, *MS_COLUMNS) if c.kind is Kind.FLAG}
    status = {c.key: rule(1) for c in MS_COLUMNS if c.kind is Kind.STATUS}
    about = [[Styled(label, "bold"), value] for label, value in _about(period)]
    return [
        Sheet(INSTRUCTIONS, _ods_instructions(title, period, note), widths=[110]),
        _ods_data(RECOMMENDATIONS, recs, REC_COLUMNS, {"theme": rule(0), **flags}),
        _ods_data(MILESTONES, ms, MS_COLUMNS, {**status, "owner": rule(2, False), **flags}),
        Sheet(ABOUT, about, widths=[22, 40]),
        Sheet(LISTS, grid, hidden=True),
    ]


def write_plan_template(
    target: str | Path | IO[bytes],
    plan: Any,
    settings: Any,
    period: Period | None = None,
    *,
    blank: bool = False,
    fmt: str = "xlsx",
) -> tuple[Period, int]:
    """The template a policy officer sends out: for `period` (default: the next return due),
    pre-filled with the plan's recommendations and its milestones as they stand (blank before
    the first import, or when asked), as `fmt` (xlsx or ods). Returns the period and how many
    milestones were pre-filled. The CLI and the dashboard's download both call this."""
    from .uploads import next_due

    chosen = period or next_due(plan)
    words = {
        "themes": settings.themes,
        "statuses": settings.statuses,
        "title": settings.strategy,
        "fmt": fmt,
    }
    if blank or plan.latest is None:
        write_template(target, chosen, **words)
        return chosen, 0
    milestones = plan.milestones(min(chosen, plan.latest))
    write_template(target, chosen, plan.recommendations_at(plan.latest), milestones, **words)
    return chosen, len(milestones)
