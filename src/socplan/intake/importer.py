"""Import a workbook: refuse hostile files, read and check it, then store a new revision."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..periods import Period, PeriodError
from .isolation import (
    ChildFailed,
    ChildLimits,
    Isolated,
    answer_now,
    dismiss,
    in_child,
    run_isolated,
    send_part,
    start_isolated,
)
from .problems import Report
from .safety import Limits, UnsafeFile, check_extents, check_workbook_bytes
from .workbook import PART_ROWS, ParsedWorkbook, Scope, Vocabulary, parse_workbook

if TYPE_CHECKING:  # the store (SQLAlchemy) stays out of the child processes that parse
    from collections.abc import Callable

    import pandas as pd
    from sqlalchemy.engine import Connection

    from ..store import Revision, Store


@dataclass
class Outcome:
    """What happened to one workbook: its report, the period used and the revision written."""

    report: Report
    period: Period | None
    parsed: ParsedWorkbook | None = None
    revision: Revision | None = None
    # True when the milestones were handed over in parts as they were checked (`start_check`
    # with `in_parts`) and are left out of `parsed`.
    in_parts: bool = False


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
        self._name, self._period, self._args = name, period, args
        self._done: Outcome | None = None
        self._child: Isolated[Outcome] | None = None
        if not limits.isolate:
            self._done = _check_here(*args)
            return
        self._child_limits = ChildLimits(
            memory_mb=limits.parse_memory_mb,
            cpu_seconds=limits.parse_cpu_seconds,
            timeout_seconds=limits.parse_timeout_seconds,
        )
        self._child = start_isolated(_check_here, *args, limits=self._child_limits, reuse=True)

    def outcome(
        self, on_part: Callable[[tuple[str, pd.DataFrame]], object] | None = None
    ) -> Outcome:
        """What the check found, once it is done; with `in_parts`, the parts go to `on_part`
        while the check goes on (see `start_check`)."""
        if self._done is not None:
            return self._done
        assert self._child is not None
        measured = False

        def take(part: tuple[str, Any]) -> None:
            nonlocal measured
            if part[0] == MEASURED:
                measured = True
            elif on_part is not None:
                on_part(part)

        try:
            self._done = self._child.result(take)
        except ChildFailed as exc:
            report = Report()
            # The child may have died parsing a sheet before its extent check could refuse it
            # (`_ExtentScan`): that refusal, if there is one, says more than the child's end.
            refusal = None if measured else self._refusal()
            report.error(
                "",
                refusal
                or f"{self._name}: the workbook could not be read within the limits "
                f"({exc.reason}); open it in Excel or LibreOffice, remove anything that is not "
                "part of the plan and save it again as .xlsx or .ods",
            )
            self._done = Outcome(report, self._period)
        return self._done

    def _refusal(self) -> str | None:
        """Why the file is refused, checked again in a child of its own without parsing it."""
        data, name, _, _, _, _, limits, *_ = self._args
        try:
            return run_isolated(_refusal_of, data, name, limits, limits=self._child_limits)
        except ChildFailed:
            return None

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
    in_parts: int = 0,
) -> Checking:
    """`check`, started (in its child process, unless `limits.isolate` is off).

    With `in_parts` (and a child process), the child hands over the recommendations once they
    are checked, and the milestones in parts of that many rows as they are checked, for
    `Checking.outcome` to pass on as ("recommendations" or "milestones", frame); it leaves the
    milestones out of the outcome's `parsed` when they all went that way and the check found
    no errors (`Outcome.in_parts`).
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
        in_parts,
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
    in_parts: int = 0,
) -> Outcome:
    """`check` in this process: refuse hostile files, then read and check the workbook.

    In a child process, an xlsx's sheets are measured (`_ExtentScan`) while calamine parses
    them; nothing of the parse becomes a Python value until they have passed.
    """
    concurrent = in_child()
    try:
        kind = check_workbook_bytes(data, name, limits, extents=not concurrent)
    except UnsafeFile as exc:
        return _refused(exc, period)
    scan = None
    if concurrent and kind == "xlsx":
        scan = _ExtentScan(data, name, limits, period)
    else:
        send_part((MEASURED, None))
    sent = 0

    def hand_over(part: pd.DataFrame) -> None:
        nonlocal sent
        if send_part(("milestones", part)):
            sent += len(part)

    def hand_over_recommendations(recommendations: pd.DataFrame) -> None:
        send_part(("recommendations", recommendations))

    try:
        parsed = parse_workbook(
            data,
            name,
            period=period,
            partial=partial,
            known_recommendations=known_recommendations,
            vocabulary=vocabulary,
            scope=scope,
            on_milestones=hand_over if in_parts else None,
            part_rows=in_parts or PART_ROWS,
            ready=scan.wait if scan is not None else None,
            on_recommendations=hand_over_recommendations if in_parts else None,
        )
        if scan is not None:
            scan.wait()
    except UnsafeFile as exc:  # (never in a child, where a refusal ends the child itself)
        return _refused(exc, period)
    chosen = period or parsed.period
    if chosen is None and parsed.report.ok:
        parsed.report.error(
            "--period",
            "no reporting period given and the workbook has no About sheet; give one like --period '2019/20 Q3'",
        )
    handed = sent > 0 and sent == len(parsed.milestones) and parsed.report.ok
    if handed:  # the caller has them already and will keep them: not sent twice
        parsed.milestones = parsed.milestones.iloc[:0]
    if not parsed.report.ok:
        dismiss()
    return Outcome(parsed.report, chosen, parsed, in_parts=handed)


# The part a check's child sends once the file has passed every check made before parsing:
# if the child dies after it, the file need not be checked again to say why.
MEASURED = "measured"


def _refused(exc: UnsafeFile, period: Period | None) -> Outcome:
    dismiss()  # (a kept worker that met a hostile file is not kept for the next)
    report = Report()
    report.error("", str(exc))
    return Outcome(report, period)


class _ExtentScan:
    """`check_extents` in a thread of a check's child process, while calamine parses the
    sheets (it lets go of the interpreter to parse). `wait` is the gate: it returns once the
    sheets have passed and raises if they have not. A sheet past the limits ends the child at
    once with its refusal, whatever calamine is doing: a grid it was building (within the
    child's memory limit) is never used. If calamine dies first (a grid past the memory limit),
    the parent checks the file again without parsing it (`Checking.outcome`)."""

    def __init__(self, data: bytes, name: str, limits: Limits, period: Period | None):
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(data, name, limits, period), name="socplan-extents", daemon=True
        )
        self._thread.start()

    def _run(self, data: bytes, name: str, limits: Limits, period: Period | None) -> None:
        try:
            check_extents(data, name, limits)
            send_part((MEASURED, None))
        except UnsafeFile as exc:
            self._error = exc
            answer_now(_refused(exc, period))  # ends the child
        except BaseException as exc:  # raised again by `wait`, in the check's own thread
            self._error = exc

    def wait(self) -> None:
        """Return once the sheets have passed; raise if they have not."""
        self._thread.join()
        if self._error is not None:
            raise self._error


def _refusal_of(data: bytes, name: str, limits: Limits) -> str | None:
    """Why `check_workbook_bytes` refuses the file, or None (run in a child of its own)."""
    try:
        check_workbook_bytes(data, name, limits)
    except UnsafeFile as exc:
        return str(exc)
    return None


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
    """Check a workbook and, when it has no errors, store it as a new revision.

    With the period known and the check in a child process, the milestones are written as the
    child hands them over, while it checks the rest, in a transaction that commits only if the
    check ends with no errors.
    """
    known = store.known_recommendations() if partial else set()
    limits = limits or Limits()
    in_parts = PART_ROWS if period is not None and limits.isolate else 0
    checking = start_check(
        data,
        name,
        period=period,
        partial=partial,
        known_recommendations=known,
        vocabulary=vocabulary,
        limits=limits,
        in_parts=in_parts,
    )
    # While the child reads the workbook, the base's baselines are read here (on the other
    # processor), outside any transaction: the import's transaction takes them up if its base
    # is still the same revision.
    try:
        baselines = store.read_baselines(period) if period is not None else None
    except BaseException:
        checking.close()
        raise

    def in_one_go(outcome: Outcome, chosen: Period) -> Outcome:
        assert outcome.parsed is not None
        outcome.revision = store.commit_import(
            outcome.parsed.recommendations,
            outcome.parsed.milestones,
            chosen,
            data=data,
            file_name=name,
            imported_by=imported_by,
            partial=partial,
            kind=kind,
            after=contacts_writer(store, [outcome], imported_by),
            baselines=baselines if chosen == period else None,
        )
        return outcome

    if not in_parts or period is None:  # (period: for the type checker)
        outcome = checking.outcome()
        if not outcome.report.ok or outcome.parsed is None or outcome.period is None:
            return outcome
        return in_one_go(outcome, outcome.period)
    with store.import_in_parts(
        period,
        data=data,
        file_name=name,
        imported_by=imported_by,
        partial=partial,
        kind=kind,
        baselines=baselines,
    ) as importing:
        failed: list[Exception] = []
        written = 0

        def write(part: tuple[str, pd.DataFrame]) -> None:
            # A part that will not store (its rows would break a rule of the database) is
            # left for the report to explain; it stops the writing, not the check.
            nonlocal written
            what, rows = part
            written += len(rows)
            # Two sheets' rows at most: more is no parse of a workbook that passed its checks
            # (a child gone wrong). Raised here, it stops the child, which is not kept.
            if written > 2 * limits.max_sheet_rows:
                raise ChildFailed("it sent more rows than two sheets may hold")
            if failed:
                return
            try:
                if what == "recommendations":
                    importing.add_recommendations(rows)
                else:
                    importing.add(rows)
            except Exception as exc:
                failed.append(exc)

        outcome = checking.outcome(write)
        if not outcome.report.ok or outcome.parsed is None or outcome.period != period:
            return outcome  # what was written is rolled back
        if failed:  # a workbook with no errors that does not store: the database's doing
            raise failed[0]
        if outcome.in_parts or not importing.has_milestones:
            if not outcome.in_parts:  # none came in parts: all came with the outcome
                importing.add(outcome.parsed.milestones)
            outcome.parsed.milestones = importing.milestones()
            outcome.revision = importing.finish(
                outcome.parsed.recommendations, after=contacts_writer(store, [outcome], imported_by)
            )
            return outcome
    # Some came in parts, yet the outcome holds them all (a check with no errors sends all:
    # never expected). What the parts wrote is rolled back; the workbook is stored in one go.
    return in_one_go(outcome, period)


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
