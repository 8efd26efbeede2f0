"""Reporting periods: UK financial-year quarters (`2019/20 Q1` is April to June 2019)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_FY = r"(?:fy\s*)?(?P<y1>\d{4})\s*[/\-–]\s*(?P<y2>\d{2}|\d{4})"
_Q = r"q(?:uarter)?\s*(?P<q>[1-4])"
_FORMS = (
    re.compile(rf"^{_FY}\s*,?\s*{_Q}$", re.IGNORECASE),
    re.compile(rf"^{_Q}\s*,?\s*{_FY}$", re.IGNORECASE),
)


class PeriodError(ValueError):
    """A text that is not a reporting period."""


@dataclass(frozen=True, order=True)
class Period:
    """A UK financial-year quarter; `year` is the calendar year the financial year starts in."""

    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise PeriodError(f"quarter must be 1 to 4, not {self.quarter}")
        if not 1900 <= self.year <= 2999:
            raise PeriodError(f"financial year {self.year} is out of range")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read `2019/20 Q3`, `Q3 2019/20`, `2019-20 Q3`, `2019/2020 Q3` or `FY2019/20 Q3`."""
        cleaned = " ".join(str(text).split())
        for form in _FORMS:
            match = form.match(cleaned)
            if match:
                y1 = int(match["y1"])
                y2 = int(match["y2"])
                expected = y1 + 1 if len(match["y2"]) == 4 else (y1 + 1) % 100
                if y2 != expected:
                    raise PeriodError(
                        f"'{text}' is not a financial year: {y1} is followed by "
                        f"{(y1 + 1) if len(match['y2']) == 4 else f'{(y1 + 1) % 100:02d}'}"
                    )
                return cls(y1, int(match["q"]))
        raise PeriodError(f"'{text}' is not a reporting period; write it like 2019/20 Q3")

    @classmethod
    def containing(cls, day: date) -> Period:
        """The quarter a date falls in."""
        if day.month >= 4:
            return cls(day.year, (day.month - 4) // 3 + 1)
        return cls(day.year - 1, 4)

    @property
    def label(self) -> str:
        """The canonical label, e.g. `2019/20 Q3`."""
        return f"{self.year}/{(self.year + 1) % 100:02d} Q{self.quarter}"

    @property
    def slug(self) -> str:
        """The label as it goes in a file name, e.g. `2019-20-Q3`."""
        return self.label.replace("/", "-").replace(" ", "-")

    def __str__(self) -> str:
        return self.label

    @property
    def start(self) -> date:
        """First day of the quarter."""
        month = 4 + 3 * (self.quarter - 1)
        year = self.year
        if month > 12:
            month -= 12
            year += 1
        return date(year, month, 1)

    @property
    def end(self) -> date:
        """Last day of the quarter: the period's as-at date."""
        last = self.start
        month = last.month + 2
        return date(last.year, month, calendar.monthrange(last.year, month)[1])

    def next(self) -> Period:
        """The following quarter."""
        return (
            Period(self.year + 1, 1) if self.quarter == 4 else Period(self.year, self.quarter + 1)
        )

    def previous(self) -> Period:
        """The quarter before."""
        return (
            Period(self.year - 1, 4) if self.quarter == 1 else Period(self.year, self.quarter - 1)
        )

    @property
    def index(self) -> int:
        """A number that increases by one per quarter (for ordering and arithmetic)."""
        return self.year * 4 + self.quarter - 1


def period_range(first: Period, last: Period) -> list[Period]:
    """Every quarter from first to last inclusive."""
    out = []
    current = first
    while current <= last:
        out.append(current)
        current = current.next()
    return out
