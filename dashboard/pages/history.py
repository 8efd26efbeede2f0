"""History (editor): every revision with who, when, file and SHA-256; download the original file;
restore an earlier revision (a new revision; nothing is deleted)."""

from __future__ import annotations

from typing import Any, cast

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.auth import can, current_user
from dashboard.components import aria, note, page_callback, register
from dashboard.context import accounts, here, plan_slug, source
from dashboard.editing import not_allowed
from socplan.periods import Period
from socplan.permissions import EDIT
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
