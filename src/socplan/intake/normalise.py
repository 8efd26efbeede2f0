"""Turn the values real spreadsheets hold into dates, statuses, progress and flags.

Each column-level function takes a pandas Series of raw cell values (as the reader gave them)
and returns the clean Series plus a list of (row position, level, message) problems, so the
caller can name the cell. Work is vectorised where the cells are already typed; only odd cells
go through the slower text parsers.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from ..periods import Period, PeriodError
from ..schema import NO_DATE_WORDS, NO_WORDS, STATUS_SYNONYMS, STATUSES, YES_WORDS

CellProblem = tuple[int, str, str]  # (row position in the series, level, message)

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9

_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DAY_MONTH_YEAR = re.compile(
    r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-/]+([a-z]+)\.?,?[\s\-/]+(\d{2}|\d{4})$"
)
_MONTH_DAY_YEAR = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_MONTH_YEAR = re.compile(r"^([a-z]+)\.?[\s\-/]+(\d{2}|\d{4})$")

EXCEL_EPOCH = pd.Timestamp("1899-12-30")


class DateProblem(ValueError):
    """A cell that cannot be read as a date."""


def _year(text: str) -> int:
    value = int(text)
    return 2000 + value if len(text) == 2 else value


def _checked(year: int, month: int, day: int, raw: str) -> date:
    if not 1 <= month <= 12:
        raise DateProblem(
            f"'{raw}' is not a date: there is no month {month}; write dates day first, "
            "like 01/10/2019 for 1 October 2019"
        )
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise DateProblem(
            f"'{raw}' is not a date: {calendar.month_name[month]} {year} has {last} days"
        )
    return date(year, month, day)


def _month(name: str, raw: str) -> int:
    month = _MONTHS.get(name.lower())
    if month is None:
        raise DateProblem(f"'{raw}' is not a date; write it like 01/10/2019 or 1 Oct 2019")
    return month


def parse_date_text(raw: str) -> date | None:
    """Read one text date in the forms the contract allows; None for TBC-like words.

    Raises DateProblem with a fix for anything else.
    """
    text = " ".join(raw.strip().split())
    lower = text.lower()
    if lower in NO_DATE_WORDS:
        return None
    if match := _NUMERIC.match(text):
        day, month, year = int(match[1]), int(match[2]), _year(match[3])
        return _checked(year, month, day, raw)
    if match := _ISO.match(text):
        return _checked(int(match[1]), int(match[2]), int(match[3]), raw)
    if match := _DAY_MONTH_YEAR.match(lower):
        return _checked(_year(match[3]), _month(match[2], raw), int(match[1]), raw)
    if match := _MONTH_DAY_YEAR.match(lower):
        return _checked(int(match[3]), _month(match[1], raw), int(match[2]), raw)
    if match := _MONTH_YEAR.match(lower):
        month = _month(match[1], raw)
        year = _year(match[2])
        return date(year, month, calendar.monthrange(year, month)[1])
    if "q" in lower:
        try:
            return Period.parse(text).end
        except PeriodError:
            pass
    raise DateProblem(
        f"'{raw}' is not a date; write it like 01/10/2019, 1 Oct 2019, October 2019 or "
        "2019/20 Q3, or TBC"
    )


def to_date(value: object) -> date | None:
    """One cell to a date (None when empty or TBC); raises DateProblem."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, time):
        raise DateProblem(f"'{value}' is a time, not a date")
    if isinstance(value, bool):
        raise DateProblem(f"'{value}' is not a date")
    if isinstance(value, int | float | np.integer | np.floating):
        serial = float(value)
        if 1 <= serial <= 2_958_465 and serial == int(serial):
            return (EXCEL_EPOCH + pd.Timedelta(days=int(serial))).date()
        raise DateProblem(f"'{value}' is not a date; enter a date like 01/10/2019")
    text = str(value)
    if not text.strip():
        return None
    return parse_date_text(text)


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def dates(series: pd.Series) -> tuple[pd.Series, list[CellProblem]]:
    """Normalise a column of dates; TBC-like words give a warning, bad dates an error."""
    values = series.to_numpy(dtype=object)
    quick = _real_dates(values)
    if quick is not None:
        return pd.Series(quick, index=series.index), []
    out: list[date | None] = [None] * len(values)
    problems: list[CellProblem] = []
    for i, value in enumerate(values):
        parsed: date | None
        if type(value) is datetime or type(value) is date:
            parsed = value.date() if type(value) is datetime else value
            if 1990 <= parsed.year <= 2100:  # the usual case: a real date, in range
                out[i] = parsed
                continue
        elif _is_blank(value):
            continue
        else:
            try:
                parsed = to_date(value)
            except DateProblem as exc:
                problems.append((i, "error", str(exc)))
                continue
        if parsed is None:
            problems.append(
                (i, "warning", f"'{str(value).strip()}' means no date; it is stored as blank")
            )
        elif not 1990 <= parsed.year <= 2100:
            problems.append((i, "error", f"'{value}' gives the year {parsed.year}; check the date"))
        else:
            out[i] = parsed
    column = pd.to_datetime(pd.Series(out, dtype=object)).astype("datetime64[ns]")
    column.index = series.index
    return column, problems


_FIRST_DAY, _LAST_DAY = date(1990, 1, 1).toordinal(), date(2100, 12, 31).toordinal()
_EPOCH_DAY = date(1970, 1, 1).toordinal()


def _real_dates(values: np.ndarray) -> np.ndarray | None:
    """The column as days when it holds only empty cells ("") and real dates (dates and naive
    datetimes) from 1990 to 2100, the usual case, found with array operations; None for
    anything else."""
    filled = values != ""
    given = values[filled]
    kinds = set(map(type, given))
    if not kinds <= {date, datetime}:
        return None
    if datetime in kinds and any(type(v) is datetime and v.tzinfo for v in given):
        return None
    ordinals = np.fromiter(map(date.toordinal, given), np.int64, given.size)  # times dropped
    if not ((ordinals >= _FIRST_DAY) & (ordinals <= _LAST_DAY)).all():
        return None
    days = (ordinals - _EPOCH_DAY).astype("datetime64[D]")
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[filled] = days
    return out


def status_key(text: str) -> str:
    """Lower-case a status with single spaces, for lookup."""
    return " ".join(text.replace("_", " ").split()).lower().rstrip(".")


def _keys(values: np.ndarray) -> list[str]:
    """Lookup keys for a column of status cells (computed once per distinct value)."""
    cache: dict[object, str] = {}
    out = []
    for value in values:
        key = cache.get(value)
        if key is None:
            key = "" if _is_blank(value) else status_key(str(value))
            cache[value] = key
        out.append(key)
    return out


def statuses(
    series: pd.Series,
    rag: pd.Series | None = None,
    vocabulary: tuple[str, ...] = STATUSES,
    synonyms: Mapping[str, str] = STATUS_SYNONYMS,
) -> tuple[pd.Series, list[CellProblem]]:
    """Normalise statuses given as words or letters; with a RAG column, In progress takes its rating.

    Problems name the status column unless their level is `rag-error`.
    """
    lookup = {status_key(s): s for s in vocabulary}
    lookup.update({k: v for k, v in synonyms.items() if v in vocabulary})
    raw = series.to_numpy(dtype=object)
    keys = _keys(raw)
    mapped: list[str | None] = [lookup.get(k) for k in keys]
    problems: list[CellProblem] = []
    choices = ", ".join(vocabulary)
    if rag is not None:
        rag_raw = rag.to_numpy(dtype=object)
        for i, rating in enumerate(_keys(rag_raw)):
            if not rating:
                if keys[i] == "in progress":
                    mapped[i] = None
                    keys[i] = "\0needs-rag"
                continue
            rated = lookup.get(rating)
            if rated is None:
                problems.append(
                    (i, "rag-error", f"'{rag_raw[i]}' is not a RAG rating; use G, A, R or B")
                )
                keys[i] = "\0reported"
            elif keys[i] in ("in progress", "started", "ongoing", ""):
                mapped[i] = rated
    for i, value in enumerate(mapped):
        if value is not None:
            continue
        key = keys[i]
        if key == "\0reported":
            continue
        if key == "\0needs-rag":
            problems.append(
                (
                    i,
                    "error",
                    "'In progress' needs a RAG rating beside it; enter G, A or R in the RAG column",
                )
            )
        elif not key:
            problems.append((i, "error", f"the status is empty; use one of {choices}"))
        else:
            problems.append((i, "error", f"'{raw[i]}' is not a status; use one of {choices}"))
    return pd.Series(mapped, index=series.index, dtype=object), problems


def progress(series: pd.Series) -> tuple[pd.Series, list[CellProblem]]:
    """Normalise % progress given as 50, '50%' or 0.5 (a fraction when the whole column is 0-1)."""
    problems: list[CellProblem] = []
    values = series.to_numpy(dtype=object)
    numbers = np.full(len(values), np.nan)
    percent_text = np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values):
        kind = type(value)
        if kind is float or kind is int:
            numbers[i] = value
            continue
        if _is_blank(value):
            continue
        if isinstance(value, bool):
            problems.append(
                (i, "error", f"'{value}' is not a percentage; enter a number from 0 to 100")
            )
            continue
        if isinstance(value, int | float | np.integer | np.floating):
            numbers[i] = float(value)
            continue
        text = str(value).strip().replace(" ", "")
        if text.endswith("%"):
            text = text[:-1]
            percent_text[i] = True
        try:
            numbers[i] = float(text)
        except ValueError:
            problems.append(
                (i, "error", f"'{value}' is not a percentage; enter a number from 0 to 100")
            )
    plain = ~np.isnan(numbers) & ~percent_text
    if (
        plain.any()
        and (numbers[plain] <= 1).all()
        and (numbers[plain] >= 0).all()
        and (numbers[plain] < 1).any()
    ):
        numbers[plain] = numbers[plain] * 100
    with np.errstate(invalid="ignore"):
        outside = np.flatnonzero(~np.isnan(numbers) & ~((numbers >= 0) & (numbers <= 100)))
    for i in outside.tolist():
        problems.append(
            (i, "error", f"{values[i]} is outside 0 to 100; enter a percentage from 0 to 100")
        )
    numbers[outside] = np.nan
    return pd.Series(np.round(numbers, 1), index=series.index, dtype="float64"), problems


def flags(series: pd.Series) -> tuple[pd.Series, list[CellProblem]]:
    """Normalise a yes/no column (blank means yes; 1 and 0 are yes and no)."""
    # Cached by type as well: True, 1 and 1.0 are one key to a dict.
    cache: dict[tuple[type, object], bool | None] = {}
    out: list[bool] = []
    problems: list[CellProblem] = []
    for i, value in enumerate(series.to_numpy(dtype=object)):
        if (type(value), value) in cache:
            flag = cache[type(value), value]
        else:
            key = text(value).lower()
            if _is_blank(value) or key in YES_WORDS:
                flag = True
            elif isinstance(value, bool):
                flag = bool(value)
            elif key in NO_WORDS:
                flag = False
            else:
                flag = None
            cache[type(value), value] = flag
        if flag is None:
            problems.append((i, "error", f"'{value}' is not Yes or No; enter Yes or No"))
            flag = True
        out.append(flag)
    return pd.Series(out, index=series.index, dtype=bool), problems


def text(value: object) -> str:
    """A cell as clean text: numbers without a spurious .0, whitespace trimmed."""
    if _is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def texts(series: pd.Series) -> pd.Series:
    """A column as clean text (empty string for blanks)."""
    values = [v.strip() if type(v) is str else text(v) for v in series.to_numpy(dtype=object)]
    return pd.Series(values, index=series.index, dtype=object)


_UNPRINTABLE_RUN = re.compile(r" *\x00[\x00 ]*")


def ref_text(value: str) -> str:
    """A ref with every run of control or format characters (new lines, tabs, zero-width and
    direction marks) and the spaces around it collapsed to one space, then trimmed."""
    if value.isprintable():
        return value
    marked = "".join(ch if ch.isprintable() else "\x00" for ch in value)
    return _UNPRINTABLE_RUN.sub(" ", marked).strip()


def refs(series: pd.Series) -> tuple[pd.Series, list[CellProblem]]:
    """A column of refs as clean text, control characters collapsed (a warning names each)."""
    clean = texts(series)
    problems: list[CellProblem] = []
    values = clean.tolist()
    for i, value in enumerate(values):
        if not value.isprintable():
            values[i] = ref_text(value)
            problems.append(
                (
                    i,
                    "warning",
                    f"the ref held line breaks or control characters; read as '{values[i]}'",
                )
            )
    return pd.Series(values, index=series.index, dtype=object), problems


def split_partners(value: str) -> list[str]:
    """Partners separated by ';', ',' or new lines."""
    return [p.strip() for p in re.split(r"[;,\n]", value) if p.strip()]
