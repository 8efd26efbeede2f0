"""The quarterly update cycle from the browser, as library calls: check uploaded returns, preview
what they change, and commit them, refusing a commit whose preview has gone stale."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from ..model import DeliveryPlan
from ..periods import Period
from ..store import Revision, Store
from .importer import Outcome, check, contacts_writer
from .preview import Preview, merge_returns, preview
from .safety import Limits
from .workbook import Scope, Vocabulary


@dataclass(frozen=True)
class Checked:
    """Every uploaded file's outcome, and the preview when none has errors."""

    outcomes: list[tuple[str, Outcome]]
    preview: Preview | None
    last_import: int

    @property
    def ok(self) -> bool:
        return all(o.report.ok for _, o in self.outcomes) and bool(self.outcomes)


def next_due(plan: DeliveryPlan, today: date | None = None) -> Period:
    """The period the next return is for: the one after the newest with data."""
    if plan.latest is not None:
        return plan.latest.next()
    return Period.containing(today or date.today()).previous()


def period_choices(plan: DeliveryPlan, today: date | None = None) -> list[Period]:
    """Periods an editor may upload for: the next one due, then those with data, newest first."""
    return [next_due(plan, today), *reversed(plan.periods)]


def _check_each(
    store: Store,
    files: list[tuple[str, bytes]],
    period: Period,
    partial: bool,
    vocabulary: Vocabulary | None,
    limits: Limits | None = None,
) -> list[tuple[str, Outcome]]:
    """Check every file; after the first, the rest merge into it as partner returns, so their
    milestones may name recommendations from the plan or from earlier files."""
    known = store.known_recommendations()
    outcomes = []
    for i, (name, data) in enumerate(files):
        outcome = check(
            data,
            name,
            period=period,
            partial=partial or i > 0,
            known_recommendations=known,
            vocabulary=vocabulary,
            limits=limits,
        )
        if outcome.parsed is not None:
            known = known | set(outcome.parsed.recommendations["ref"])
        outcomes.append((name, outcome))
    return outcomes


def check_returns(
    store: Store,
    plan: DeliveryPlan,
    files: list[tuple[str, bytes]],
    period: Period,
    *,
    partial: bool,
    vocabulary: Vocabulary | None = None,
    limits: Limits | None = None,
) -> Checked:
    """Check each file (hostile content, then every rule) and preview the result if all pass."""
    last_import = store.version()[1]
    outcomes = _check_each(store, files, period, partial, vocabulary, limits)
    result = Checked(outcomes, None, last_import)
    if not result.ok:
        return result
    parsed = [
        (o.parsed.recommendations, o.parsed.milestones) for _, o in outcomes if o.parsed is not None
    ]
    _, milestones = merge_returns(parsed)
    return Checked(outcomes, preview(plan, period, milestones, partial=partial), last_import)


def commit_returns(
    store: Store,
    files: list[tuple[str, bytes]],
    period: Period,
    *,
    partial: bool,
    imported_by: str,
    last_import: int,
    vocabulary: Vocabulary | None = None,
    limits: Limits | None = None,
) -> list[Revision]:
    """Check the files again and store them as revisions of `period` in one transaction; raises
    StalePreview if anything was imported since `last_import` (the preview's version)."""
    returns = []
    outcomes = _check_each(store, files, period, partial, vocabulary, limits)
    for (name, data), (_, outcome) in zip(files, outcomes, strict=True):
        if not outcome.report.ok or outcome.parsed is None:
            raise ValueError(f"{name} no longer passes its checks; upload it again")
        returns.append((outcome.parsed.recommendations, outcome.parsed.milestones, data, name))
    return store.commit_batch(
        returns,
        period,
        imported_by=imported_by,
        partial=partial,
        expected_last_import=last_import,
        after=contacts_writer(store, [o for _, o in outcomes], imported_by),
    )


def _iso_day(value: Any) -> str:
    """A date as ISO text; "" for none (TBC)."""
    return "" if value is None or value != value else pd.Timestamp(value).date().isoformat()


def partner_scope(plan: DeliveryPlan, owner: str, refs: Iterable[str], period: Period) -> Scope:
    """What a partner may send: the milestones asked of them that they still own as the plan
    stands (one moved to another owner since the round opened is no longer theirs), with what
    the plan fixes for each."""
    if plan.latest is None:
        return Scope(owner, frozenset())
    ms = plan.milestones(min(period, plan.latest))
    theirs = ms[(ms["owner"] == owner) & ms["ref"].isin(set(refs))]
    fixed = tuple(
        (
            str(r.ref),
            str(r.recommendation),
            str(r.milestone),
            bool(r.public),
            _iso_day(r.due),
        )
        for r in theirs.itertuples(index=False)
    )
    return Scope(owner, frozenset(theirs["ref"]), fixed)


def check_partner_return(
    store: Store,
    plan: DeliveryPlan,
    owner: str,
    refs: Iterable[str],
    name: str,
    data: bytes,
    period: Period,
    *,
    vocabulary: Vocabulary | None = None,
    limits: Limits | None = None,
) -> Checked:
    """Check a partner's return (only `refs`, owned by `owner`) and preview it against their
    own milestones only: nothing of other owners reaches the result."""
    last_import = store.version()[1]
    outcome = check(
        data,
        name,
        period=period,
        partial=True,
        known_recommendations=store.known_recommendations(),
        vocabulary=vocabulary,
        limits=limits,
        scope=partner_scope(plan, owner, refs, period),
    )
    result = Checked([(name, outcome)], None, last_import)
    if not result.ok or outcome.parsed is None:
        return result
    theirs = plan.filtered(owners=[owner])
    return Checked(
        [(name, outcome)],
        preview(theirs, period, outcome.parsed.milestones, partial=True),
        last_import,
    )
