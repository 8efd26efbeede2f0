"""Problems found in a workbook, each naming its place as Excel does and saying how to fix it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

# Excel's column letters (0 -> A, 27 -> AB), for the places problems name; written once, in core.
from ..opendocument import column_letter as column_letter

Level = Literal["error", "warning", "notice"]


_CELL = re.compile(r"^(?P<sheet>.*)!(?P<col>[A-Z]+)(?P<row>\d+)$")


def _place_key(place: str) -> tuple[str, int, int]:
    """Sort places by sheet, then row, then column, as a reader scans a sheet."""
    match = _CELL.match(place)
    if not match:
        return (place, 0, 0)
    col = 0
    for ch in match["col"]:
        col = col * 26 + ord(ch) - 64
    return (match["sheet"], int(match["row"]), col)


@dataclass(frozen=True)
class Problem:
    """One problem: where (sheet and cell, or a file or option), what is wrong, and how to fix it."""

    level: Level
    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}" if self.place else self.message


@dataclass
class Report:
    """All the problems of one workbook, split by level."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, level: Level, place: str, message: str) -> None:
        """Record one problem."""
        self.problems.append(Problem(level, place, message))

    def error(self, place: str, message: str) -> None:
        """Record a problem that blocks the import."""
        self.add("error", place, message)

    def warning(self, place: str, message: str) -> None:
        """Record a problem that is shown but lets the import go ahead."""
        self.add("warning", place, message)

    def notice(self, place: str, message: str) -> None:
        """Record something worth knowing that is not a problem."""
        self.add("notice", place, message)

    @property
    def errors(self) -> list[Problem]:
        """Problems that block the import."""
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems shown while the import goes ahead."""
        return [p for p in self.problems if p.level == "warning"]

    @property
    def notices(self) -> list[Problem]:
        """Things worth knowing."""
        return [p for p in self.problems if p.level == "notice"]

    @property
    def ok(self) -> bool:
        """True when nothing blocks the import."""
        return not self.errors

    def lines(self) -> list[str]:
        """One line per problem, errors first, each prefixed with its level."""
        order = {"error": 0, "warning": 1, "notice": 2}
        ranked = sorted(self.problems, key=lambda p: (order[p.level], *_place_key(p.place)))
        return [f"{p.level}: {p}" for p in ranked]


class InvalidWorkbook(Exception):
    """Raised when a workbook cannot be imported; carries the full report."""

    def __init__(self, report: Report):
        super().__init__("\n".join(str(p) for p in report.errors))
        self.report = report
