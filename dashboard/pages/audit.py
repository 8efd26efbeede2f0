"""Audit and accounts (admin): the audit log, and adding, changing and removing accounts."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, html

from dashboard import ids
from dashboard.auth import can, current_user
from dashboard.components import aria, note, page_callback, register, section, table
from dashboard.context import accounts
from dashboard.editing import not_allowed
from socplan.accounts import AccountError, generate_password
from socplan.permissions import ADMINISTER, ROLE_NAMES


def layout(**_: Any) -> html.Div:
    """The audit log and the accounts (admins only)."""
    if not can(ADMINISTER):
        return not_allowed(ADMINISTER)
    log = (
        accounts()
        .audit_log(300)
        .rename(
            columns={
                "at": "When (UTC)",
                "username": "Who",
                "action": "What",
                "detail": "Detail",
                "address": "From",
            }
        )
    )
    people = (
        accounts()
        .list()
        .rename(columns={"username": "User", "role": "Role", "created_at": "Created"})
    )
    return html.Div(
        [
            html.H1("Audit and accounts"),
            section(
                "Accounts",
                table(people),
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                html.Label(
                                    "User name", htmlFor=ids.USER_NAME, className="form-label"
                                ),
                                dbc.Input(id=ids.USER_NAME, autoComplete="off"),
                            ],
                            md=4,
                        ),
                        dbc.Col(
                            [
                                html.Label("Role", htmlFor=ids.USER_ROLE, className="form-label"),
                                dbc.Select(
                                    id=ids.USER_ROLE,
                                    value="viewer",
                                    options=[{"label": r, "value": r} for r in ROLE_NAMES],
                                ),
                            ],
                            md=3,
                        ),
                        dbc.Col(
                            [
                                dbc.Button(
                                    "Add or change role",
                                    id=ids.USER_ADD,
                                    color="primary",
                                    className="me-2",
                                ),
                                dbc.Button(
                                    "Remove", id=ids.USER_REMOVE, color="danger", outline=True
                                ),
                            ],
                            md=5,
                            className="d-flex align-items-end",
                        ),
                    ],
                    className="g-2",
                ),
                html.Div(
                    id=ids.USER_MESSAGE, role="status", className="mt-2", **aria(live="polite")
                ),
            ),
            section(
                "Audit log (newest first)",
                note("Uploads, commits, restores, sign-ins and account changes."),
                table(log, limit=300),
            ),
        ]
    )


@page_callback(
    Output(ids.USER_MESSAGE, "children"),
    Input(ids.USER_ADD, "n_clicks"),
    State(ids.USER_NAME, "value"),
    State(ids.USER_ROLE, "value"),
    prevent_initial_call=True,
)
def add_or_change(_: int | None, name: str | None, role: str) -> Any:
    """Add an account (with a generated password shown once) or change its role."""
    admin = current_user()
    assert admin is not None
    name = (name or "").strip()
    try:
        if accounts().get(name):
            accounts().set_role(name, role, by=admin.username)
            return dbc.Alert(f"{name} is now {role}. Reload to see the list.", color="success")
        password = generate_password()
        accounts().add(name, role, password, by=admin.username)
    except AccountError as exc:
        return dbc.Alert(str(exc), color="danger")
    return dbc.Alert(
        [
            f"Added {name} as {role}. Password (shown once; pass it on safely): ",
            html.Code(password),
        ],
        color="success",
    )


@page_callback(
    Output(ids.USER_MESSAGE, "children", allow_duplicate=True),
    Input(ids.USER_REMOVE, "n_clicks"),
    State(ids.USER_NAME, "value"),
    prevent_initial_call=True,
)
def remove(_: int | None, name: str | None) -> Any:
    """Remove an account."""
    admin = current_user()
    assert admin is not None
    if (name or "").strip() == admin.username:
        return dbc.Alert("You cannot remove your own account.", color="danger")
    try:
        accounts().remove((name or "").strip(), by=admin.username)
    except AccountError as exc:
        return dbc.Alert(str(exc), color="danger")
    return dbc.Alert(f"Removed {name}.", color="success")


register(
    __name__,
    "/admin/audit",
    "Audit",
    layout,
    plan=False,
    order=7,
    title="Audit and accounts: delivery plan",
    permission=ADMINISTER,
    filters=(),
)
