"""Contacts (editor): who to ask for each owner's return, who to escalate to, and the workbook
format each owner prefers. Contacts are personal data: this page, its callbacks (edit- ids, so
the server refuses them to anyone but editors) and nothing else show them."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, html, no_update

from dashboard import ids
from dashboard.auth import can, current_user
from dashboard.components import aria, no_plan, note, page_callback, register, section, table
from dashboard.context import source
from dashboard.editing import not_allowed
from socplan.contacts import (
    FORMATS,
    ContactError,
    Contacts,
    OwnerContacts,
    format_lines,
    parse_lines,
)
from socplan.permissions import EDIT
from socplan.store import StoreError

CONTACTS_FIELD, ESCALATION_FIELD = "Contacts", "Escalation contacts"
TEXT_MAX = 20_000  # far more than any owner's list of people


def _contacts() -> Contacts:
    return Contacts(source().store)


def _owners(kept: dict[str, OwnerContacts]) -> list[str]:
    """The plan's owners and any owner with contacts kept, in order."""
    return sorted(set(source().plan().owners) | set(kept))


def contacts_table(kept: dict[str, OwnerContacts], owners: list[str]) -> html.Div:
    """Each owner's contacts, escalation contacts and workbook format."""

    def lines(people: Any) -> str:
        return "; ".join(format_lines(people).splitlines()) or "none"

    rows = [
        {
            "Owner": owner,
            CONTACTS_FIELD: lines(kept[owner].contacts) if owner in kept else "none",
            ESCALATION_FIELD: lines(kept[owner].escalation) if owner in kept else "none",
            "Workbook": f".{kept[owner].workbook_format}" if owner in kept else ".xlsx",
        }
        for owner in owners
    ]
    frame = pd.DataFrame(rows, columns=["Owner", CONTACTS_FIELD, ESCALATION_FIELD, "Workbook"])
    return table(frame, caption="Who to ask for each owner's return", limit=1000)


def _textarea(label: str, ident: str, hint: str) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=ident, className="form-label"),
            dbc.Textarea(id=ident, rows=4, maxLength=TEXT_MAX, className="font-monospace"),
            html.Div(hint, className="form-text"),
        ],
        className="mb-3",
    )


def layout(**_: Any) -> html.Div:
    """The owners' contacts and the form to change one owner's (editors only)."""
    if not can(EDIT):
        return not_allowed(EDIT)
    if source().plan().latest is None:
        return no_plan("Contacts")
    kept = _contacts().all()
    owners = _owners(kept)
    hint = "One a line: Name <name@example.org>, or the address alone."
    return html.Div(
        [
            html.H1("Contacts"),
            note(
                "Who receives each owner's update link and reminders, and who is told when a "
                "return is late. These are personal data: only editors see them, and they are "
                "never shown to viewers or published."
            ),
            html.Div(contacts_table(kept, owners), id=ids.CONTACTS_TABLE),
            section(
                "Change an owner's contacts",
                html.Div(
                    [
                        html.Label("Owner", htmlFor=ids.CONTACTS_OWNER, className="form-label"),
                        dbc.Select(
                            id=ids.CONTACTS_OWNER,
                            value=owners[0] if owners else None,
                            options=[{"label": o, "value": o} for o in owners],
                        ),
                    ],
                    className="mb-3 col-md-6",
                ),
                _textarea(CONTACTS_FIELD, ids.CONTACTS_LIST, hint),
                _textarea(
                    ESCALATION_FIELD,
                    ids.CONTACTS_ESCALATION,
                    hint + " Told when the owner's return is late.",
                ),
                html.Fieldset(
                    [
                        html.Legend("Workbook format", className="form-label fs-6"),
                        dbc.RadioItems(
                            id=ids.CONTACTS_FORMAT,
                            value="xlsx",
                            inline=True,
                            options=[
                                {"label": "Excel (.xlsx)", "value": "xlsx"},
                                {"label": "OpenDocument (.ods)", "value": "ods"},
                            ],
                        ),
                    ],
                    className="mb-3",
                ),
                dbc.Button("Save", id=ids.CONTACTS_SAVE, color="primary"),
                html.Div(
                    id=ids.CONTACTS_MESSAGE,
                    role="status",
                    className="mt-2",
                    **aria(live="polite"),
                ),
            ),
        ]
    )


@page_callback(
    Output(ids.CONTACTS_LIST, "value"),
    Output(ids.CONTACTS_ESCALATION, "value"),
    Output(ids.CONTACTS_FORMAT, "value"),
    Input(ids.CONTACTS_OWNER, "value"),
)
def fill(owner: str | None) -> Any:
    """The chosen owner's contacts, escalation contacts and format, ready to change."""
    if not owner:
        return "", "", "xlsx"
    found = _contacts().all().get(owner, OwnerContacts(owner))
    return format_lines(found.contacts), format_lines(found.escalation), found.workbook_format


@page_callback(
    Output(ids.CONTACTS_MESSAGE, "children"),
    Output(ids.CONTACTS_TABLE, "children"),
    Input(ids.CONTACTS_SAVE, "n_clicks"),
    State(ids.CONTACTS_OWNER, "value"),
    State(ids.CONTACTS_LIST, "value"),
    State(ids.CONTACTS_ESCALATION, "value"),
    State(ids.CONTACTS_FORMAT, "value"),
    prevent_initial_call=True,
)
def save(
    clicks: int | None,
    owner: str | None,
    contacts: str | None,
    escalation: str | None,
    fmt: str | None,
) -> Any:
    """Keep the owner's contacts as typed (every line checked before anything is written)."""
    if not clicks:
        return no_update, no_update
    user = current_user()
    assert user is not None  # the server refuses edit- callbacks to anyone but editors
    try:
        if fmt not in FORMATS:
            raise ContactError("Workbook format: choose .xlsx or .ods")
        saved = _contacts().set(
            owner or "",
            parse_lines((contacts or "")[:TEXT_MAX], CONTACTS_FIELD),
            escalation=parse_lines((escalation or "")[:TEXT_MAX], ESCALATION_FIELD),
            workbook_format=fmt,
            by=user.username,
        )
    except (ContactError, StoreError) as exc:
        return dbc.Alert(f"Not saved: {exc}.", color="danger"), no_update
    kept = _contacts().all()
    return (
        dbc.Alert(
            f"Saved {saved.owner}: {len(saved.contacts)} "
            f"{'contact' if len(saved.contacts) == 1 else 'contacts'}, "
            f"{len(saved.escalation)} escalation, .{saved.workbook_format}.",
            color="success",
        ),
        contacts_table(kept, _owners(kept)),
    )


register(
    __name__,
    "/contacts",
    "Contacts",
    layout,
    order=5.5,  # after Returns
    title="Contacts: delivery plan",
    permission=EDIT,
    filters=(),
)
