"""Import a workbook: refuse hostile files, read and check it, then store a new revision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..periods import Period, PeriodError
from .isolation import ChildFailed, ChildLimits, run_isolated
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
    if not limits.isolate:
        return _check_here(*args)
    child = ChildLimits(
        memory_mb=limits.parse_memory_mb,
        cpu_seconds=limits.parse_cpu_seconds,
        timeout_seconds=limits.parse_timeout_seconds,
    )
    try:
        return run_isolated(_check_here, *args, limits=child)
    except ChildFailed as exc:
        report = Report()
        report.error(
            "",
            f"{name}: the workbook could not be read within the limits ({exc.reason}); open it "
            "in Excel or LibreOffice, remove anything that is not part of the plan and save it "
            "again as .xlsx or .ods",
        )
        return Outcome(report, period)


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
    outcome = check(
        data,
        name,
        period=period,
        partial=partial,
        known_recommendations=known,
        vocabulary=vocabulary,
        limits=limits,
    )
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


__all__ = ["Outcome", "PeriodError", "check", "contacts_writer", "import_bytes"]
