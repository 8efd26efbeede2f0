"""Changes between any two periods: status moves, new and cancelled milestones, date changes."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from dashboard import ids
from dashboard.components import changes_sections, chart, note, page_callback, register
from dashboard.context import source
from dashboard.filters import Filters
from dashboard.source import View, viewer_page
from socplan.periods import Period, PeriodError
from socplan.reporting.charts import changes_chart


def _layout(view: View) -> html.Div:
    filters, plan, period = view.filters, view.plan, view.period
    earlier = [p for p in source().plan().periods if p < period]
    if not earlier:
        return html.Div(
            [
                html.H1("Changes"),
                note(f"{period} is the first period: there is nothing to compare with."),
            ]
        )
    try:
        since = (
            Period.parse(str(view.query.get("since"))) if view.query.get("since") else earlier[-1]
        )
    except PeriodError:
        since = earlier[-1]
    if since >= period:
        since = earlier[-1]
    out = plan.changes(since, period)
    return html.Div(
        [
            html.H1(f"Changes from {since} to {period}"),
            html.Div(
                [
                    html.Label("Compare with", htmlFor=ids.SINCE, className="form-label"),
                    dbc.Select(
                        id=ids.SINCE,
                        options=[{"label": p.label, "value": p.label} for p in reversed(earlier)],
                        value=since.label,
                        style={"maxWidth": "14rem"},
                    ),
                    dcc.Store(id=ids.SINCE_SHOWN, data=since.label),
                ],
                className="mb-3",
            ),
            note(
                f"{len(out['moves'])} status moves, {len(out['new'])} new milestones, "
                f"{len(out['cancelled'])} cancelled, {len(out['dates'])} date changes."
            ),
            chart(
                changes_chart(plan, period, since, flow=out["flow"]),
                filters.search(since=since.label),
            ),
            *changes_sections(out),
        ]
    )


# The comparison period, chosen from its list, goes into the URL beside the shared filters.
SINCE_INTO_URL = (
    Output(ids.URL, "search", allow_duplicate=True),
    Input(ids.SINCE, "value"),
    State(ids.URL, "search"),
    State(ids.SINCE_SHOWN, "data"),
)


@page_callback(*SINCE_INTO_URL, prevent_initial_call=True)
def choose_since(since: str | None, search: str | None, shown: str | None = None) -> Any:
    """Put the comparison period in the URL, beside the shared filters. The list reports its
    value when the page is drawn, too: the period the page already shows changes nothing (the
    URL changing would draw the whole page again)."""
    if not since or since == shown:
        return no_update
    return Filters.from_search(search).search(since=since)


register(__name__, "/changes", "Changes", viewer_page("Changes", _layout), order=3, charts=True)
