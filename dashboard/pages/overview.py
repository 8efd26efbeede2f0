"""Overview: where the plan stands, what is off track, overdue or slipped, and the trend."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.components import chart, counts_caption, headline, note, section, table
from dashboard.context import source
from dashboard.filters import Filters
from socplan import figures
from socplan.schema import CLOSED_STATUSES

dash.register_page(__name__, path="/", title="Overview: delivery plan", name="Overview", order=0)


def _exceptions(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    return frame[list(columns)].rename(columns=columns)


def layout(**query: Any) -> html.Div:
    """The overview page for the filters in the URL."""
    plan, period = Filters.from_query(query).apply(source().plan())
    counts = plan.status_counts(period)
    ms = plan.milestones(period)
    if ms.empty:
        return html.Div([html.H1("Overview"), note("No milestones match these filters.")])
    by_theme = plan.status_counts(period, by="theme")
    by_owner = plan.status_counts(period, by="owner")
    trend = plan.trend()
    burn = plan.burnup()
    off, overdue, slipped = plan.off_track(period), plan.overdue(period), plan.slipped(period)
    slipped = slipped[
        ~slipped["status"].isin(list(CLOSED_STATUSES))
    ]  # late but done is no exception
    latest = burn.iloc[-1] if len(burn) else None
    return html.Div(
        [
            html.H1(f"Overview as at {period.end:%d %B %Y} ({period})"),
            note(
                f"{len(plan.recommendations_at(period))} recommendations and {len(ms)} milestones. "
                f"{len(off)} off track, {len(overdue)} overdue, {len(slipped)} open with a later date than agreed."
            ),
            section("Where the plan stands", headline(counts)),
            dbc.Row(
                [
                    dbc.Col(
                        chart(
                            figures.status_overall(counts),
                            counts_caption(counts),
                            counts,
                            name="status",
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        chart(
                            figures.status_by(by_theme, "Theme"),
                            "Status of milestones in each theme: "
                            + "; ".join(
                                f"{t} {int(r['Complete'])} of {int(r['Total'])} complete"
                                for t, r in by_theme.iterrows()
                            ),
                            by_theme,
                            name="by-theme",
                            index=True,
                        ),
                        lg=6,
                    ),
                ]
            ),
            section(
                "Exceptions",
                html.H3(f"Off track ({len(off)})"),
                table(
                    _exceptions(
                        off,
                        {
                            "ref": "Ref",
                            "milestone": "Milestone",
                            "owner": "Owner",
                            "effective_due": "Due",
                            "update": "Corrective action",
                        },
                    )
                ),
                html.H3(f"Overdue as at {period.end:%d %B %Y} ({len(overdue)})"),
                table(
                    _exceptions(
                        overdue,
                        {
                            "ref": "Ref",
                            "milestone": "Milestone",
                            "owner": "Owner",
                            "effective_due": "Due",
                            "status": "Status",
                            "update": "Latest update",
                        },
                    )
                ),
                html.H3(f"Slipped: open and expected later than agreed ({len(slipped)})"),
                table(
                    _exceptions(
                        slipped,
                        {
                            "ref": "Ref",
                            "milestone": "Milestone",
                            "owner": "Owner",
                            "baseline_due": "Agreed",
                            "effective_due": "Now expected",
                            "slip_days": "Days later",
                            "reason": "Reason",
                            "update": "Latest update",
                        },
                    )
                ),
            ),
            dbc.Row(
                [
                    dbc.Col(
                        chart(
                            figures.trend(trend),
                            "Status mix in each reporting period: "
                            + "; ".join(
                                f"{r['period']}: {int(r['Complete'])} complete, {int(r['Off track'])} off track"
                                for _, r in trend.iterrows()
                            ),
                            trend,
                            name="trend",
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        chart(
                            figures.burnup(burn),
                            (
                                f"By {latest['period']}, {int(latest['due_baseline'])} milestones were due as agreed, "
                                f"{int(latest['due_forecast'])} as now forecast, and {int(latest['complete'])} were complete."
                                if latest is not None
                                else "No periods yet."
                            ),
                            burn.drop(columns=["end"]),
                            name="burnup",
                        ),
                        lg=6,
                    ),
                ]
            ),
            chart(
                figures.status_by(by_owner, "Owner"),
                "Status of milestones for each owner: "
                + "; ".join(f"{o} {int(r['Total'])}" for o, r in by_owner.iterrows()),
                by_owner,
                name="by-owner",
                index=True,
            ),
        ]
    )
