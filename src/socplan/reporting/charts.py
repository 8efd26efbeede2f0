"""The named charts: each is a figure with its caption (key figures, used as alt text) and data.

One registry serves the dashboard, `socplan chart` and the panel report, so a chart reads the
same everywhere.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Concatenate, ParamSpec

import pandas as pd
import plotly.graph_objects as go

from ..model import DeliveryPlan
from ..periods import Period
from . import figures


@dataclass(frozen=True)
class Chart:
    """A chart ready to show or export."""

    name: str
    title: str
    figure: go.Figure
    caption: str
    data: pd.DataFrame


Args = ParamSpec("Args")


class UnknownChart(KeyError):
    """A chart name that is not in the registry."""


def draft_note(periods: list[Period]) -> str:
    """Which periods a draft is drawn from, in words."""
    labels = ", ".join(p.label for p in periods)
    return f"{labels} {'is' if len(periods) == 1 else 'are'} not signed off"


def _marked(
    build: Callable[Concatenate[DeliveryPlan, Period, Args], Chart],
) -> Callable[Concatenate[DeliveryPlan, Period, Args], Chart]:
    """A chart builder whose charts say DRAFT (on the figure, in the title and the alt text)
    when what they show draws on a period that is not signed off."""

    @functools.wraps(build)
    def marked(plan: DeliveryPlan, period: Period, *args: Args.args, **kw: Args.kwargs) -> Chart:
        chart = build(plan, period, *args, **kw)
        drafts = plan.draft_periods(period)
        if not drafts or chart.title.startswith("DRAFT: "):  # marked once only
            return chart
        note = draft_note(drafts)
        return replace(
            chart,
            title=f"DRAFT: {chart.title}",
            figure=figures.draft_marked(chart.figure, note),
            caption=f"Draft: {note}. {chart.caption}",
        )

    return marked


def _status(plan: DeliveryPlan, period: Period) -> Chart:
    counts = plan.status_counts(period)
    row = counts.iloc[0]
    parts = [f"{int(row[s])} {s}" for s in counts.columns if s != "Total" and int(row[s])]
    caption = (
        f"As at {period.end:%d %B %Y}, {int(row['Total'])} milestones: " + ", ".join(parts) + "."
    )
    title = f"Milestones by status, {period}"
    return Chart("status", title, figures.status_overall(counts, title), caption, counts)


def _by(by: str, label: str) -> Callable[[DeliveryPlan, Period], Chart]:
    def build(plan: DeliveryPlan, period: Period) -> Chart:
        counts = plan.status_counts(period, by=by)
        title = f"Status by {label.lower()}, {period}"
        caption = (
            f"Milestones by {label.lower()} and status as at {period.end:%d %B %Y}: "
            + "; ".join(
                f"{g}: {int(r['Complete'])} of {int(r['Total'])} complete"
                + (f", {int(r['Off track'])} off track" if int(r.get("Off track", 0)) else "")
                for g, r in counts.iterrows()
            )
            + "."
        )
        data = counts.reset_index().rename(columns={by: label})
        return Chart(f"by-{by}", title, figures.status_by(counts, label, title), caption, data)

    return build


def _up_to(table: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The rows of a per-period table up to `period` (none when the table has none)."""
    keep = pd.Series([Period.parse(p) <= period for p in table["period"]], index=table.index)
    return table.loc[keep.astype(bool)].reset_index(drop=True)


def _trend(plan: DeliveryPlan, period: Period) -> Chart:
    table = plan.trend()
    table = _up_to(table, period)
    caption = (
        "Status mix in each reporting period: "
        + "; ".join(
            f"{r['period']}: {int(r['Complete'])} complete, {int(r['On track'])} on track, "
            f"{int(r['At risk'])} at risk, {int(r['Off track'])} off track"
            for _, r in table.iterrows()
        )
        + "."
    )
    return Chart("trend", "Status mix by quarter", figures.trend(table), caption, table)


def _burnup(plan: DeliveryPlan, period: Period) -> Chart:
    table = plan.burnup()
    table = _up_to(table, period)
    if table.empty:
        caption = "No periods yet."
    else:
        last = table.iloc[-1]
        caption = (
            f"By the end of {last['period']}, {int(last['due_baseline'])} milestones were due as first "
            f"agreed and {int(last['due_forecast'])} as now forecast; {int(last['complete'])} were complete."
        )
    data = table.drop(columns=["end"]).rename(
        columns={
            "period": "Period",
            "due_baseline": "Due (baseline)",
            "due_forecast": "Due (forecast)",
            "complete": "Complete",
            "total": "Milestones",
        }
    )
    return Chart("burnup", "Milestones due and complete", figures.burnup(table), caption, data)


@_marked
def changes_chart(
    plan: DeliveryPlan,
    period: Period,
    since: Period | None = None,
    *,
    flow: pd.DataFrame | None = None,
) -> Chart:
    """Status moves from `since` (default: the quarter before) to `period` (`flow`, when the
    caller already has `plan.changes(since, period)["flow"]`)."""
    start = since or period.previous()
    if flow is None:
        flow = plan.changes(start, period)["flow"]
    moves = "; ".join(
        f"{int(r['count'])} from {r['from']} to {r['to']}" for _, r in flow.iterrows()
    )
    caption = f"Status moves from {start} to {period}: {moves or 'none'}."
    title = f"Status moves from {start} to {period}"
    data = flow.rename(columns={"from": "From", "to": "To", "count": "Milestones"})
    return Chart(
        "changes", title, figures.flow(flow, start.label, period.label, title), caption, data
    )


@_marked
def timeline_chart(plan: DeliveryPlan, period: Period, ref: str) -> Chart:
    """The milestones of one recommendation on a timeline."""
    ms = plan.milestones(period)
    ms = ms[ms["recommendation"] == ref]
    if ms.empty:
        raise UnknownChart(f"timeline-{ref}: there is no recommendation '{ref}' with milestones")
    done = int((ms["status"] == "Complete").sum())
    moved = int((ms["slip_days"] > 0).sum())
    caption = (
        f"{ref}: {len(ms)} milestones, {done} complete, {moved} expected later than first agreed. "
        f"Grey bars run from start to the agreed due date, hatched bars to a revised date; markers "
        f"show each milestone's status; the dashed line marks {period.end:%d %B %Y}."
    )
    data = ms[
        [
            "ref",
            "milestone",
            "owner",
            "start",
            "baseline_due",
            "effective_due",
            "status",
            "completed",
        ]
    ].rename(
        columns={
            "ref": "Ref",
            "milestone": "Milestone",
            "owner": "Owner",
            "start": "Start",
            "baseline_due": "Agreed due",
            "effective_due": "Now expected",
            "status": "Status",
            "completed": "Completed",
        }
    )
    title = f"Milestones of {ref}"
    return Chart(f"timeline-{ref}", title, figures.timeline(ms, period.end, title), caption, data)


REGISTRY: dict[str, tuple[str, Callable[[DeliveryPlan, Period], Chart]]] = {
    "status": ("Milestones by status (overall counts)", _status),
    "by-theme": ("Status by theme", _by("theme", "Theme")),
    "by-owner": ("Status by owner", _by("owner", "Owner")),
    "trend": ("Status mix by quarter", _trend),
    "burnup": ("Milestones due (baseline and forecast) against complete", _burnup),
    "changes": (
        "Status moves since the previous quarter (Sankey)",
        lambda p, q: changes_chart(p, q),
    ),
}


def chart_names(plan: DeliveryPlan | None = None) -> list[tuple[str, str]]:
    """Every chart name with a description; timelines are listed per recommendation."""
    names = [(name, description) for name, (description, _) in REGISTRY.items()]
    if plan is not None and plan.latest is not None:
        names += [
            (f"timeline-{r}", f"Milestone timeline of {r}")
            for r in plan.recommendations_at(plan.latest)["ref"]
        ]
    else:
        names.append(
            ("timeline-<ref>", "Milestone timeline of one recommendation, e.g. timeline-R1")
        )
    return names


def build_chart(plan: DeliveryPlan, name: str, period: Period | str | None = None) -> Chart:
    """The chart called `name` as at `period` (default: the newest), marked DRAFT when it
    draws on a period that is not signed off."""
    target = plan.resolve(period)
    if name.startswith("timeline-"):
        return timeline_chart(plan, target, name.removeprefix("timeline-"))
    if name not in REGISTRY:
        known = ", ".join(REGISTRY) + ", timeline-<ref>"
        raise UnknownChart(f"there is no chart '{name}'; use one of {known}")
    return _marked(REGISTRY[name][1])(plan, target)
