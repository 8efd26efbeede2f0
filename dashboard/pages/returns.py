"""Returns tracker (editor): for a period, which owners have returned and which milestones still
have no update."""

from __future__ import annotations

from typing import Any

from dash import html

from dashboard.auth import can
from dashboard.components import no_plan, note, register, section, table
from dashboard.context import source
from dashboard.editing import not_allowed
from dashboard.filters import Filters
from socplan import metrics
from socplan.permissions import EDIT

FILTERS = ("period",)  # the filters this page uses; the filters bar hides the others


def layout(**query: Any) -> html.Div:
    """Who has returned for the period in the URL (editors only)."""
    if not can(EDIT):
        return not_allowed(EDIT)
    query.pop("plan", None)
    plan, period = Filters.from_query(query).only(FILTERS).apply(source().plan())
    if plan.latest is None:
        return no_plan("Returns")
    ms = plan.milestones(period)
    by_owner = metrics.returns_by_owner(ms).rename(
        columns={
            "owner": "Owner",
            "open": "Open milestones",
            "updated": "Updated",
            "returned": "Returned",
        }
    )
    waiting = metrics.missing_updates(ms)[["owner", "ref", "milestone", "status"]].rename(
        columns={"owner": "Owner", "ref": "Ref", "milestone": "Milestone", "status": "Last status"}
    )
    returned = int((by_owner["Returned"] == "Yes").sum())
    return html.Div(
        [
            html.H1(f"Returns for {period}"),
            note(
                f"{returned} of {len(by_owner)} owners have updated every open milestone; "
                f"{len(waiting)} open milestones have no update. Change the period with 'As at'."
            ),
            section("Owners", table(by_owner.sort_values(["Returned", "Owner"]))),
            section("Milestones with no update", table(waiting.sort_values(["Owner", "Ref"]))),
        ]
    )


register(__name__, "/returns", "Returns", layout, order=5, permission=EDIT, filters=FILTERS)
