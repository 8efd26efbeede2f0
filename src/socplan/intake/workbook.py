"""Read a workbook into clean, checked frames, collecting every problem with its cell.

Reading uses calamine (the engine pandas' `read_excel(engine="calamine")` wraps, called directly
to skip a per-cell conversion pandas would redo); everything after the read is pure.
"""

from __future__ import annotations

import io
import itertools
import threading
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from ..periods import Period, PeriodError
from ..schema import (
    ABOUT,
    MILESTONE_FIELDS,
    MILESTONES,
    MS_COLUMNS,
    OFF_TRACK,
    RAG_HEADERS,
    REC_COLUMNS,
    RECOMMENDATION_FIELDS,
    RECOMMENDATIONS,
    SHEET_SYNONYMS,
    STATUS_COLOURS,
    STATUSES,
    THEMES,
    Column,
    Kind,
)
from . import contacts_sheet, fills
from . import normalise as norm
from .extents import column_number
from .problems import Level, Report, column_letter

HEADER_SCAN_ROWS = 30
PART_ROWS = 2_000  # milestones handed on at a time while a workbook is still being checked
T = TypeVar("T")
RawSheet = list[list[Any]]


@dataclass
class ParsedWorkbook:
    """What a workbook holds once read and checked."""

    recommendations: pd.DataFrame
    milestones: pd.DataFrame
    period: Period | None
    report: Report
    has_recommendations_sheet: bool = True
    extra_columns: dict[str, list[str]] = field(default_factory=dict)
    # The optional Contacts sheet's rows (None: the workbook has no such sheet).
    contacts: tuple[contacts_sheet.ContactRow, ...] | None = None


@dataclass(frozen=True)
class Scope:
    """A partner's return: only these milestones, all owned by `owner`; `fixed` holds, per ref,
    what a partner may not change (recommendation, milestone text, Public, and the agreed due
    date as ISO text, "" when the plan has none): (ref, recommendation, milestone, public, due)."""

    owner: str
    refs: frozenset[str]
    fixed: tuple[tuple[str, str, str, bool, str], ...] = ()


FIXED_WORDS = {
    "recommendation": "recommendation",
    "milestone": "milestone's wording",
    "public": "Public flag",
    "due": "agreed due date",
}


def _check_scope(report: Report, table: _Table, ms: pd.DataFrame, scope: Scope) -> None:
    """Errors for what a partner may not send: other milestones, another owner, or changes to
    what the plan fixes (they are the policy team's to make)."""
    fixed = {
        f[0]: dict(zip(("recommendation", "milestone", "public", "due"), f[1:], strict=True))
        for f in scope.fixed
    }
    for row, ref in ms["ref"].items():
        if ref and ref not in scope.refs:
            report.error(
                table.place("ref", row),
                f"'{ref}' is not one of the milestones asked of {scope.owner}; remove the row "
                "(the policy team adds new milestones)",
            )
    for ref, owner, row in zip(ms["ref"], ms["owner"], ms.index, strict=True):
        if owner and owner != scope.owner and ref in scope.refs:
            report.error(
                table.place("owner", row),
                f"the owner must stay '{scope.owner}'; ask the policy team to move a milestone",
            )
    for position, (row, ref) in enumerate(ms["ref"].items()):
        plan = fixed.get(ref)
        if plan is None:
            continue
        sent = {
            "recommendation": ms["recommendation"].iloc[position],
            "milestone": " ".join(str(ms["milestone"].iloc[position]).split()),
            "public": bool(ms["public"].iloc[position]),
            "due": _iso(ms["due"].iloc[position]),
        }
        expected = {**plan, "milestone": " ".join(str(plan["milestone"]).split())}
        for key, word in FIXED_WORDS.items():
            if key == "due" and not (expected["due"] and sent["due"]):
                continue  # a date the plan lacks may be given; an empty one is an error already
            if sent[key] != expected[key]:
                shown = {True: "Yes", False: "No"}.get(expected[key], expected[key])  # type: ignore[call-overload]
                hint = (
                    "; put a new date in Forecast and say why in Reason"
                    if key == "due"
                    else "; ask the policy team to change it"
                )
                report.error(
                    table.place(key, row),
                    f"the {word} must stay as the plan has it ({str(shown)[:80]}){hint}",
                )


def _iso(value: Any) -> str:
    if value is None or value != value or (isinstance(value, str) and not value):
        return ""
    return pd.Timestamp(value).date().isoformat()


@dataclass(frozen=True)
class Vocabulary:
    """The configured words a workbook is checked against, and the fill colours (colour,
    status) an empty Status cell may show its status by."""

    themes: tuple[str, ...] = THEMES
    statuses: tuple[str, ...] = STATUSES
    colours: tuple[tuple[str, str], ...] = fills.colour_table(STATUS_COLOURS)

    @classmethod
    def from_settings(cls, settings: Any) -> Vocabulary:
        """The vocabulary an installation's settings (`config.Settings`) configure."""
        return cls(settings.themes, settings.statuses, fills.colour_table(settings.status_colours))


# Below this much shared-string text a second reader of the workbook is cheap to open.
SMALL_SHARED_STRINGS = 4 << 20


def read_sheets(
    data: bytes,
    name: str,
    report: Report,
    meanwhile: Callable[[dict[str, RawSheet]], T] | None = None,
    ready: Callable[[], object] | None = None,
) -> tuple[dict[str, RawSheet], T | None] | None:
    """Every sheet of a workbook as rows of cell values (empty for those a plan does not use),
    and what `meanwhile` returned; None (with an error) if the workbook is unreadable.

    In an .xlsx the Milestones sheet, by far the largest, is read in a thread of its own
    (calamine lets go of the interpreter while it parses) while the other sheets are read and
    given to `meanwhile` (the Milestones sheet still empty in them); otherwise everything is
    read first and `meanwhile` is given it all. `ready`, if given, is called once calamine has
    parsed a sheet and before its cells become Python values (each time; it may raise).
    """
    from python_calamine import CalamineWorkbook

    def rows(book: Any, sheet: str) -> RawSheet:
        parsed = book.get_sheet_by_name(sheet)
        if ready is not None:
            ready()
        return cast(RawSheet, parsed.to_python(skip_empty_area=False))

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(book.sheet_names)
    except Exception as exc:  # calamine raises its own error types for damaged files
        _unreadable(report, name, exc)
        return None
    wanted = {find_sheet(names, s) for s in (RECOMMENDATIONS, MILESTONES, ABOUT)}
    wanted.add(contacts_sheet.find({s: [] for s in names}))
    big = find_sheet(names, MILESTONES) if _cheap_to_reopen(data) else None
    sheets: dict[str, RawSheet] = {s: [] for s in names}
    failed: dict[str, BaseException] = {}
    reading: dict[str, Any] = {}
    thread = None
    if big is not None:

        def read_big() -> None:
            try:
                reading["rows"] = rows(book, big)
            except BaseException as exc:  # raised, or reported, by the caller below
                reading["failed"] = exc

        thread = threading.Thread(target=read_big, name="socplan-read", daemon=True)
        thread.start()
    result: T | None = None
    try:
        other = book if thread is None else CalamineWorkbook.from_filelike(io.BytesIO(data))
        for sheet in names:
            if sheet in wanted and sheet != big:
                try:
                    sheets[sheet] = rows(other, sheet)
                except Exception as exc:
                    failed[sheet] = exc
                    break  # as when read in turn: the first failure ends the reading
        if meanwhile is not None and not failed:
            if ready is not None:  # (no other sheet may have been read to call it)
                ready()
            result = meanwhile(sheets)
    finally:
        if thread is not None:
            thread.join()
    if big is not None:
        if "failed" in reading:
            failed[big] = reading["failed"]
        else:
            sheets[big] = reading["rows"]
    if failed:  # the first sheet that failed, in the workbook's order, as when read in turn
        first = failed[next(s for s in names if s in failed)]
        if not isinstance(first, Exception):
            raise first
        _unreadable(report, name, first)
        return None
    return sheets, result


def _cheap_to_reopen(data: bytes) -> bool:
    """True for an .xlsx whose shared strings are small (an .ods is parsed whole on opening)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                return False
            shared = "xl/sharedStrings.xml"
            return shared not in names or archive.getinfo(shared).file_size < SMALL_SHARED_STRINGS
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _unreadable(report: Report, name: str, exc: BaseException) -> None:
    report.error(
        name,
        f"the workbook cannot be read ({type(exc).__name__}); open it in Excel or LibreOffice and save it again as .xlsx or .ods",
    )


def _blank(value: object) -> bool:
    return (
        value == "" or value is None or (type(value) is str and not value.strip()) or value != value
    )


def _blanks(column: pd.Series) -> np.ndarray:
    """`_blank` of each cell of a column (text, the usual case, tested in line: a call per cell
    costs more than the test)."""
    return np.fromiter(
        ((not v.strip()) if type(v) is str else _blank(v) for v in column.to_numpy(dtype=object)),
        bool,
        len(column),
    )


def _key(text: object) -> str:
    return " ".join(str(text).replace("\n", " ").split()).strip(" :*").lower()


def find_sheet(sheets: Iterable[str], wanted: str) -> str | None:
    """The sheet whose name matches `wanted` or a synonym, in any case and spacing."""
    names = SHEET_SYNONYMS[wanted]
    by_key = {_key(s): s for s in sheets}
    for candidate in (wanted.lower(), *names):
        if candidate in by_key:
            return by_key[candidate]
    return None


def _match(header: object, columns: tuple[Column, ...]) -> Column | None:
    key = _key(header)
    if not key:
        return None
    for column in columns:
        if key == column.name.lower():
            return column
    for column in columns:
        if key in column.synonyms:
            return column
    return None


def find_header(rows: RawSheet, columns: tuple[Column, ...]) -> int | None:
    """Index of the header row: the first of the top rows that names most required columns."""
    required = sum(c.required for c in columns)
    best, best_hits = None, 1
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = len(
            {c.key for c in (_match(h, columns) for h in row) if c is not None and c.required}
        )
        if hits > best_hits:
            best, best_hits = i, hits
            if hits == required:
                break
    return best


def map_headers(
    header: list[object], columns: tuple[Column, ...], rag_pair: bool
) -> tuple[dict[str, int], list[tuple[int, str]], int | None]:
    """Column positions by key, the extra (unknown) headers, and the RAG column of a pair."""
    positions: dict[str, int] = {}
    exact: set[str] = set()
    extras: list[tuple[int, str]] = []
    rag_position: int | None = None
    statusy = [i for i, h in enumerate(header) if _key(h) == "status"]
    for i, cell in enumerate(header):
        key = _key(cell)
        if not key:
            continue
        if rag_pair and statusy and key in RAG_HEADERS:
            rag_position = i
            continue
        column = _match(cell, columns)
        if column is None:
            extras.append((i, str(cell).strip()))
            continue
        is_exact = key == column.name.lower()
        if column.key in positions and (column.key in exact or not is_exact):
            extras.append((i, str(cell).strip()))
            continue
        if column.key in positions:
            extras.append((positions[column.key], str(header[positions[column.key]]).strip()))
        positions[column.key] = i
        if is_exact:
            exact.add(column.key)
    return positions, extras, rag_position


@dataclass
class _Table:
    """A sheet's data rows under its header, with Excel row numbers and column letters."""

    sheet: str
    frame: pd.DataFrame  # one column per key; index = Excel row number
    letters: dict[str, str]

    def place(self, key: str, row: Any) -> str:
        return f"{self.sheet}!{self.letters[key]}{int(row)}"


def _table(
    sheets: dict[str, RawSheet],
    wanted: str,
    columns: tuple[Column, ...],
    report: Report,
    required: bool,
    extra_columns: dict[str, list[str]],
) -> _Table | None:
    sheet = find_sheet(sheets, wanted)
    if sheet is None:
        if required:
            found = ", ".join(sheets) or "none"
            report.error(
                wanted,
                f"the workbook has no '{wanted}' sheet (sheets found: {found}); add it or rename the sheet",
            )
        return None
    rows = sheets[sheet]
    at = find_header(rows, columns)
    if at is None:
        names = ", ".join(c.name for c in columns if c.required)
        report.error(
            f"{sheet}!A1",
            f"no header row found in the first {HEADER_SCAN_ROWS} rows; put the column names ({names}) in one row",
        )
        return None
    header = list(rows[at])
    positions, extras, rag = map_headers(
        header, columns, rag_pair=any(c.kind is Kind.STATUS for c in columns)
    )
    missing = [c for c in columns if c.required and c.key not in positions]
    for column in missing:
        report.error(
            f"{sheet}!{column_letter(len(header))}{at + 1}",
            f"the required column '{column.name}' is missing; add a column headed '{column.name}'",
        )
    if extras:
        extra_columns[sheet] = [name for _, name in extras]
        listed = ", ".join(f"{column_letter(i)} '{name}'" for i, name in extras)
        report.notice(f"{sheet}!{at + 1}:{at + 1}", f"extra columns ignored: {listed}")
    if missing:
        return None
    width = len(header)
    body = rows[at + 1 :]
    keys = list(positions) + (["rag"] if rag is not None else [])
    idx = [positions[k] for k in positions] + ([rag] if rag is not None else [])
    cells = _columns(body, idx)
    # Blank rows between data rows are ignored: a row whose first cell holds text is kept at
    # once; any other is kept unless every cell is blank.
    keep = [type(v) is str and v.strip() != "" for v in cells[0]]
    for i in [i for i, k in enumerate(keep) if not k]:
        keep[i] = not all(_blank(column[i]) for column in cells)
    index: pd.Index = pd.RangeIndex(at + 2, at + 2 + len(body))
    if not all(keep):
        cells = [list(itertools.compress(column, keep)) for column in cells]
        index = index[np.array(keep, dtype=bool)]
    frame = pd.DataFrame(
        {key: _objects(values) for key, values in zip(keys, cells, strict=True)}, index=index
    )
    for column in columns:
        if column.key not in frame.columns:
            frame[column.key] = ""
    letters = {k: column_letter(i) for k, i in zip(keys, idx, strict=True)}
    for column in columns:
        letters.setdefault(column.key, column_letter(width))
    return _Table(sheet, frame, letters)


def _columns(body: RawSheet, idx: list[int]) -> list[Sequence[Any]]:
    """The cells of the columns at the positions `idx`, each column top to bottom ("" past the
    end of a short row)."""
    reach = max(idx) + 1
    if min(map(len, body), default=reach) >= reach:  # calamine's rows are all as wide
        if body and len(body[0]) <= 2 * len(idx):  # most columns wanted: transposed at once
            every = list(zip(*body, strict=False))  # (as wide as the shortest: enough)
            return [every[i] for i in idx]
        return [[row[i] for row in body] for i in idx]
    return [[row[i] if len(row) > i else "" for row in body] for i in idx]


def _objects(values: Sequence[Any]) -> np.ndarray:
    """A column's cells as an array of objects (never a 2-D array, whatever they hold)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _runs(column: str, rows: list[int]) -> str:
    """Cells of one column as a short list: `I5:I7, I9`."""
    parts, start = [], 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i] != rows[i - 1] + 1:
            first, last = rows[start], rows[i - 1]
            parts.append(f"{column}{first}" + (f":{column}{last}" if last != first else ""))
            start = i
    return ", ".join(parts)


def _statuses_from_fills(data: bytes, table: _Table, report: Report, vocab: Vocabulary) -> None:
    """Empty Status cells (with no RAG beside them) take the status their fill colour shows,
    with one notice listing the cells read so."""
    f = table.frame
    empty = _blanks(f["status"])
    if "rag" in f.columns:
        empty &= _blanks(f["rag"])
    if not empty.any() or not vocab.colours:
        return
    letter = table.letters["status"]
    rows = [int(r) for r in f.index[empty]]
    found = fills.status_fills(data, table.sheet, column_number(letter), rows, vocab.colours)
    if not found:
        return
    for row, status in found.items():
        f.at[row, "status"] = status
    read = sorted(found)
    counts = ", ".join(
        f"{n} {s}" for s in vocab.statuses if (n := sum(v == s for v in found.values()))
    )
    report.notice(
        f"{table.sheet}!{_runs(letter, read)}",
        f"status read from the cell's fill colour ({counts}); type the status in to be sure",
    )


def _dmy(value: Any) -> str:
    return f"{value:%d/%m/%Y}"


def _record(report: Report, table: _Table, key: str, problems: list[norm.CellProblem]) -> None:
    rows = table.frame.index
    for position, level, message in problems:
        if level == "rag-error":
            report.error(table.place("rag", int(rows[position])), message)
        else:
            report.add(cast(Level, level), table.place(key, int(rows[position])), message)


def _duplicates(report: Report, table: _Table, refs: pd.Series, what: str) -> None:
    seen: dict[str, int] = {}
    for row, ref in zip(refs.index.tolist(), refs.tolist(), strict=True):
        if not ref:
            continue
        if ref in seen:
            report.error(
                table.place("ref", row),
                f"the {what} ref '{ref}' is used twice (also in row {seen[ref]}); give each {what} its own ref",
            )
        else:
            seen[ref] = int(row)


def _read(
    table: _Table, columns: tuple[Column, ...], vocab: Vocabulary
) -> tuple[dict[str, pd.Series], dict[str, list[norm.CellProblem]]]:
    """Every column read as its kind says, and the problems found in each."""
    f = table.frame
    out: dict[str, pd.Series] = {}
    problems: dict[str, list[norm.CellProblem]] = {}
    for column in columns:
        raw, key = f[column.key], column.key
        if column.kind is Kind.TEXT:
            out[key] = norm.texts(raw)
        elif column.kind is Kind.REF:
            out[key], problems[key] = norm.refs(raw)
        elif column.kind is Kind.DATE:
            out[key], problems[key] = norm.dates(raw)
        elif column.kind is Kind.PERCENT:
            out[key], problems[key] = norm.progress(raw)
        elif column.kind is Kind.FLAG:
            out[key], problems[key] = norm.flags(raw)
        elif column.kind is Kind.STATUS:
            rag = f["rag"] if "rag" in f.columns else None
            out[key], problems[key] = norm.statuses(raw, rag, vocab.statuses)
    return out, problems


def _report(
    report: Report,
    table: _Table,
    columns: tuple[Column, ...],
    problems: dict[str, list[norm.CellProblem]],
    *kinds: Kind,
) -> None:
    """Record the problems found in the columns of `kinds` (refs, then dates, then ratings: the
    order the checks report in)."""
    for column in columns:
        if column.kind in kinds:
            _record(report, table, column.key, problems[column.key])


def _required_text(
    report: Report, table: _Table, columns: tuple[Column, ...], out: dict[str, pd.Series]
) -> None:
    """An error for each empty cell of a required text or ref column that has a label."""
    for column in columns:
        if column.required and column.label and column.kind in (Kind.TEXT, Kind.REF):
            values = out[column.key]
            for row in values.index[values == ""]:
                report.error(
                    table.place(column.key, row), f"the {column.label} is empty; fill it in"
                )


def _recommendations(table: _Table, report: Report, vocab: Vocabulary) -> pd.DataFrame:
    out, problems = _read(table, REC_COLUMNS, vocab)
    _report(report, table, REC_COLUMNS, problems, Kind.REF)
    _required_text(report, table, REC_COLUMNS, out)
    _duplicates(report, table, out["ref"], "recommendation")
    themes = {t.lower(): t for t in vocab.themes}
    canonical = out["theme"].map(lambda t: themes.get(t.lower()))
    choices = ", ".join(vocab.themes)
    for row, theme in out["theme"][canonical.isna()].items():
        if theme:
            report.error(
                table.place("theme", row), f"'{theme}' is not a theme; use one of {choices}"
            )
        else:
            report.error(table.place("theme", row), f"the theme is empty; use one of {choices}")
    out["theme"] = canonical.fillna(out["theme"])
    out["partners"] = out["partners"].map(lambda v: "; ".join(norm.split_partners(v)))
    _report(report, table, REC_COLUMNS, problems, Kind.STATUS, Kind.PERCENT, Kind.FLAG)
    return pd.DataFrame({k: out[k] for k in RECOMMENDATION_FIELDS}, index=table.frame.index)


def _milestones(
    table: _Table,
    report: Report,
    vocab: Vocabulary,
    known_recs: set[str],
    on_rows: Callable[[pd.DataFrame], object] | None = None,
    part_rows: int = PART_ROWS,
) -> pd.DataFrame:
    f = table.frame
    out, problems = _read_milestones(table, vocab, on_rows if report.ok else None, part_rows)
    _report(report, table, MS_COLUMNS, problems, Kind.REF)
    _required_text(report, table, MS_COLUMNS, out)
    _duplicates(report, table, out["ref"], "milestone")
    unknown = ~out["recommendation"].isin(known_recs)
    for row, rec in out["recommendation"][unknown].items():
        if not rec:
            report.error(
                table.place("recommendation", row),
                "the recommendation ref is empty; enter the Ref of its recommendation",
            )
        else:
            report.error(
                table.place("recommendation", row),
                f"there is no recommendation '{rec}'; use a Ref from the Recommendations sheet",
            )
    _report(report, table, MS_COLUMNS, problems, Kind.DATE)
    no_due = out["due"].isna()
    empty_due = norm.texts(f["due"][no_due])
    for row in empty_due.index[empty_due == ""]:
        report.error(
            table.place("due", row),
            "the due date is empty; enter a date, or TBC if it is not yet known",
        )
    later = out["start"].notna() & out["due"].notna() & (out["start"] > out["due"])
    for row in later.index[later]:
        report.error(
            table.place("start", row),
            f"the start {_dmy(out['start'][row])} is after the due date {_dmy(out['due'][row])}; correct one of them",
        )
    _report(report, table, MS_COLUMNS, problems, Kind.STATUS, Kind.PERCENT, Kind.FLAG)
    moved = out["forecast"].notna() & (out["reason"] == "")
    for row in moved.index[moved]:
        report.error(
            table.place("reason", row),
            f"the forecast {_dmy(out['forecast'][row])} differs from the due date; give the reason for the change",
        )
    off = (out["status"] == OFF_TRACK) & (out["update"] == "")
    for row in off.index[off]:
        report.error(
            table.place("update", row),
            "an Off track milestone needs its corrective action in Update; describe what is being done",
        )
    return pd.DataFrame({k: out[k] for k in MILESTONE_FIELDS}, index=f.index)


def _read_milestones(
    table: _Table,
    vocab: Vocabulary,
    on_rows: Callable[[pd.DataFrame], object] | None,
    part_rows: int,
) -> tuple[dict[str, pd.Series], dict[str, list[norm.CellProblem]]]:
    """`_read` for the Milestones sheet, a forecast equal to the due date taken as no change.

    With `on_rows`, the rows are read in parts of `part_rows`, and each part is given to
    `on_rows` as soon as it is read, as the milestones it will be stored as, until a part
    holds an error or an empty or repeated ref: the import will not go ahead, so that part and
    the rest are not given (a store would refuse a repeated ref before the report said why).
    What a cell reads as never depends on which part it is in: a column read by the whole of
    it (progress: read as fractions only if every plain number in it is from 0 to 1) is read
    whole first. If any cell has an error, the sheet is read again in one go, so the problems
    come in the same order (statuses report their RAG errors first).
    """
    f = table.frame
    if on_rows is None or f.empty:
        return _read_whole(table, vocab)
    by_column = tuple(c for c in MS_COLUMNS if c.kind in WHOLE_COLUMN)
    by_part = tuple(c for c in MS_COLUMNS if c.kind not in WHOLE_COLUMN)
    whole, problems = _read(table, by_column, vocab)
    if _has_error(problems):
        return _read_whole(table, vocab)
    outs: list[dict[str, pd.Series]] = []
    seen: set[str] = set()
    for start in range(0, len(f), part_rows):
        rows = slice(start, start + part_rows)
        out, found = _read(_Table(table.sheet, f.iloc[rows], table.letters), by_part, vocab)
        if _has_error(found):  # no import: the rest is read with it, in one go
            return _read_whole(table, vocab)
        out.update({key: column.iloc[rows] for key, column in whole.items()})
        _no_change(out)
        outs.append(out)
        for key, cells in found.items():
            problems.setdefault(key, []).extend((start + i, lv, text) for i, lv, text in cells)
        if on_rows is None:
            continue
        refs = set(out["ref"])
        if "" in refs or len(refs) < len(out["ref"]) or not seen.isdisjoint(refs):
            on_rows = None
        else:
            seen |= refs
            on_rows(pd.DataFrame({k: out[k] for k in MILESTONE_FIELDS}).reset_index(drop=True))
    # The parts, one after another, are the sheet's rows: its index is theirs, joined (and
    # far cheaper to take than to build again from theirs).
    return {
        k: pd.concat([o[k] for o in outs], ignore_index=True).set_axis(f.index) for k in outs[0]
    }, problems


# Kinds of column whose cells are read by the whole column (see `norm.progress`).
WHOLE_COLUMN = (Kind.PERCENT,)


def _read_whole(
    table: _Table, vocab: Vocabulary
) -> tuple[dict[str, pd.Series], dict[str, list[norm.CellProblem]]]:
    out, problems = _read(table, MS_COLUMNS, vocab)
    _no_change(out)
    return out, problems


def _has_error(problems: dict[str, list[norm.CellProblem]]) -> bool:
    return any(level in ("error", "rag-error") for c in problems.values() for _, level, _ in c)


def _no_change(out: dict[str, pd.Series]) -> None:
    """A forecast equal to the due date is no change."""
    same = out["forecast"].notna() & (out["forecast"] == out["due"])
    out["forecast"] = out["forecast"].mask(same)


def _about_period(sheets: dict[str, RawSheet], report: Report) -> Period | None:
    sheet = find_sheet(sheets, ABOUT)
    if sheet is None:
        return None
    for r, row in enumerate(sheets[sheet]):
        for c, cell in enumerate(row):
            if _key(cell) in ("reporting period", "period", "quarter"):
                value = next((v for v in row[c + 1 :] if norm.text(v)), "")
                place = f"{sheet}!{column_letter(c + 1)}{r + 1}"
                if not norm.text(value):
                    report.error(place, "the reporting period is empty; write it like 2019/20 Q3")
                    return None
                try:
                    return Period.parse(norm.text(value))
                except PeriodError as exc:
                    report.error(place, str(exc))
                    return None
    return None


@dataclass
class _Early:
    """What `parse_workbook` finds before the Milestones sheet is at hand."""

    about: Period | None
    rec_table: _Table | None
    recs: pd.DataFrame
    first: Report  # the About sheet's and the Recommendations header's problems
    later: Report  # the recommendations' problems, reported after the Milestones header's
    extra: dict[str, list[str]]


def parse_workbook(
    data: bytes,
    name: str = "workbook",
    *,
    period: Period | None = None,
    partial: bool = False,
    known_recommendations: Iterable[str] = (),
    vocabulary: Vocabulary | None = None,
    scope: Scope | None = None,
    on_milestones: Callable[[pd.DataFrame], object] | None = None,
    part_rows: int = PART_ROWS,
    ready: Callable[[], object] | None = None,
    on_recommendations: Callable[[pd.DataFrame], object] | None = None,
) -> ParsedWorkbook:
    """Read and check a workbook's bytes; the report holds every problem found.

    `known_recommendations` are refs already in the plan (a partial return may leave out the
    Recommendations sheet). `period`, when given, must agree with the workbook's About sheet.
    With `scope` (a partner's return), only the scope's milestones of its owner are allowed.

    `on_milestones`, if given, is handed the milestones in parts of `part_rows` while the checks
    go on, each part as its rows will be in the result (index from 0 in each part). The parts
    stop at the first error (or empty or repeated ref); when the report ends with no errors,
    the parts, in order, are all the milestones. `on_recommendations`, if given, is handed the
    recommendations as they will be in the result once they are checked (while the Milestones
    sheet is still being read), unless they or the sheets before them hold an error. `ready`
    is as for `read_sheets`.
    """
    vocab = vocabulary or Vocabulary()
    report = Report()
    empty_recs = pd.DataFrame(columns=list(RECOMMENDATION_FIELDS))
    empty_ms = pd.DataFrame(columns=list(MILESTONE_FIELDS))

    def early(sheets: dict[str, RawSheet]) -> _Early:
        """What needs no Milestones sheet, with its problems held apart: they are reported in
        their place below, and dropped if the Milestones sheet cannot be read."""
        first, later = Report(), Report()
        extra: dict[str, list[str]] = {}
        about = _about_period(sheets, first)
        if period is not None and about is not None and about != period:
            first.error(
                f"{find_sheet(sheets, ABOUT)}!B1",
                f"the workbook is for {about} but the import is for {period}; import it as {about} or correct the About sheet",
            )
        rec_table = _table(sheets, RECOMMENDATIONS, REC_COLUMNS, first, not partial, extra)
        recs = _recommendations(rec_table, later, vocab) if rec_table is not None else empty_recs
        if on_recommendations is not None and report.ok and first.ok and later.ok:
            on_recommendations(recs.reset_index(drop=True))
        return _Early(about, rec_table, recs, first, later, extra)

    read = read_sheets(data, name, report, early, ready)
    if read is None or read[1] is None:
        return ParsedWorkbook(empty_recs, empty_ms, None, report)
    sheets, done = read[0], read[1]
    about, rec_table, recs, extra = done.about, done.rec_table, done.recs, done.extra
    report.problems += done.first.problems
    ms_table = _table(sheets, MILESTONES, MS_COLUMNS, report, True, extra)
    if ms_table is not None:
        _statuses_from_fills(data, ms_table, report, vocab)
    report.problems += done.later.problems
    # A partner's return may only name the plan's recommendations, never ones of its own.
    known = set(known_recommendations) | (set() if scope else set(recs["ref"]))
    ms = (
        _milestones(ms_table, report, vocab, known, on_milestones, part_rows)
        if ms_table is not None
        else empty_ms
    )
    if scope is not None and ms_table is not None:
        _check_scope(report, ms_table, ms, scope)
    contacts = None
    contact_sheet = contacts_sheet.find(sheets)
    if contact_sheet is not None and scope is not None:
        report.notice(
            f"{contact_sheet}!A1", "the Contacts sheet is not read from a partner's return"
        )
    elif contact_sheet is not None:
        contacts = contacts_sheet.read(contact_sheet, sheets[contact_sheet], report)
    if ms_table is not None and ms.empty and not report.errors:
        report.error(
            f"{ms_table.sheet}!A1", "the Milestones sheet has no milestones under its header row"
        )
    return ParsedWorkbook(
        recs.reset_index(drop=True),
        ms.reset_index(drop=True),
        about,
        report,
        has_recommendations_sheet=rec_table is not None,
        extra_columns=extra,
        contacts=contacts,
    )
