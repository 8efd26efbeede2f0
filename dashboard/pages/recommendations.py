"""Recommendations: a searchable, sortable grid; each row opens its recommendation."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import dash_ag_grid as dag
import pandas as pd
from dash import Input, Output, dcc, html

from dashboard import ids
from dashboard.components import note, page_callback, register
from dashboard.context import here
from dashboard.source import View, viewer_page
from socplan.schema import COMPLETE, OFF_TRACK


def rows(recs: pd.DataFrame, ms: pd.DataFrame, search: str) -> list[dict[str, Any]]:
    """One grid row per recommendation with its milestone counts."""
    counts = (
        ms.assign(
            complete=ms["status"] == COMPLETE,
            off_track=ms["status"] == OFF_TRACK,
            slipped=ms["slip_days"] > 0,
        )
        .groupby("recommendation")
        .agg(
            milestones=("ref", "size"),
            complete=("complete", "sum"),
            off_track=("off_track", "sum"),
            overdue=("overdue", "sum"),
            slipped=("slipped", "sum"),
        )
    )
    table = recs.merge(counts, left_on="ref", right_index=True)
    table["sort_ref"] = table["ref"]
    # Refs come from workbooks: the grid shows them as text in a plain link (RefLink in
    # assets/dashAgGridFunctions.js), never as markdown, which would make URLs into links.
    table["href"] = (
        here("/recommendation/") + table["ref"].map(lambda r: quote(r, safe="")) + search
    )
    # Lines each row needs, estimated from its longest wrapped text at the columns' usual widths
    # (erring towards room to spare; what does not fit is whole on hover), for heights the grid can
    # still virtualise (see rowHeight in assets/dashAgGridFunctions.js).
    table["lines"] = [
        min(MAX_LINES, max(1, -(-len(t) // TEXT_CHARS), -(-len(lead) // LEAD_CHARS)))
        for t, lead in zip(table["text"].astype(str), table["lead"].astype(str), strict=True)
    ]
    columns = [
        "ref",
        "href",
        "lines",
        "sort_ref",
        "text",
        "theme",
        "lead",
        "milestones",
        "complete",
        "off_track",
        "overdue",
        "slipped",
    ]
    frame = table[columns].astype({c: int for c in columns[7:]})
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


COLUMNS = [
    {
        "field": "ref",
        "headerName": "Ref",
        "cellRenderer": "RefLink",
        "width": 120,
        "pinned": "left",
        "comparator": {"function": "naturalCompare(valueA, valueB)"},
    },
    {
        "field": "text",
        "headerName": "Recommendation",
        "flex": 4,
        "minWidth": 320,
        "wrapText": True,
        "tooltipField": "text",
        "cellClass": "clamp",  # cut at the row's height; the whole text on hover and on its page
    },
    {"field": "theme", "headerName": "Theme", "filter": "agTextColumnFilter", "width": 120},
    {
        "field": "lead",
        "headerName": "Lead",
        "filter": "agTextColumnFilter",
        "flex": 2,
        "wrapText": True,
        "tooltipField": "lead",
        "cellClass": "clamp",
        "minWidth": 150,
    },
    {
        "field": "milestones",
        "headerName": "Milestones",
        "filter": "agNumberColumnFilter",
        "width": 125,
    },
    {"field": "complete", "headerName": "Complete", "filter": "agNumberColumnFilter", "width": 115},
    {
        "field": "off_track",
        "headerName": "Off track",
        "filter": "agNumberColumnFilter",
        "width": 115,
    },
    {"field": "overdue", "headerName": "Overdue", "filter": "agNumberColumnFilter", "width": 110},
    {"field": "slipped", "headerName": "Slipped", "filter": "agNumberColumnFilter", "width": 110},
]


MAX_LINES = 12
TEXT_CHARS, LEAD_CHARS = 40, 20  # characters a line surely holds at the columns' usual widths
LINE_HEIGHT, ROW_PADDING, HEADER_HEIGHT = 21, 18, 50  # px; rowHeight in the JS uses the same


def _grid_height(rows: list[dict[str, Any]]) -> str:
    """Tall enough for every row of a short plan; a scrolling window onto a long one."""
    total = sum(ROW_PADDING + LINE_HEIGHT * int(r["lines"]) for r in rows)
    return f"min(75vh, {HEADER_HEIGHT + total + 4}px)"


def _layout(view: View) -> html.Div:
    filters, plan, period = view.filters, view.plan, view.period
    data = rows(plan.recommendations_at(period), plan.milestones(period), filters.search())
    return html.Div(
        [
            html.H1(f"Recommendations as at {period.end:%d %B %Y} ({period})"),
            note(
                "Search, sort by a column heading, or filter from a heading's menu. "
                "Select a reference to open the recommendation and its milestones."
            ),
            html.Label("Search recommendations", htmlFor=ids.GRID_SEARCH, className="form-label"),
            dcc.Input(
                id=ids.GRID_SEARCH,
                type="search",
                debounce=True,
                className="form-control mb-2",
                placeholder="Type words to search every column",
            ),
            dag.AgGrid(
                id=ids.GRID,
                rowData=data,
                columnDefs=COLUMNS,
                defaultColDef={"sortable": True, "resizable": True, "filter": True},
                # Rows of one fixed height and a grid of fixed height: AG Grid then draws only
                # the rows in view (auto-height rows, or an auto-height grid, draw every row).
                dashGridOptions={
                    "getRowHeight": {"function": "rowHeight(params)"},
                    "animateRows": False,
                    "ensureDomOrder": True,
                    "suppressColumnVirtualisation": True,
                    "tooltipShowDelay": 300,
                },
                className="ag-theme-alpine",
                style={"width": "100%", "height": _grid_height(data)},
            ),
            html.P(f"{len(data)} recommendations.", className="small mt-2"),
        ]
    )


@page_callback(
    Output(ids.GRID, "dashGridOptions"), Input(ids.GRID_SEARCH, "value"), prevent_initial_call=True
)
def search_grid(text: str | None) -> Any:
    """Apply the search box to every column."""
    from dash import Patch

    patch = Patch()
    patch["quickFilterText"] = text or ""
    return patch


register(
    __name__,
    "/recommendations",
    "Recommendations",
    viewer_page("Recommendations", _layout),
    order=1,
)
