"""Upload (editor): choose the period and kind of return, drop workbooks, read every problem,
preview the changes, then Commit or Cancel."""

from __future__ import annotations

import base64
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from dashboard import ids
from dashboard.auth import can, current_user
from dashboard.components import aria, note, page_callback, register
from dashboard.context import accounts, here, plan_slug, settings, source
from dashboard.editing import not_allowed, preview_view, problems
from socplan.intake import staging
from socplan.intake.safety import Limits
from socplan.intake.uploads import check_returns, commit_returns, period_choices
from socplan.intake.workbook import Vocabulary
from socplan.periods import Period
from socplan.permissions import EDIT
from socplan.store import StalePreview

HIDDEN = {"display": "none"}
# What the file chooser offers; the server checks every file's content whatever its name.
ACCEPT = ".xlsx,.ods,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet," + (
    "application/vnd.oasis.opendocument.spreadsheet"
)
SHOWN = {"display": "block"}


def layout(**_: Any) -> html.Div:
    """The upload form (editors only)."""
    if not can(EDIT):
        return not_allowed(EDIT)
    plan = source().plan()
    choices = [p.label for p in period_choices(plan)]
    config = settings()
    return html.Div(
        [
            html.H1("Upload quarterly returns"),
            note(
                "Check a workbook before anything is stored: you will see every problem with its sheet and "
                "cell, and what would change, before you commit."
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.Label(
                                "Reporting period",
                                htmlFor=ids.UPLOAD_PERIOD,
                                className="form-label",
                            ),
                            dbc.Select(
                                id=ids.UPLOAD_PERIOD,
                                value=choices[0],
                                options=[
                                    {"label": c + (" (next due)" if i == 0 else ""), "value": c}
                                    for i, c in enumerate(choices)
                                ],
                            ),
                        ],
                        md=4,
                    ),
                    dbc.Col(
                        html.Fieldset(
                            [
                                html.Legend("Kind of return", className="form-label"),
                                dbc.RadioItems(
                                    id=ids.UPLOAD_MODE,
                                    value="full",
                                    options=[
                                        {"label": "Full return: the whole plan", "value": "full"},
                                        {
                                            "label": "Partial return: some milestones (one partner)",
                                            "value": "partial",
                                        },
                                    ],
                                ),
                            ]
                        ),
                        md=5,
                    ),
                    dbc.Col(
                        html.Div(
                            [
                                html.A(
                                    "Download the pre-filled template",
                                    href=here("/files/template.xlsx"),
                                    className="btn btn-outline-primary btn-sm me-2",
                                ),
                                html.A(
                                    "Download it as .ods (OpenDocument)",
                                    href=here("/files/template.ods"),
                                    className="btn btn-outline-primary btn-sm",
                                ),
                            ]
                        ),
                        md=3,
                        className="d-flex align-items-end",
                    ),
                ],
                className="g-3 mb-3",
            ),
            html.Label(
                [
                    html.Span(
                        "Workbooks to check (.xlsx or .ods; one or more)",
                        className="form-label d-block",
                    ),
                    dcc.Upload(
                        id=ids.UPLOAD,
                        children=html.Div(
                            [
                                "Drop .xlsx or .ods workbooks here, or ",
                                html.Span("choose files", className="link"),
                            ]
                        ),
                        multiple=True,
                        accept=ACCEPT,
                        max_size=config.max_upload_mb * 1024 * 1024,
                        className="upload-zone",
                    ),
                ],
                className="w-100",
            ),
            dcc.Loading(html.Div(id=ids.UPLOAD_RESULT, className="mt-3")),
            dcc.Store(id=ids.UPLOAD_TOKEN),
            html.Div(
                [
                    dbc.Button("Commit", id=ids.UPLOAD_COMMIT, color="primary", className="me-2"),
                    dbc.Button("Cancel", id=ids.UPLOAD_CANCEL, color="secondary", outline=True),
                ],
                id=ids.UPLOAD_ACTIONS,
                style=HIDDEN,
                className="my-3",
            ),
            html.Div(id=ids.UPLOAD_MESSAGE, role="status", **aria(live="polite")),
        ]
    )


def _decode(contents: list[str], names: list[str]) -> list[tuple[str, bytes]]:
    files = []
    for content, name in zip(contents, names, strict=True):
        _, encoded = content.split(",", 1)
        files.append((name, base64.b64decode(encoded)))
    return files


def _vocabulary() -> Vocabulary:
    return Vocabulary.from_settings(settings())


def _limits() -> Limits:
    """The caps on each workbook and on the child process that parses it, from the settings."""
    return Limits.from_settings(settings())


def _staged_outputs(button: str) -> list[Any]:
    """What Commit and Cancel both change (the result, the token, the buttons, the message),
    from a click on `button`, with the staged token."""
    return [
        *(
            Output(component, prop, allow_duplicate=True)
            for component, prop in (
                (ids.UPLOAD_RESULT, "children"),
                (ids.UPLOAD_TOKEN, "data"),
                (ids.UPLOAD_ACTIONS, "style"),
                (ids.UPLOAD_MESSAGE, "children"),
            )
        ),
        Input(button, "n_clicks"),
        State(ids.UPLOAD_TOKEN, "data"),
    ]


def _who() -> str:
    user = current_user()
    assert user is not None  # the server refuses edit- callbacks to anyone but editors
    return user.username


@page_callback(
    Output(ids.UPLOAD_RESULT, "children"),
    Output(ids.UPLOAD_TOKEN, "data"),
    Output(ids.UPLOAD_ACTIONS, "style"),
    Output(ids.UPLOAD_MESSAGE, "children"),
    Input(ids.UPLOAD, "contents"),
    State(ids.UPLOAD, "filename"),
    State(ids.UPLOAD_PERIOD, "value"),
    State(ids.UPLOAD_MODE, "value"),
    prevent_initial_call=True,
)
def check_upload(
    contents: list[str] | None, names: list[str] | None, period: str, mode: str
) -> Any:
    """Check the dropped files; with no errors, stage them and show the preview."""
    if not contents or not names:
        return no_update, no_update, no_update, no_update
    files = _decode(contents, names)
    target = Period.parse(period)
    partial = mode == "partial"
    store = source().store
    checked = check_returns(
        store,
        source().plan(),
        files,
        target,
        partial=partial,
        vocabulary=_vocabulary(),
        limits=_limits(),
    )
    errors = sum(len(o.report.errors) for _, o in checked.outcomes)
    accounts().audit(
        _who(),
        "upload",
        f"{', '.join(names)} for {target} ({mode}): {errors} errors",
        plan=plan_slug(),
    )
    if not checked.ok or checked.preview is None:
        return problems(checked), None, HIDDEN, ""
    token = staging.stage(store, _who(), target, partial, checked.last_import, files)
    return html.Div([problems(checked), preview_view(checked.preview)]), token, SHOWN, ""


@page_callback(*_staged_outputs(ids.UPLOAD_COMMIT), prevent_initial_call=True)
def commit(_: int | None, token: str | None) -> Any:
    """Store the staged returns; refuse if the preview has gone stale, showing a fresh one."""
    store = source().store
    staged = staging.fetch(store, token or "", _who())
    if staged is None:
        return (
            "",
            None,
            HIDDEN,
            dbc.Alert("Nothing to commit: upload the workbooks again.", color="warning"),
        )
    try:
        revisions = commit_returns(
            store,
            staged.files,
            staged.period,
            partial=staged.partial,
            imported_by=_who(),
            last_import=staged.last_import,
            vocabulary=_vocabulary(),
            limits=_limits(),
        )
    except StalePreview as exc:
        staging.drop(store, staged.token)
        checked = check_returns(
            store,
            source().plan(),
            staged.files,
            staged.period,
            partial=staged.partial,
            vocabulary=_vocabulary(),
            limits=_limits(),
        )
        accounts().audit(
            _who(), "commit-refused", f"{staged.period}: stale preview", plan=plan_slug()
        )
        if not checked.ok or checked.preview is None:
            return (
                problems(checked),
                None,
                HIDDEN,
                dbc.Alert(f"Not committed: {exc}.", color="danger"),
            )
        fresh = staging.stage(
            store, _who(), staged.period, staged.partial, checked.last_import, staged.files
        )
        return (
            html.Div([problems(checked), preview_view(checked.preview)]),
            fresh,
            SHOWN,
            dbc.Alert(f"Not committed: {exc}. The preview below is fresh.", color="danger"),
        )
    except ValueError as exc:  # a file failed its second check (e.g. it ran out of time)
        staging.drop(store, staged.token)
        accounts().audit(_who(), "commit-refused", str(exc), plan=plan_slug())
        return "", None, HIDDEN, dbc.Alert(f"Not committed: {exc}.", color="danger")
    staging.drop(store, staged.token)
    summary = ", ".join(f"{r.period} revision {r.revision} ({r.kind})" for r in revisions)
    accounts().audit(
        _who(), "commit", f"{', '.join(n for n, _ in staged.files)} as {summary}", plan=plan_slug()
    )
    return (
        "",
        None,
        HIDDEN,
        dbc.Alert(
            [
                html.Strong("Committed. "),
                f"Stored as {summary}. Every page now shows the new data.",
            ],
            color="success",
        ),
    )


@page_callback(*_staged_outputs(ids.UPLOAD_CANCEL), prevent_initial_call=True)
def cancel(_: int | None, token: str | None) -> Any:
    """Forget the staged returns."""
    if token:
        staging.drop(source().store, token)
        accounts().audit(_who(), "cancel", "upload cancelled before commit", plan=plan_slug())
    return "", None, HIDDEN, dbc.Alert("Cancelled: nothing was stored.", color="secondary")


register(
    __name__,
    "/upload",
    "Upload",
    layout,
    order=4,
    title="Upload returns: delivery plan",
    permission=EDIT,
    filters=(),
)
