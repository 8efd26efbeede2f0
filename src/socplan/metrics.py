"""Pure measures over milestone frames: counts, overdue, slippage, trend and changes.

Every function takes DataFrames shaped like `DeliveryPlan` hands out and returns a new frame;
none changes its input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

import pandas as pd

from .schema import CANCELLED, CLOSED_STATUSES, COMPLETE, STATUSES

_DIGITS = re.compile(r"(\d+)")  # compiled once: `natural` splits every ref of a period


def natural(values: pd.Series) -> pd.Series:
    """Sort key that puts R2 before R10 and R1.2 before R1.10."""

    def key(text: object) -> tuple[object, ...]:
        return tuple([int(p) if p.isdigit() else p for p in _DIGITS.split(str(text))])

    return values.map(key)


def effective_due(milestones: pd.DataFrame) -> pd.Series:
    """The date a milestone is now expected: its forecast if it has one, else its due date."""
    return milestones["forecast"].fillna(milestones["due"])


def with_measures(milestones: pd.DataFrame, as_at: date) -> pd.DataFrame:
    """Add `effective_due`, `overdue` (open and due by `as_at`) and `slip_days` (vs baseline)."""
    out = milestones.copy()
    out["effective_due"] = effective_due(out)
    cutoff = pd.Timestamp(as_at)
    open_ = ~out["status"].isin(list(CLOSED_STATUSES))
    out["overdue"] = open_ & out["effective_due"].notna() & (out["effective_due"] <= cutoff)
    slip = (out["effective_due"] - out["baseline_due"]).dt.days
    out["slip_days"] = slip.fillna(0).clip(lower=0).astype(int)
    return out


def status_counts(
    milestones: pd.DataFrame, by: str | None = None, statuses: Sequence[str] = STATUSES
) -> pd.DataFrame:
    """Counts by status, overall (one row) or one row per value of `by`; columns in status order."""
    if by is None:
        counts = milestones["status"].value_counts().reindex(list(statuses), fill_value=0)
        frame = counts.to_frame().T.reset_index(drop=True)
        frame.columns.name = None
        frame.insert(0, "Total", int(counts.sum()))
        return frame
    table = pd.crosstab(milestones[by], milestones["status"])
    table = table.reindex(columns=list(statuses), fill_value=0)
    table.columns.name = None
    table.insert(0, "Total", table.sum(axis=1))
    return table.sort_index()


def trend(snapshots: pd.DataFrame, statuses: Sequence[str] = STATUSES) -> pd.DataFrame:
    """Counts by status for every period (rows in period order)."""
    if snapshots.empty:  # filters that leave nothing: no rows, the same columns
        return pd.DataFrame(
            {"period": pd.Series(dtype=object)} | {s: pd.Series(dtype=int) for s in statuses}
        )
    table = pd.crosstab([snapshots["period_index"], snapshots["period"]], snapshots["status"])
    table = table.reindex(columns=list(statuses), fill_value=0).reset_index()
    table.columns.name = None
    return table.sort_values("period_index").drop(columns="period_index").reset_index(drop=True)


def overdue(milestones: pd.DataFrame) -> pd.DataFrame:
    """Open milestones due by the as-at date, most overdue first."""
    rows = milestones[milestones["overdue"]]
    return rows.sort_values(["effective_due", "ref"]).reset_index(drop=True)


def slipped(milestones: pd.DataFrame) -> pd.DataFrame:
    """Milestones whose expected date is later than their baseline, most slipped first."""
    rows = milestones[milestones["slip_days"] > 0]
    return rows.sort_values(["slip_days", "ref"], ascending=[False, True]).reset_index(drop=True)


def off_track(milestones: pd.DataFrame) -> pd.DataFrame:
    """Milestones rated Off track."""
    from .schema import OFF_TRACK

    return (
        milestones[milestones["status"] == OFF_TRACK]
        .sort_values("ref", key=natural)
        .reset_index(drop=True)
    )


def missing_updates(milestones: pd.DataFrame) -> pd.DataFrame:
    """Open milestones with no update received this period."""
    rows = milestones[~milestones["updated"] & ~milestones["status"].isin(list(CLOSED_STATUSES))]
    return rows.sort_values(["owner", "ref"]).reset_index(drop=True)


def missing_by_owner(milestones: pd.DataFrame) -> pd.DataFrame:
    """Per owner: open milestones, how many have no update this period, and their refs."""
    open_ = milestones[~milestones["status"].isin(list(CLOSED_STATUSES))]
    missing = open_[~open_["updated"]]
    out = open_.groupby("owner").size().rename("open").to_frame()
    out["missing"] = missing.groupby("owner").size().reindex(out.index, fill_value=0)
    out["refs"] = missing.groupby("owner")["ref"].agg(", ".join).reindex(out.index, fill_value="")
    return (
        out.reset_index()
        .sort_values(["missing", "owner"], ascending=[False, True])
        .reset_index(drop=True)
    )


def owner_summary(milestones: pd.DataFrame) -> pd.DataFrame:
    """Per owner (the index, named Owner): milestones, overdue, open ones with no update this
    period and their refs, as a reader's table."""
    total = milestones.groupby("owner").size().rename("Total")
    late = overdue(milestones).groupby("owner").size().rename("Overdue")
    missing = missing_by_owner(milestones).set_index("owner")[["missing", "refs"]]
    summary = (
        total.to_frame()
        .join(late)
        .join(
            missing.rename(
                columns={"missing": "No update this period", "refs": "Milestones with no update"}
            )
        )
        .fillna({"Overdue": 0, "No update this period": 0, "Milestones with no update": ""})
        .astype({"Overdue": int, "No update this period": int})
    )
    summary.index.name = "Owner"
    return summary


def returns_by_owner(milestones: pd.DataFrame) -> pd.DataFrame:
    """Per owner with open milestones: how many, how many were updated this period, and whether
    the owner has returned (Yes, Partly or No)."""
    open_ = milestones[~milestones["status"].isin(list(CLOSED_STATUSES))]
    table = (
        open_.groupby("owner")
        .agg(open=("ref", "size"), updated=("updated", "sum"))
        .reset_index()
        .astype({"updated": int})
    )
    table["returned"] = [
        "Yes" if u == n else ("Partly" if u else "No")
        for u, n in zip(table["updated"], table["open"], strict=True)
    ]
    return table


def changes(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """What changed between two as-at frames: status moves, new, cancelled and date changes."""
    joined = after.merge(
        before[["ref", "status", "effective_due"]],
        on="ref",
        how="left",
        suffixes=("", "_before"),
        indicator=True,
    )
    present = joined["_merge"] == "both"
    moved = joined[present & (joined["status"] != joined["status_before"])]
    moves = moved[["ref", "milestone", "owner", "status_before", "status"]].rename(
        columns={"status_before": "from", "status": "to"}
    )
    new = joined[~present][["ref", "milestone", "owner", "status", "due"]]
    cancelled = joined[(joined["status"] == CANCELLED) & (joined["status_before"] != CANCELLED)][
        ["ref", "milestone", "owner", "update"]
    ]
    dates = joined[
        present
        & joined["effective_due"].notna()
        & (joined["effective_due"] != joined["effective_due_before"])
    ][["ref", "milestone", "owner", "effective_due_before", "effective_due", "reason"]].rename(
        columns={"effective_due_before": "from", "effective_due": "to"}
    )
    flow = (
        moves.groupby(["from", "to"]).size().rename("count").reset_index()
        if not moves.empty
        else pd.DataFrame(columns=["from", "to", "count"])
    )
    return {
        "moves": moves.sort_values("ref", key=natural).reset_index(drop=True),
        "flow": flow,
        "new": new.sort_values("ref", key=natural).reset_index(drop=True),
        "cancelled": cancelled.sort_values("ref", key=natural).reset_index(drop=True),
        "dates": dates.sort_values("ref", key=natural).reset_index(drop=True),
    }


def date_change_log(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Every change of a milestone's expected date, period by period, with its reason."""
    frame = snapshots.sort_values(["ref", "period_index"]).copy()
    frame["expected"] = effective_due(frame)
    frame["previous"] = frame.groupby("ref")["expected"].shift()
    first = frame.groupby("ref").cumcount() == 0
    frame.loc[first, "previous"] = frame.loc[first, "baseline_due"]
    changed = frame["expected"].notna() & (frame["expected"] != frame["previous"])
    log = frame[changed][["ref", "period", "period_index", "previous", "expected", "reason"]]
    return log.rename(columns={"previous": "from", "expected": "to"}).reset_index(drop=True)


def burnup(snapshots: pd.DataFrame, ends: dict[int, date]) -> pd.DataFrame:
    """Per period: milestones due by its end (baseline and forecast) and complete by then."""
    rows = []
    for index, group in snapshots.groupby("period_index"):
        end = pd.Timestamp(ends[int(str(index))])
        live = group[group["status"] != CANCELLED]
        rows.append(
            {
                "period": group["period"].iloc[0],
                "end": end,
                "due_baseline": int((live["baseline_due"] <= end).sum()),
                "due_forecast": int((effective_due(live) <= end).sum()),
                "complete": int((live["status"] == COMPLETE).sum()),
                "total": len(live),
            }
        )
    return pd.DataFrame(
        rows, columns=["period", "end", "due_baseline", "due_forecast", "complete", "total"]
    )


_HEADERS = {
    "ref": "Ref",
    "milestone": "Milestone",
    "owner": "Owner",
    "status": "Status",
    "due": "Due",
    "reason": "Reason",
}
_CHANGE_HEADERS = {
    "moves": {"from": "From", "to": "To"},
    "new": {},
    "cancelled": {"update": "Why"},
    "dates": {"from": "Was expected", "to": "Now expected"},
}


def labelled(changes: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The frames of `changes()` with the column headings people read, defined once for the
    dashboard, the upload preview and the report."""
    return {
        kind: changes[kind].rename(columns={**_HEADERS, **extra})
        for kind, extra in _CHANGE_HEADERS.items()
    }
