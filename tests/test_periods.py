from datetime import date

import pytest

from socplan.periods import Period, PeriodError, period_range


@pytest.mark.parametrize(
    "text",
    [
        "2019/20 Q3",
        "Q3 2019/20",
        "2019-20 Q3",
        "2019/2020 Q3",
        "FY2019/20 Q3",
        " q3  2019/20 ",
        "2019/20 Quarter 3",
    ],
)
def test_parse_forms(text):
    assert Period.parse(text) == Period(2019, 3)


@pytest.mark.parametrize(
    "text", ["2019/21 Q3", "2019/20 Q5", "Q0 2019/20", "2019 Q3", "banana", ""]
)
def test_parse_rejects(text):
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_dates_and_label():
    q1 = Period(2019, 1)
    assert (q1.start, q1.end) == (date(2019, 4, 1), date(2019, 6, 30))
    q4 = Period(2019, 4)
    assert (q4.start, q4.end) == (date(2020, 1, 1), date(2020, 3, 31))
    assert q4.label == "2019/20 Q4"
    assert Period(1999, 4).label == "1999/00 Q4"


def test_next_previous_order():
    assert Period(2019, 4).next() == Period(2020, 1)
    assert Period(2020, 1).previous() == Period(2019, 4)
    assert Period(2019, 4) < Period(2020, 1) < Period(2020, 2)
    assert Period(2020, 1).index - Period(2019, 4).index == 1
    assert [p.label for p in period_range(Period(2019, 3), Period(2020, 2))] == [
        "2019/20 Q3",
        "2019/20 Q4",
        "2020/21 Q1",
        "2020/21 Q2",
    ]


def test_containing():
    assert Period.containing(date(2019, 10, 1)) == Period(2019, 3)
    assert Period.containing(date(2020, 3, 31)) == Period(2019, 4)
    assert Period.containing(date(2020, 4, 1)) == Period(2020, 1)
