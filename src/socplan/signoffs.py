"""Sign-off: a period is a draft until the policy lead signs it off; the panel then sees the
revision signed off (`Store.load(published=True)`) until a newer one is signed off, even while
later imports, restores and returns make the period a draft again. Withdrawal takes a period
back from the panel, with a reason. Every sign-off and withdrawal is kept (table `signoffs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from .periods import Period
from .store import SIGNED_OFF, WITHDRAWN, Store, StoreError
from .tables import imports, signoffs

REASON_MAX = 500


@dataclass(frozen=True)
class PeriodState:
    """A period's sign-off state: its current revision, the revision the panel sees (None when
    it is not published), and the last sign-off or withdrawal (who, when, why)."""

    period: Period
    revision: int
    published_revision: int | None
    action: str = ""  # SIGNED_OFF, WITHDRAWN, or "" when never signed off
    by: str = ""
    at: datetime | None = None
    reason: str = ""

    @property
    def draft(self) -> bool:
        """True when the panel does not see the current revision (never signed off, withdrawn,
        or changed since it was signed off)."""
        return self.published_revision != self.revision

    @property
    def describe(self) -> str:
        """The state in words: 'draft', 'published (revision 2)', 'draft (revision 3; the panel
        sees revision 2)'."""
        if self.published_revision is None:
            return "draft (withdrawn)" if self.action == WITHDRAWN else "draft"
        if self.draft:
            return f"draft (revision {self.revision}; the panel sees revision {self.published_revision})"
        return f"published (revision {self.published_revision})"


def _utc(value: object) -> datetime | None:
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if when.tzinfo is not None:  # PostgreSQL answers in the session's zone
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


def period_states(store: Store) -> list[PeriodState]:
    """Every period with data, oldest first, with its sign-off state."""
    if not store.exists():
        return []
    store.ensure_schema()
    with store.engine.connect() as conn:
        plan_id = store.plan_id(conn)
        current = store._current_ids(conn, plan_id)
        if not current:
            return []
        revisions = dict(
            conn.execute(
                sa.select(imports.c.id, imports.c.revision).where(imports.c.plan_id == plan_id)
            ).all()
        )
        latest = (
            sa.select(sa.func.max(signoffs.c.id))
            .where(signoffs.c.plan_id == plan_id)
            .group_by(signoffs.c.period_index)
        )
        last = {
            int(r.period_index): r
            for r in conn.execute(sa.select(signoffs).where(signoffs.c.id.in_(latest)))
        }
    states = []
    for index in sorted(current):
        row = last.get(index)
        published = (
            int(revisions[row.import_id]) if row is not None and row.action == SIGNED_OFF else None
        )
        states.append(
            PeriodState(
                Period(index // 4, index % 4 + 1),
                int(revisions[current[index]]),
                published,
                row.action if row is not None else "",
                row.username if row is not None else "",
                _utc(row.at) if row is not None else None,
                row.reason if row is not None else "",
            )
        )
    return states


def draft_periods(store: Store) -> frozenset[int]:
    """The indexes of the periods whose current revision the panel does not see."""
    return frozenset(s.period.index for s in period_states(store) if s.draft)


def _record(
    store: Store, period: Period, action: str, by: str, reason: str, expected: int | None
) -> PeriodState:
    with store.transaction(imports=True) as conn:  # serialised with imports and restores
        plan_id = store.plan_id(conn)
        current = store._current_ids(conn, plan_id)
        if plan_id is None or period.index not in current:
            raise StoreError(f"{period} has no data; import a workbook for it first")
        published = store._published_ids(conn, plan_id)
        import_id = current[period.index]
        revision = int(
            conn.execute(sa.select(imports.c.revision).where(imports.c.id == import_id)).scalar()
            or 0
        )
        if action == SIGNED_OFF:
            if expected is not None and expected != revision:
                raise StoreError(
                    f"{period} is now at revision {revision}, not {expected}: someone changed it; "
                    "check it and sign off again"
                )
            if published.get(period.index) == import_id:
                raise StoreError(f"{period} revision {revision} is already signed off")
        else:
            if period.index not in published:
                raise StoreError(f"{period} is not published; there is nothing to withdraw")
            import_id = published[period.index]
        conn.execute(
            signoffs.insert().values(
                plan_id=plan_id,
                period_index=period.index,
                action=action,
                import_id=import_id,
                username=by[:150],
                at=datetime.now(UTC),
                reason=reason,
            )
        )
    return next(s for s in period_states(store) if s.period == period)


def sign_off(store: Store, period: Period, by: str, *, revision: int | None = None) -> PeriodState:
    """Publish `period`'s current revision to the panel. With `revision`, refused unless that
    is still the current one (so nobody signs off a change they have not seen)."""
    return _record(store, period, SIGNED_OFF, by, "", revision)


def withdraw(store: Store, period: Period, by: str, reason: str) -> PeriodState:
    """Take `period` back from the panel (it becomes a draft), saying why."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValueError("say why the period is withdrawn (a reason is required)")
    if len(reason) > REASON_MAX:
        raise ValueError(f"the reason is {len(reason)} characters; keep it within {REASON_MAX}")
    return _record(store, period, WITHDRAWN, by, reason, None)
