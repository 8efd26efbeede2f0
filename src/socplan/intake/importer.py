"""Import a workbook: refuse hostile files, read and check it, then store a new revision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..periods import Period, PeriodError
from .isolation import ChildFailed, ChildLimits, Isolated, start_isolated
from .problems import Report
from .safety import Limits, UnsafeFile, check_workbook_bytes
from .workbook import ParsedWorkbook, Scope, Vocabulary, parse_workbook

if TYPE_CHECKING:  # the store (SQLAlchemy) stays out of the child processes that parse
    from collections.abc import Callable

    from sqlalchemy.engine import Connection

    from ..store import Revision, Store


@dataclass
class Outcome:
    """What happened to one workbook: its report, the period used and the revision written."""

    report: Report
    period: Period | None
    parsed: ParsedWorkbook | None = None
    revision: Revision | None = None


def check(
    data: bytes,
    name: str,
    *,
    period: Period | None,
    partial: bool = False,
    known_recommendations: set[str] | frozenset[str] = frozenset(),
    vocabulary: Vocabulary | None = None,
    limits: Limits | None = None,
    scope: Scope | None = None,
) -> Outcome:
    """Every problem with a workbook, without writing anything (with `scope`, a partner's
    return: only the scope's milestones).

    The file is checked and parsed in a child process with the memory and time `limits` allow
    (unless `limits.isolate` is off), so no workbook can take down the calling process.
    """
    return start_check(
        data,
        name,
        period=period,
        partial=partial,
        known_recommendations=known_recommendations,
        vocabulary=vocabulary,
        limits=limits,
        scope=scope,
    ).outcome()


class Checking:
    """A check under way (see `check`): the caller may do other work before asking for its
    outcome."""

    def __init__(self, name: str, period: Period | None, args: tuple[Any, ...], limits: Limits):
        self._name, self._period = name, period
        self._done: Outcome | None = None
        self._child: Isolated[Outcome] | None = None
        if not limits.isolate:
            self._done = _check_here(*args)
            return
        child = ChildLimits(
            memory_mb=limits.parse_memory_mb,
            cpu_seconds=limits.parse_cpu_seconds,
            timeout_seconds=limits.parse_timeout_seconds,
        )
        self._child = start_isolated(_check_here, *args, limits=child)

    def outcome(self) -> Outcome:
        """What the check found, once it is done."""
        if self._done is not None:
            return self._done
        assert self._child is not None
        try:
            self._done = self._child.result()
        except ChildFailed as exc:
            report = Report()
            report.error(
                "",
                f"{self._name}: the workbook could not be read within the limits ({exc.reason}); "
                "open it in Excel or LibreOffice, remove anything that is not part of the plan "
                "and save it again as .xlsx or .ods",
            )
            self._done = Outcome(report, self._period)
        return self._done

    def close(self) -> None:
        """Give up on the check (its child process is stopped)."""
        if self._child is not None:
            self._child.close()


def start_check(
    data: bytes,
    name: str,
    *,
    period: Period | None,
    partial: bool = False,
    known_recommendations: set[str] | frozenset[str] = frozenset(),
    vocabulary: Vocabulary | None = None,
    limits: Limits | None = None,
    scope: Scope | None = None,
) -> Checking:
    """`check`, started (in its child process, unless `limits.isolate` is off)."""
    limits = limits or Limits()
    args = (
        data,
        name,
        period,
        partial,
        frozenset(known_recommendations),
        vocabulary,
        limits,
        scope,
    )
    return Checking(name, period, args, limits)


def _check_here(
    data: bytes,
    name: str,
    period: Period | None,
    partial: bool,
    known_recommendations: frozenset[str],
    vocabulary: Vocabulary | None,
    limits: Limits,
    scope: Scope | None = None,
) -> Outcome:
    """`check` in this process: refuse hostile files, then read and check the workbook."""
    try:
        check_workbook_bytes(data, name, limits)
    except UnsafeFile as exc:
        report = Report()
        report.error("", str(exc))
        return Outcome(report, period)
    parsed = parse_workbook(
        data,
        name,
        period=period,
        partial=partial,
        known_recommendations=known_recommendations,
        vocabulary=vocabulary,
        scope=scope,
    )
    chosen = period or parsed.period
    if chosen is None and parsed.report.ok:
        parsed.report.error(
            "--period",
            "no reporting period given and the workbook has no About sheet; give one like --period '2019/20 Q3'",
        )
    return Outcome(parsed.report, chosen, parsed)


def import_bytes(
    store: Store,
    data: bytes,
    name: str,
    *,
    period: Period | None,
    imported_by: str,
    partial: bool = False,
    vocabulary: Vocabulary | None = None,
    limits: Limits | None = None,
    kind: str | None = None,
) -> Outcome:
    """Check a workbook and, when it has no errors, store it as a new revision."""
    known = store.known_recommendations() if partial else set()
    checking = start_check(
        data,
        name,
        period=period,
        partial=partial,
        known_recommendations=known,
        vocabulary=vocabulary,
        limits=limits,
    )
    # While the child reads the workbook, the base's baselines are read here (on the other
    # processor), outside any transaction: the import's transaction takes them up if its base
    # is still the same revision.
    try:
        baselines = store.read_baselines(period) if period is not None else None
    except BaseException:
        checking.close()
        raise
    outcome = checking.outcome()
    if not outcome.report.ok or outcome.parsed is None or outcome.period is None:
        return outcome
    outcome.revision = store.commit_import(
        outcome.parsed.recommendations,
        outcome.parsed.milestones,
        outcome.period,
        data=data,
        file_name=name,
        imported_by=imported_by,
        partial=partial,
        kind=kind,
        after=contacts_writer(store, [outcome], imported_by),
        baselines=baselines if outcome.period == period else None,
    )
    return outcome


def contacts_writer(
    store: Store, outcomes: list[Outcome], by: str
) -> Callable[[Connection, list[Revision]], None] | None:
    """What keeps the workbooks' Contacts sheets, in the import's own transaction (None when no
    workbook has one)."""
    rows = [
        row
        for o in outcomes
        if o.parsed is not None and o.parsed.contacts
        for row in o.parsed.contacts
    ]
    if not rows:
        return None

    def write(conn: Connection, _: list[Revision]) -> None:
        from ..contacts import Contacts

        Contacts(store).write_rows(conn, rows, by=by)

    return write


__all__ = [
    "Checking",
    "Outcome",
    "PeriodError",
    "check",
    "contacts_writer",
    "import_bytes",
    "start_check",
]
