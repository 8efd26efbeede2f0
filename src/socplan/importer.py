"""Import a workbook: refuse hostile files, read and check it, then store a new revision."""

from __future__ import annotations

from dataclasses import dataclass

from .periods import Period, PeriodError
from .problems import Report
from .safety import Limits, UnsafeFile, check_workbook_bytes
from .store import Revision, Store
from .workbook import ParsedWorkbook, Vocabulary, parse_workbook


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
) -> Outcome:
    """Every problem with a workbook, without writing anything."""
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
    )
    return outcome


def parse_period(text: str | None) -> Period | None:
    """A period from an option value (None when not given); raises PeriodError."""
    if text is None or not text.strip():
        return None
    return Period.parse(text)


__all__ = ["Outcome", "PeriodError", "check", "import_bytes", "parse_period"]
