"""Overview: where the plan stands, what is off track, overdue or slipped, and the trend."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.components import chart, headline, note, register, section, table
from dashboard.context import here
from dashboard.source import View, viewer_page
from socplan.reporting.charts import build_chart
from socplan.schema import CLOSED_STATUSES


def _downloads(search: str, style: str, *files: tuple[str, str]) -> list[html.A]:
    """Download buttons, each a plain link (no JavaScript) to /export/FILE with the filters."""
    return [
        html.A(
            label,
            href=here(f"/export/{file}{search}"),
            download="",
            className=f"btn {style} btn-sm me-1",
        )
        for label, file in files
    ]


def _exceptions(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    return frame[list(columns)].rename(columns=columns)


def _layout(view: View) -> html.Div:
    filters, plan, period = view.filters, view.plan, view.period
    ms = plan.milestones(period)
    if ms.empty:
        return html.Div([html.H1("Overview"), note("No milestones match these filters.")])
    search = filters.search()
    off, overdue, slipped = plan.off_track(period), plan.overdue(period), plan.slipped(period)
    slipped = slipped[
        ~slipped["status"].isin(list(CLOSED_STATUSES))
    ]  # late but done is no exception

    def show(name: str) -> html.Figure:
        return chart(build_chart(plan, name, period), search)

    return html.Div(
        [
            html.H1(f"Overview as at {period.end:%d %B %Y} ({period})"),
            note(
                f"{len(plan.recommendations_at(period))} recommendations and {len(ms)} milestones. "
                f"{len(off)} off track, {len(overdue)} overdue, {len(slipped)} open with a later date than agreed."
            ),
            html.Div(
                [
                    html.Span("Panel report:", className="me-1"),
                    *_downloads(
                        search, "btn-primary", ("Word", "report.docx"), ("PDF", "report.pdf")
                    ),
                    html.Span("Data:", className="me-1 ms-2"),
                    *_downloads(
                        search, "btn-outline-primary", ("Excel", "data.xlsx"), ("CSV", "data.csv")
                    ),
                ],
                className="downloads mb-2 small",
            ),
            section("Where the plan stands", headline(plan.status_counts(period))),
            dbc.Row([dbc.Col(show("status"), lg=6), dbc.Col(show("by-theme"), lg=6)]),
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
            dbc.Row([dbc.Col(show("trend"), lg=6), dbc.Col(show("burnup"), lg=6)]),
            show("by-owner"),
        ]
    )


register(__name__, "/", "Overview", viewer_page("Overview", _layout), order=0, charts=True)
