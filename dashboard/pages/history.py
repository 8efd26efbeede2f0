"""History (editor): each period's sign-off state, with Sign off and Withdraw for those who may;
every revision with who, when, file and SHA-256; download the original file; restore an earlier
revision (a new revision; nothing is deleted)."""

from __future__ import annotations

from typing import Any, cast

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.auth import can, current_user
from dashboard.components import aria, note, page_callback, register
from dashboard.context import accounts, here, plan_slug, source
from dashboard.editing import not_allowed
from socplan import signoffs
from socplan.periods import Period
from socplan.permissions import EDIT, SIGN_OFF
from socplan.store import StoreError


def layout(**_: Any) -> html.Div:
    """The revisions of every period (editors only)."""
    if not can(EDIT):
        return not_allowed(EDIT)
    history = source().store.history()
    current = history.groupby("period")["revision"].transform("max") == history["revision"]
    rows = []
    records = cast(list[dict[str, Any]], history.iloc[::-1].to_dict("records"))
    for r, is_current in zip(records, current.iloc[::-1], strict=True):
        restore = (
            html.Span("current", className="badge text-bg-success")
            if is_current
            else dcc.ConfirmDialogProvider(
                dbc.Button("Restore", size="sm", color="secondary", outline=True),
                id={"type": ids.RESTORE, "period": r["period"], "revision": int(r["revision"])},
                message=f"Make revision {r['revision']} of {r['period']} current again? "
                "This adds a new revision; nothing is deleted.",
            )
        )
        download = (
            html.A("Download", href=here(f"/files/import/{r['id']}"), download="")
            if r["kind"] != "restore"
            else html.Span(r["note"])
        )
        rows.append(
            html.Tr(
                [
                    html.Td(r["period"]),
                    html.Td(str(r["revision"])),
                    html.Td(r["kind"]),
                    html.Td(r["file_name"]),
                    html.Td(html.Code(r["sha256"][:16] + "…", title=r["sha256"])),
                    html.Td(r["imported_by"]),
                    html.Td(f"{r['imported_at']:%d %b %Y %H:%M}"),
                    html.Td(download),
                    html.Td(restore),
                ]
            )
        )
    head = html.Thead(
        html.Tr(
            [
                html.Th(h, scope="col")
                for h in (
                    "Period",
                    "Revision",
                    "Kind",
                    "File",
                    "SHA-256",
                    "By",
                    "When (UTC)",
                    "Original",
                    "Restore",
                )
            ]
        )
    )
    return html.Div(
        [
            html.H1("History of imports"),
            _sign_off_section(),
            note(
                "Newest first. Restoring an earlier revision makes it current again as a new revision."
            ),
            html.Div(id=ids.RESTORE_MESSAGE, role="status", **aria(live="polite")),
            html.Div(
                html.Table([head, html.Tbody(rows)], className="table table-sm table-striped"),
                className="table-responsive",
            ),
        ]
    )


def _sign_off_action(state: signoffs.PeriodState) -> Any:
    """Sign off (a draft) or withdraw with a reason (a published period), for those who may."""
    label = state.period.label
    if not can(SIGN_OFF):
        return ""
    if state.draft:
        return dcc.ConfirmDialogProvider(
            dbc.Button(f"Sign off revision {state.revision}", size="sm", color="primary"),
            id={"type": ids.SIGN_OFF, "period": label, "revision": state.revision},
            message=f"Publish {label} revision {state.revision} to the panel?",
        )
    return html.Div(
        [
            html.Label(  # the input inside its label: a pattern id cannot be a label's target
                [
                    html.Span(f"Reason for withdrawing {label}", className="visually-hidden"),
                    dbc.Input(
                        id={"type": ids.WITHDRAW_REASON, "period": label},
                        placeholder="Reason for withdrawing",
                        maxLength=signoffs.REASON_MAX,
                        size="sm",
                    ),
                ],
                className="flex-grow-1 mb-0",
            ),
            dbc.Button(
                "Withdraw",
                id={"type": ids.WITHDRAW, "period": label},
                size="sm",
                color="danger",
                outline=True,
            ),
        ],
        className="d-flex gap-2",
    )


def _sign_off_section() -> html.Section:
    """Each period's state: draft or published (which revision, by whom, when)."""
    rows = []
    for state in reversed(signoffs.period_states(source().store)):
        last = (
            f"{'signed off' if state.action == 'sign-off' else 'withdrawn'} by {state.by}, "
            f"{state.at:%d %b %Y %H:%M}" + (f": {state.reason}" if state.reason else "")
            if state.at
            else "never signed off"
        )
        badge = "text-bg-danger" if state.draft else "text-bg-success"
        rows.append(
            html.Tr(
                [
                    html.Td(state.period.label),
                    html.Td(html.Span(state.describe, className=f"badge {badge}")),
                    html.Td(last),
                    html.Td(_sign_off_action(state)),
                ]
            )
        )
    head = html.Thead(
        html.Tr([html.Th(h, scope="col") for h in ("Period", "State", "Last sign-off", "Action")])
    )
    return html.Section(
        [
            html.H2("Sign-off"),
            note(
                "The panel sees only published periods, each as it was signed off; an import, "
                "restore or return makes the period a draft again until it is signed off again."
            ),
            html.Div(id=ids.SIGN_OFF_MESSAGE, role="status", **aria(live="polite")),
            html.Div(id=ids.WITHDRAW_MESSAGE, role="status", **aria(live="polite")),
            html.Div(
                html.Table([head, html.Tbody(rows)], className="table table-sm"),
                className="table-responsive",
            ),
            html.H2("Imports"),
        ]
    )


@page_callback(
    Output(ids.SIGN_OFF_MESSAGE, "children"),
    Input({"type": ids.SIGN_OFF, "period": ALL, "revision": ALL}, "submit_n_clicks"),
    prevent_initial_call=True,
)
def sign_off(clicks: list[int | None]) -> Any:
    """Sign off the period whose button was confirmed, at the revision shown."""
    if not any(clicks) or not isinstance(ctx.triggered_id, dict) or not can(SIGN_OFF):
        return no_update
    user = current_user()
    assert user is not None
    period = Period.parse(ctx.triggered_id["period"])
    revision = int(ctx.triggered_id["revision"])
    try:
        signoffs.sign_off(source().store, period, user.username, revision=revision)
    except StoreError as exc:
        return dbc.Alert(str(exc), color="danger")
    accounts().audit(
        user.username, "sign-off", f"{period} revision {revision} signed off", plan=plan_slug()
    )
    return dbc.Alert(
        f"Signed off {period} revision {revision}: the panel sees it now. Reload to see the list.",
        color="success",
    )


@page_callback(
    Output(ids.WITHDRAW_MESSAGE, "children"),
    Input({"type": ids.WITHDRAW, "period": ALL}, "n_clicks"),
    State({"type": ids.WITHDRAW_REASON, "period": ALL}, "value"),
    prevent_initial_call=True,
)
def withdraw(clicks: list[int | None], reasons: list[str | None]) -> Any:
    """Withdraw the period whose button was pressed, with the reason typed beside it."""
    if not any(clicks) or not isinstance(ctx.triggered_id, dict) or not can(SIGN_OFF):
        return no_update
    user = current_user()
    assert user is not None
    label = ctx.triggered_id["period"]
    period = Period.parse(label)
    given = dict(zip([i["id"]["period"] for i in ctx.states_list[0]], reasons, strict=True)).get(
        label
    )
    try:
        state = signoffs.withdraw(source().store, period, user.username, given or "")
    except (StoreError, ValueError) as exc:
        return dbc.Alert(str(exc), color="danger")
    accounts().audit(
        user.username, "withdraw", f"{period} withdrawn: {state.reason}", plan=plan_slug()
    )
    return dbc.Alert(
        f"Withdrew {period}: the panel no longer sees it. Reload to see the list.",
        color="success",
    )


@page_callback(
    Output(ids.RESTORE_MESSAGE, "children"),
    Input({"type": ids.RESTORE, "period": ALL, "revision": ALL}, "submit_n_clicks"),
    prevent_initial_call=True,
)
def restore(clicks: list[int | None]) -> Any:
    """Restore the revision whose button was confirmed."""
    if not any(clicks) or not isinstance(ctx.triggered_id, dict):
        return no_update
    user = current_user()
    assert user is not None
    period = Period.parse(ctx.triggered_id["period"])
    revision = int(ctx.triggered_id["revision"])
    try:
        made = source().store.restore(period, revision, user.username)
    except StoreError as exc:
        return dbc.Alert(str(exc), color="danger")
    accounts().audit(
        user.username,
        "restore",
        f"{period} revision {revision} as revision {made.revision}",
        plan=plan_slug(),
    )
    return dbc.Alert(
        f"Restored {period} revision {revision} as revision {made.revision}. Reload to see the list.",
        color="success",
    )


register(__name__, "/history", "History", layout, order=6, permission=EDIT, filters=())
