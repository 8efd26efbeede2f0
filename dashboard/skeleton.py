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
            *(
                kind(id=ident)
                for kind, ident in (
                    (dcc.Location, ids.URL),
                    (html.Div, ids.TITLE),
                    (html.Div, ids.ORG),
                    (html.Img, ids.LOGO),
                    (html.Span, ids.ROLE),
                    (html.Dl, ids.DEFINITIONS),
                    (html.Div, ids.FILTERS_BAR),
                    *((html.Div, box) for box in ids.FILTER_BOXES.values()),
                    (dbc.Select, ids.PERIOD),
                    (dbc.Checklist, ids.THEME),
                    (dbc.Checklist, ids.OWNER),
                    (dag.AgGrid, ids.GRID),
                    (dcc.Input, ids.GRID_SEARCH),
                    (dbc.Select, ids.SINCE),
                    (dcc.Store, ids.SINCE_SHOWN),
                    (dbc.Select, ids.UPLOAD_PERIOD),
                    (dbc.RadioItems, ids.UPLOAD_MODE),
                    (dcc.Upload, ids.UPLOAD),
                    (html.Div, ids.UPLOAD_RESULT),
                    (dcc.Store, ids.UPLOAD_TOKEN),
                    (html.Div, ids.UPLOAD_ACTIONS),
                    (dbc.Button, ids.UPLOAD_COMMIT),
                    (dbc.Button, ids.UPLOAD_CANCEL),
                    (html.Div, ids.UPLOAD_MESSAGE),
                    (html.Div, ids.RESTORE_MESSAGE),
                    (dbc.Input, ids.USER_NAME),
                    (dbc.Select, ids.USER_ROLE),
                    (dbc.Button, ids.USER_ADD),
                    (dbc.Button, ids.USER_REMOVE),
                    (html.Div, ids.USER_MESSAGE),
                    (dbc.Select, ids.ROUND_PERIOD),
                    (dbc.Input, ids.ROUND_DUE),
                    (dbc.Button, ids.ROUND_OPEN),
                    (html.Div, ids.ROUND_OPENED),
                    (dcc.Store, ids.ROUND_KEY),
                    (html.Div, ids.ROUND_STATES),
                    (html.Div, ids.ROUND_MESSAGE),
                    (dbc.Button, ids.ROUND_SEND),
                    (html.Div, ids.ROUND_SEND_MESSAGE),
                    (html.Div, ids.REVIEW),
                    (dbc.Button, ids.REVIEW_COMMIT),
                    (dcc.Store, ids.REVIEW_VERSION),
                    (html.Div, ids.ROUND_MISSING),
                    (html.Div, ids.REVIEW_MESSAGE),
                    (html.Div, ids.CONTACTS_TABLE),
                    (dbc.Select, ids.CONTACTS_OWNER),
                    (dbc.Textarea, ids.CONTACTS_LIST),
                    (dbc.Textarea, ids.CONTACTS_ESCALATION),
                    (dbc.RadioItems, ids.CONTACTS_FORMAT),
                    (dbc.Button, ids.CONTACTS_SAVE),
                    (html.Div, ids.CONTACTS_MESSAGE),
                )
            ),
            dcc.Link("", href="/", id=ids.RESET),
            dcc.Link("", href="/", id={"type": ids.NAV_LINK, "page": "/"}, className=""),
            dash.page_container,
            dcc.ConfirmDialogProvider(id={"type": ids.RESTORE, "period": "", "revision": 0}),
            html.Div(id={"type": ids.EVIDENCE_LIST, "ref": ""}),
            dcc.Upload(id={"type": ids.EVIDENCE_UPLOAD, "ref": ""}),
            dbc.Checklist(id={"type": ids.EVIDENCE_PUBLIC, "ref": ""}),
            html.Div(id={"type": ids.EVIDENCE_MESSAGE, "ref": ""}),
            html.Button(id={"type": ids.EVIDENCE_ACTION, "ref": "", "file": 0, "do": ""}),
            html.Div(id=ids.SIGN_OFF_MESSAGE),
            html.Div(id=ids.WITHDRAW_MESSAGE),
            dcc.ConfirmDialogProvider(id={"type": ids.SIGN_OFF, "period": "", "revision": 0}),
            dbc.Button(id={"type": ids.WITHDRAW, "period": ""}),
            dbc.Input(id={"type": ids.WITHDRAW_REASON, "period": ""}),
            html.Button(id={"type": ids.LINK_ACTION, "link": 0, "do": ""}),
            dbc.Checkbox(id={"type": ids.REVIEW_SELECT, "submission": 0}),
            dbc.Textarea(id={"type": ids.REVIEW_REASON, "submission": 0}),
            html.Button(id={"type": ids.REVIEW_REJECT, "submission": 0}),
        ]
    )
