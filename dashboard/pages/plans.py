"""The plans this person may see, each with its headline and a link in (the home page for people
who see several plans; someone who sees one is taken straight to it)."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth import can_on
from dashboard.components import aria, note, register, status_badge
from dashboard.context import sources
from dashboard.frame import visible_plans
from socplan import metrics
from socplan.periods import Period
from socplan.permissions import EDIT
from socplan.schema import OFF_TRACK, STATUSES
from socplan.store import Plan


def _card(plan: Plan) -> dbc.Col:
    # The panel's headline for people who do not edit this plan; with drafts for those who do.
    newest = sources().store.for_plan(plan.slug).newest(published=not can_on(plan.slug, EDIT))
    link = dcc.Link(plan.title, href=f"/plans/{plan.slug}")
    if newest is None:
        body: list[Any] = [html.P("No data yet: an editor uploads the first workbook.")]
    else:
        period, rows, changed = newest
        ms = metrics.with_measures(rows, period.end)
        counts = metrics.status_counts(ms).iloc[0]
        following: Period = period.next()
        body = [
            html.P(f"As at {period} ({period.end:%d %B %Y})", className="mb-2"),
            html.Ul(
                [
                    html.Li([status_badge(s), f": {int(counts[s])}"])
                    for s in STATUSES
                    if int(counts[s])
                ],
                className="list-unstyled plan-counts",
                **aria(label=f"Milestones by status, {plan.title}"),
            ),
            html.Dl(
                [
                    html.Dt("Off track"),
                    html.Dd(str(int((ms["status"] == OFF_TRACK).sum()))),
                    html.Dt("Overdue"),
                    html.Dd(str(int(ms["overdue"].sum()))),
                    html.Dt("Last update"),
                    html.Dd(f"{changed:%d %B %Y}"),
                    html.Dt("Next return"),
                    html.Dd(f"for {following} (ending {following.end:%d %B %Y})"),
                ],
                className="plan-facts",
            ),
        ]
    return dbc.Col(
        html.Section([html.H2(link, className="h4"), *body], className="plan-card"),
        md=6,
        xl=4,
    )


def layout(**_: Any) -> html.Div:
    """Every plan this person may see, each with its headline."""
    plans = visible_plans()
    if not plans:
        return html.Div(
            [
                html.H1("Delivery plans"),
                html.P(
                    "There is no plan here for you yet. An administrator can load the "
                    "illustrative plans with `socplan demo`, add one with `socplan plans add`, "
                    "or give you a role on a plan."
                ),
            ]
        )
    return html.Div(
        [
            html.H1("Delivery plans"),
            note("The plans you may see, each as at its newest period. Open one to read more."),
            dbc.Row([_card(p) for p in plans], className="g-3"),
        ]
    )


register(__name__, "/", "Plans", layout, plan=False, filters=(), title="Delivery plans")
