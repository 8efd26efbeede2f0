"""Partners: for each owner, the status mix, overdue milestones and updates missing this period."""

from __future__ import annotations

from dash import html

from dashboard.components import chart, note, register, section, table
from dashboard.source import View, viewer_page
from socplan import metrics
from socplan.reporting.charts import build_chart


def _layout(view: View) -> html.Div:
    filters, plan, period = view.filters, view.plan, view.period
    ms = plan.milestones(period)
    if ms.empty:
        return html.Div([html.H1("Partners"), note("No milestones match these filters.")])
    summary = metrics.owner_summary(ms)
    overdue = plan.overdue(period)
    late = summary[summary["No update this period"] > 0].index
    return html.Div(
        [
            html.H1(f"Partners as at {period.end:%d %B %Y} ({period})"),
            note(
                f"{len(summary)} owners. "
                + (
                    f"{len(late)} owners have open milestones with no update for {period}: "
                    + ", ".join(late)
                    + "."
                    if len(late)
                    else f"Every owner sent an update for {period}."
                )
            ),
            chart(build_chart(plan, "by-owner", period), filters.search()),
            section("Owners at a glance", table(summary, index=True)),
            section(
                f"Overdue as at {period.end:%d %B %Y}",
                table(
                    overdue[
                        ["owner", "ref", "milestone", "effective_due", "status", "update"]
                    ].rename(
                        columns={
                            "owner": "Owner",
                            "ref": "Ref",
                            "milestone": "Milestone",
                            "effective_due": "Due",
                            "status": "Status",
                            "update": "Latest update",
                        }
                    )
                ),
            ),
        ]
    )


register(__name__, "/partners", "Partners", viewer_page("Partners", _layout), order=2, charts=True)
