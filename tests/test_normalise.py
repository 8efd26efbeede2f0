from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from socplan.intake import normalise as n


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01/10/2019", date(2019, 10, 1)),
        ("1/10/19", date(2019, 10, 1)),
        ("1.10.2019", date(2019, 10, 1)),
        ("2019-10-01", date(2019, 10, 1)),
        ("1 Oct 2019", date(2019, 10, 1)),
        ("1st October 2019", date(2019, 10, 1)),
        ("01-Oct-2019", date(2019, 10, 1)),
        ("October 2019", date(2019, 10, 31)),
        ("Feb 2020", date(2020, 2, 29)),
        ("Q3 2019/20", date(2019, 12, 31)),
        ("2019/20 Q4", date(2020, 3, 31)),
        ("TBC", None),
        ("Ongoing", None),
    ],
)
def test_text_dates(raw, expected):
    assert n.parse_date_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("31/02/2020", "29 days"),
        ("10/13/2019", "no month 13"),
        ("soon", "not a date"),
        ("32 Jan 2020", "31 days"),
        ("Smarch 2020", "not a date"),
    ],
)
def test_bad_text_dates(raw, words):
    with pytest.raises(n.DateProblem, match=words):
        n.parse_date_text(raw)


def test_date_cells():
    assert n.to_date(datetime(2019, 10, 1, 0, 0)) == date(2019, 10, 1)
    assert n.to_date(43739) == date(2019, 10, 1)  # an Excel serial
    assert n.to_date(None) is None
    with pytest.raises(n.DateProblem):
        n.to_date(1.5)


def test_date_column_reports_positions():
    values, problems = n.dates(
        pd.Series([date(2020, 1, 1), "TBC", "31/02/2020", ""], index=[5, 6, 7, 8])
    )
    assert list(values.index) == [5, 6, 7, 8]
    assert values.iloc[0] == pd.Timestamp("2020-01-01")
    assert [(p[0], p[1]) for p in problems] == [(1, "warning"), (2, "error")]


def _day(cell: date) -> pd.Timestamp:
    return pd.Timestamp(cell.date() if isinstance(cell, datetime) else cell)


@pytest.mark.parametrize(
    "cells",
    [
        [datetime(2020, 1, 1, 23, 59), "", datetime(1990, 1, 1), datetime(2100, 12, 31, 12)],
        [datetime(2020, 5, 5, 18, 30), "", datetime(2019, 3, 31)],
        [date(2020, 5, 5), "", date(1990, 1, 1), datetime(2019, 3, 31, 9)],  # as calamine gives
        [datetime(2020, 1, 1), None, datetime(2020, 2, 1)],  # None: the cell by cell reading
        [datetime(2020, 1, 1), "  ", "TBC"],
        ["", ""],
        [],
    ],
)
def test_a_column_of_real_dates_reads_as_cell_by_cell(cells):
    """The array reading of a column of datetimes and empty cells gives what reading each cell
    gives: the day of each date (its time dropped), blanks as no date."""
    index = list(range(10, 10 + len(cells)))
    values, problems = n.dates(pd.Series(cells, index=index, dtype=object))
    expected = [None if n._is_blank(c) or c == "TBC" else _day(c) for c in cells]
    assert list(values.index) == index and values.dtype == "datetime64[ns]"
    assert [None if pd.isna(v) else v for v in values] == expected
    assert [p[1] for p in problems] == (["warning"] if "TBC" in cells else [])


@pytest.mark.parametrize("year", [1989, 2101])
def test_a_real_date_out_of_range_is_an_error(year):
    values, problems = n.dates(pd.Series([datetime(2020, 1, 1), "", datetime(year, 6, 1)]))
    assert [(p[0], p[1]) for p in problems] == [(2, "error")]
    assert f"gives the year {year}" in problems[0][2]
    assert values.iloc[0] == pd.Timestamp("2020-01-01") and pd.isna(values.iloc[2])


def test_statuses_words_letters_and_pairs():
    values, problems = n.statuses(
        pd.Series(["G", "amber", " R ", "Blue", "done", "Not Started", "cancelled"])
    )
    assert list(values) == [
        "On track",
        "At risk",
        "Off track",
        "Complete",
        "Complete",
        "Not started",
        "Cancelled",
    ]
    assert problems == []
    values, problems = n.statuses(
        pd.Series(["In progress", "Complete", "Not started", "In progress"]),
        pd.Series(["A", "", "", "x"]),
    )
    assert list(values[:3]) == ["At risk", "Complete", "Not started"]
    assert problems[0][1] == "rag-error"


def test_status_problem_lists_choices():
    _, problems = n.statuses(pd.Series(["Compelte"]))
    assert problems[0][2].startswith("'Compelte' is not a status; use one of Not started, On track")


def test_progress_forms():
    values, problems = n.progress(pd.Series([50, "50%", 75.5, None]))
    assert list(values[:3]) == [50.0, 50.0, 75.5] and np.isnan(values.iloc[3]) and problems == []
    values, _ = n.progress(pd.Series([0.5, 0.25, 1.0]))
    assert list(values) == [50.0, 25.0, 100.0]
    _, problems = n.progress(pd.Series([120, -1, "lots"]))
    assert [p[0] for p in problems] == [2, 0, 1] or sorted(p[0] for p in problems) == [0, 1, 2]


def test_flags():
    values, problems = n.flags(pd.Series(["Yes", "no", "", "N", "maybe"]))
    assert list(values) == [True, False, True, False, True]
    assert problems[0][0] == 4


@pytest.mark.parametrize(
    "cells", [[True, 1.0, 0.0, False, 1, "1"], [1.0, 0.0, 1, "1", True, False]], ids=["", "turned"]
)
def test_flags_read_each_cell_alone(cells):
    """1 and 0 (as Excel gives them, 1.0 and 0.0) are yes and no, whatever came before them
    (True and 1.0 are one key to a dict)."""
    values, problems = n.flags(pd.Series(cells, dtype=object))
    assert list(values) == [n.text(c).lower() in ("true", "1") for c in cells]
    assert problems == []
    [maybe] = n.flags(pd.Series([True, 2.0], dtype=object))[1]
    assert maybe[0] == 1


def test_text_cells():
    assert n.text(1.0) == "1" and n.text("  R1 ") == "R1" and n.text(None) == ""
    assert n.split_partners("A; B,C\nD") == ["A", "B", "C", "D"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Z\n\nhttps://evil.example/login", "Z https://evil.example/login"),
        ("R1.\t2", "R1. 2"),
        ("R1\r\n.2 \u200b", "R1 .2"),
        ("\u202eR1.2", "R1.2"),
        ("R1\x00\x1b[31m", "R1 [31m"),
        ("R1.2", "R1.2"),
        ("R 1.2", "R 1.2"),
    ],
)
def test_refs_lose_control_characters(raw, expected):
    assert n.ref_text(raw) == expected
    clean, problems = n.refs(pd.Series([raw]))
    assert clean.tolist() == [expected]
    assert bool(problems) == (raw != expected)
