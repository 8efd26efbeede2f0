"""What an upload would change, worked out before anything is written (pure)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import metrics
from ..model import DeliveryPlan
from ..periods import Period
from ..schema import CLOSED_STATUSES, MILESTONE_FIELDS


@dataclass(frozen=True)
class Preview:
    """The comparison an editor reads before committing."""

    period: Period
    compared_with: str
    milestones: int
    changes: dict[str, pd.DataFrame]
    no_update: pd.DataFrame


def merge_returns(
    returns: list[tuple[pd.DataFrame, pd.DataFrame]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Several returns as one: later files win for a milestone or recommendation in both."""
    recs = pd.concat([r for r, _ in returns], ignore_index=True).drop_duplicates("ref", keep="last")
    ms = pd.concat([m for _, m in returns], ignore_index=True).drop_duplicates("ref", keep="last")
    return recs.reset_index(drop=True), ms.reset_index(drop=True)


def preview(
    plan: DeliveryPlan, period: Period, milestones: pd.DataFrame, *, partial: bool
) -> Preview:
    """Compare the plan as the upload would leave it with the period's current revision (or,
    for a new period, the newest earlier one), following the store's carry-forward rules."""
    periods = plan.periods
    own = period in periods
    earlier = [p for p in periods if p < period]
    if own:
        before = plan.milestones(period)
        label = f"{period} as it stands"
    elif earlier:
        before = plan.milestones(earlier[-1])
        label = str(earlier[-1])
    else:
        before = pd.DataFrame(
            columns=[*MILESTONE_FIELDS, "baseline_due", "updated", "effective_due"]
        )
        label = "an empty plan"
    after = milestones.copy()
    after["updated"] = True
    baselines = (
        before.set_index("ref")["baseline_due"]
        if len(before)
        else pd.Series(dtype="datetime64[ns]")
    )
    after["baseline_due"] = (
        after["ref"].map(baselines).fillna(after["due"]).astype("datetime64[ns]")
    )
    carried = before[~before["ref"].isin(after["ref"])].copy()
    if not own:
        carried["updated"] = False
    columns = [*MILESTONE_FIELDS, "baseline_due", "updated"]
    frames = [f[columns] for f in (after, carried) if len(f)]
    combined = pd.concat(frames, ignore_index=True) if frames else after[columns]
    combined = metrics.with_measures(combined, period.end)
    before = (
        metrics.with_measures(before[columns], period.end) if len(before) else combined.iloc[0:0]
    )
    no_update = combined[~combined["updated"] & ~combined["status"].isin(list(CLOSED_STATUSES))]
    del partial  # a partial return differs only in which milestones it holds
    return Preview(
        period,
        label,
        len(combined),
        metrics.changes(before, combined),
        no_update[["ref", "milestone", "owner", "status"]].sort_values("ref", key=metrics.natural),
    )
