"""The layout Dash checks callbacks against, built from component types and ids alone.

Left to itself, Dash Pages renders every page once (with whatever data and whichever user the
first request brings) and embeds the result in every index page it serves. That would send,
say, the History page's file list to a panel member, and costs a render of every page. This
skeleton names every component a callback uses and carries no data.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from . import ids


def skeleton() -> html.Div:
    """Every callback's components, empty."""
    return html.Div(
        [
            dcc.Location(id=ids.URL),
            html.Div(id=ids.FILTERS_BAR),
            *(html.Div(id=box) for box in ids.FILTER_BOXES.values()),
            dcc.Link("", href="/", id=ids.RESET),
            dbc.Select(id=ids.PERIOD),
            dbc.Checklist(id=ids.THEME),
            dbc.Checklist(id=ids.OWNER),
            dcc.Link("", href="/", id={"type": ids.NAV_LINK, "page": "/"}),
            dash.page_container,
            dag.AgGrid(id=ids.GRID),
            dcc.Input(id=ids.GRID_SEARCH),
            dbc.Select(id=ids.SINCE),
            dbc.Select(id=ids.UPLOAD_PERIOD),
            dbc.RadioItems(id=ids.UPLOAD_MODE),
            dcc.Upload(id=ids.UPLOAD),
            html.Div(id=ids.UPLOAD_RESULT),
            dcc.Store(id=ids.UPLOAD_TOKEN),
            html.Div(id=ids.UPLOAD_ACTIONS),
            dbc.Button(id=ids.UPLOAD_COMMIT),
            dbc.Button(id=ids.UPLOAD_CANCEL),
            html.Div(id=ids.UPLOAD_MESSAGE),
            dcc.ConfirmDialogProvider(id={"type": ids.RESTORE, "period": "", "revision": 0}),
            html.Div(id=ids.RESTORE_MESSAGE),
            dbc.Input(id=ids.USER_NAME),
            dbc.Select(id=ids.USER_ROLE),
            dbc.Button(id=ids.USER_ADD),
            dbc.Button(id=ids.USER_REMOVE),
            html.Div(id=ids.USER_MESSAGE),
        ]
    )
