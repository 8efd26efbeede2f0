"""Returns (editor): open a returns round, follow each owner's state and link, review what
partners sent (commit the good ones together, send the others back with a message), and see
which milestones still have no update."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.auth import can, current_user
from dashboard.components import aria, no_plan, note, page_callback, register, section, table
from dashboard.context import here, settings, source
from dashboard.editing import not_allowed
from dashboard.filters import Filters
from dashboard.rounds import REISSUE, REVOKE, links_view, review_item, states_view
from socplan import mailing, metrics
from socplan.contacts import Contacts
from socplan.intake.safety import Limits
from socplan.intake.uploads import check_partner_return, next_due, period_choices
from socplan.intake.workbook import Vocabulary
from socplan.model import DeliveryPlan
from socplan.periods import Period, PeriodError
from socplan.permissions import EDIT
from socplan.rounds import (
    Link,
    Round,
    RoundError,
    Rounds,
    parse_due,
    suggested_due,
    summary,
)
from socplan.store import StoreError

FILTERS = ("period",)  # the filters this page uses; the filters bar hides the others


def _rounds() -> Rounds:
    return Rounds(source().store, settings())


def _who() -> str:
    user = current_user()
    assert user is not None  # the server refuses edit- callbacks to anyone but editors
    return user.username


def _chosen(query: dict[str, Any]) -> Period | None:
    """The period in the URL ('As at'), if one was chosen."""
    label = Filters.from_query(query).period
    try:
        return Period.parse(label) if label else None
    except PeriodError:
        return None


def layout(**query: Any) -> html.Div:
    """The round of the period chosen (else the newest), or the form to open one (editors only)."""
    if not can(EDIT):
        return not_allowed(EDIT)
    query.pop("plan", None)
    plan = source().plan()
    if plan.latest is None:
        return no_plan("Returns")
    chosen = _chosen(query)
    rounds = _rounds()
    every = rounds.all()  # read once: the round shown, the links to the others, the next one
    found = next((r for r in every if chosen is None or r.period == chosen), None)
    if found is None:
        period = chosen or Filters().as_at(plan)
        return html.Div(
            [
                html.H1(f"Returns for {period}" if chosen else "Returns"),
                note(
                    f"No returns round is open for {period}."
                    if chosen
                    else "No returns round has been opened yet."
                ),
                open_form(plan),
                missing_section(plan, period),
            ]
        )
    ahead = next_due(plan)
    return html.Div(
        [
            html.H1(f"Returns for {found.period}"),
            rounds_line(every, found),
            *mail_actions(found),
            html.Div(id=ids.ROUND_MESSAGE, role="status", **aria(live="polite")),
            html.Div(_states(found), id=ids.ROUND_STATES),
            section(
                "Returns to review",
                note(
                    "Commit the chosen returns together (as partial returns, in one transaction: "
                    "all are stored or none), or send one back with a message its owner reads on "
                    "their return page."
                ),
                html.Div(_review(found), id=ids.REVIEW),
                html.Div(
                    id=ids.REVIEW_MESSAGE, role="status", className="mt-2", **aria(live="polite")
                ),
            ),
            html.Div(missing_section(plan, found.period), id=ids.ROUND_MISSING),
            open_form(plan, heading="Open the next round")
            if found.period < ahead and all(r.period != ahead for r in every)
            else "",
            dcc.Store(id=ids.ROUND_KEY, data=found.period.label),
        ]
    )


def rounds_line(every: list[Round], shown: Round) -> Any:
    """Links to the plan's other rounds (the 'As at' filter lists only periods with data, so a
    round for a period not yet imported is reached from here)."""
    others = [r for r in every if r.id != shown.id]
    if not others:
        return ""
    links: list[Any] = ["Other rounds: "]
    for i, item in enumerate(others):
        if i:
            links.append(", ")
        href = here("/returns?" + urlencode({"period": item.period.label}))
        links.append(dcc.Link(f"{item.period} (due {item.due.day} {item.due:%b %Y})", href=href))
    return html.P(links, className="small")


def mail_actions(found: Round) -> list[Any]:
    """'Send what is due today': the same as `socplan round remind`, which a daily job runs."""
    config = settings()
    where = (
        f"through the mail server {config.smtp_host}"
        if config.smtp_host
        else "into the outbox folder (no mail server is configured)"
    )
    return [
        html.Div(
            [
                dbc.Button(
                    "Send what is due today",
                    id=ids.ROUND_SEND,
                    color="primary",
                    outline=True,
                    className="me-3",
                ),
                html.Span(
                    f"Invitations, reminders (from {config.reminder_days} days before "
                    f"{found.due.day} {found.due:%B}) and escalations after it, {where}. "
                    "Nobody gets two messages in a day; the daily reminder job does the same.",
                    className="small",
                ),
                dcc.Loading(
                    html.Div(
                        id=ids.ROUND_SEND_MESSAGE,
                        role="status",
                        className="mt-2",
                        **aria(live="polite"),
                    )
                ),
            ],
            className="my-3",
        )
    ]


@page_callback(
    Output(ids.ROUND_SEND_MESSAGE, "children"),
    Output(ids.ROUND_STATES, "children", allow_duplicate=True),
    Input(ids.ROUND_SEND, "n_clicks"),
    State(ids.ROUND_KEY, "data"),
    prevent_initial_call=True,
)
def send_now(clicks: int | None, label: str | None) -> Any:
    """Send (or write to the outbox) what each owner is due today, and show what happened."""
    if not clicks:
        return no_update, no_update
    found = _round(label)
    if found is None:
        return _gone(), no_update
    try:
        result = mailing.remind(source().store, settings(), found, by=_who())
    except StoreError as exc:
        return dbc.Alert(f"Nothing sent: {exc}.", color="danger"), no_update
    lines = [html.Li(o.line) for o in result.outcomes]
    extra = []
    if result.outbox is not None and (result.count(mailing.OUTBOX)):
        extra.append(
            html.P(
                f"The messages are in {result.outbox} on the server: send them from there, or "
                "set SOCPLAN_SMTP_HOST."
            )
        )
    if result.problem:
        extra.append(html.P(result.problem))
    return (
        dbc.Alert(
            [html.P(result.summary), html.Ul(lines) if lines else "", *extra],
            color="danger" if result.failed else "success",
        ),
        _states(found),
    )


def open_form(plan: DeliveryPlan, heading: str = "Open a returns round") -> html.Section:
    """The period (the next one due first) and due date of a new round, and its button."""
    choices = period_choices(plan)
    return section(
        heading,
        note(
            "Each owner with open milestones gets a workbook holding only their milestones and a "
            "private update link; their returns wait here for you to commit."
        ),
        dbc.Row(
            [
                dbc.Col(
                    [
                        html.Label("Period", htmlFor=ids.ROUND_PERIOD, className="form-label"),
                        dbc.Select(
                            id=ids.ROUND_PERIOD,
                            value=choices[0].label,
                            options=[
                                {
                                    "label": p.label + (" (next due)" if i == 0 else ""),
                                    "value": p.label,
                                }
                                for i, p in enumerate(choices)
                            ],
                        ),
                    ],
                    md=4,
                ),
                dbc.Col(
                    [
                        html.Label("Due date", htmlFor=ids.ROUND_DUE, className="form-label"),
                        dbc.Input(
                            id=ids.ROUND_DUE,
                            type="date",
                            value=suggested_due(choices[0]).isoformat(),
                        ),
                    ],
                    md=3,
                ),
                dbc.Col(
                    dbc.Button("Open round", id=ids.ROUND_OPEN, color="primary"),
                    md=3,
                    className="d-flex align-items-end",
                ),
            ],
            className="g-3 mb-3",
        ),
        html.Div(id=ids.ROUND_OPENED, role="status", **aria(live="polite")),
    )


def missing_section(plan: DeliveryPlan, period: Period) -> html.Section:
    """Open milestones with no update for `period`, and each owner's count (from the data)."""
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
    return section(
        f"Milestones with no update for {period}",
        note(
            f"In the stored data, {returned} of {len(by_owner)} owners have updated every open "
            f"milestone; {len(waiting)} open milestones have no update. Change the period with "
            "'As at'."
        ),
        html.Details(
            [
                html.Summary("Updates by owner"),
                table(by_owner.sort_values(["Returned", "Owner"])),
            ],
            className="mb-2",
        ),
        table(waiting.sort_values(["Owner", "Ref"])),
    )


def _states(found: Round) -> list[Any]:
    """The round's summary and each owner's state (what every action on the page changes)."""
    states = _rounds().states(found)
    return [
        html.P(summary(found, states), className="lead"),
        section(
            "Owners",
            note(
                "Re-issue a link to give an owner a new one (their old link stops working); "
                "revoke it to stop it working. The Contacts page keeps who to ask."
            ),
            states_view(states, Contacts(source().store).all()),
        ),
    ]


# Checks of returns under review, kept per worker: a return's check depends only on its bytes,
# the plan's version and the words in force, so the page need not parse every return again on
# each view (each parse is a child process). Bounded; the oldest go first.
_CHECKED: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_CHECKED_MAX = 64
_CHECKED_LOCK = threading.Lock()


def _check_now(link: Link, period: Period, name: str, data: bytes) -> Any:
    """Check a partner's return again, with the vocabulary and limits in force now (never from
    the kept checks: what a commit stores is checked as it is committed)."""
    config = settings()
    return check_partner_return(
        source().store,
        source().plan(),
        link.owner,
        link.refs,
        name,
        data,
        period,
        vocabulary=Vocabulary.from_settings(config),
        limits=Limits.from_settings(config),
    )


def _check(
    link: Link, period: Period, name: str, data: bytes, sha256: str, version: tuple[int, ...]
) -> Any:
    """`_check_now`, kept per worker for the review's display (see _CHECKED): the file is
    known by its SHA-256 (kept with the submission), the plan by its `version`."""
    store, config = source().store, settings()
    vocabulary = Vocabulary.from_settings(config)
    limits = Limits.from_settings(config)
    key = (
        store.url,
        store.plan,
        link.id,
        link.owner,
        link.refs,
        period,
        name,
        sha256,
        version,
        vocabulary,
        limits,
    )
    with _CHECKED_LOCK:
        if key in _CHECKED:
            _CHECKED.move_to_end(key)
            return _CHECKED[key]
    checked = _check_now(link, period, name, data)
    with _CHECKED_LOCK:
        _CHECKED[key] = checked
        while len(_CHECKED) > _CHECKED_MAX:
            _CHECKED.popitem(last=False)
    return checked


def _review(found: Round) -> Any:
    rounds = _rounds()
    pending = rounds.pending(found)
    if not pending:
        return html.P("No return is waiting for review.")
    # The version the previews are made against: a commit after a newer import is refused.
    version = rounds.store.version()
    items: list[Any] = [dcc.Store(id=ids.REVIEW_VERSION, data=version[1])]
    evidence = rounds.evidence([link.id for link, _ in pending])
    for link, submission in pending:
        _, name, data = rounds.submission_file(submission.id)
        theirs = [e for e in evidence if e.link_id == link.id and e.state == "waiting"]
        checked = _check(link, found.period, name, data, submission.sha256, version)
        items.append(review_item(link, submission, checked, theirs))
    items.append(dbc.Button("Commit selected", id=ids.REVIEW_COMMIT, color="primary"))
    return items


def _milestones(link: Link, period: Period, name: str, data: bytes) -> pd.DataFrame:
    """The milestones of a return that still passes its checks (for `Rounds.commit`)."""
    checked = _check_now(link, period, name, data)
    outcome = checked.outcomes[0][1] if checked.outcomes else None
    if not checked.ok or outcome is None or outcome.parsed is None:
        first = outcome.report.errors[0] if outcome and outcome.report.errors else "no data"
        raise ValueError(
            f"the return from {link.owner} ({name}) no longer passes its checks ({first})"
        )
    return outcome.parsed.milestones


def _round(label: str | None) -> Round | None:
    try:
        return _rounds().find(Period.parse(label)) if label else None
    except PeriodError:
        return None


def _gone() -> Any:
    return dbc.Alert("That round is no longer there: reload the page.", color="warning")


@page_callback(
    Output(ids.ROUND_OPENED, "children"),
    Input(ids.ROUND_OPEN, "n_clicks"),
    State(ids.ROUND_PERIOD, "value"),
    State(ids.ROUND_DUE, "value"),
    prevent_initial_call=True,
)
def open_round(clicks: int | None, period: str | None, due: str | None) -> Any:
    """Open the round: a workbook and a link per owner; show each link this once."""
    if not clicks:
        return no_update
    try:
        chosen = Period.parse(period or "")
        day = parse_due(due or "", "Due date")
        if day < date.today():
            raise RoundError("Due date: that day has passed; choose a later one")
        found, issued = _rounds().open(chosen, day, by=_who(), plan=source().plan())
    except (PeriodError, StoreError) as exc:
        return dbc.Alert(f"Not opened: {exc}.", color="danger")
    return dbc.Alert(
        [
            links_view(
                issued,
                f"Opened the {found.period} round, due {found.due:%d %B %Y}: {len(issued)} owners.",
            ),
            html.A(
                "Show the round",
                href=here("/returns?" + urlencode({"period": found.period.label})),
                className="alert-link",
            ),
            " (reload the page when you have copied the links).",
        ],
        color="success",
    )


@page_callback(
    Output(ids.ROUND_MESSAGE, "children"),
    Output(ids.ROUND_STATES, "children"),
    Input({"type": ids.LINK_ACTION, "link": ALL, "do": ALL}, "n_clicks"),
    State(ids.ROUND_KEY, "data"),
    prevent_initial_call=True,
)
def link_action(clicks: list[int | None], label: str | None) -> Any:
    """Re-issue (showing the new link once) or revoke one owner's link."""
    button = ctx.triggered_id
    if not isinstance(button, dict) or not any(clicks or []):
        return no_update, no_update
    found = _round(label)
    if found is None:
        return _gone(), no_update
    rounds = _rounds()
    link = next((item for item in rounds.links(found) if item.id == button.get("link")), None)
    if link is None:
        return _gone(), no_update
    try:
        if button.get("do") == REISSUE:
            issued = rounds.reissue(found, link.owner, by=_who())
            message = dbc.Alert(
                links_view([issued], f"A new link for {link.owner}; the old one no longer works."),
                color="success",
            )
        elif button.get("do") == REVOKE:
            rounds.revoke(found, link.owner, by=_who())
            message = dbc.Alert(
                f"The link for {link.owner} no longer works. Re-issue it to give them a new one.",
                color="success",
            )
        else:
            return no_update, no_update
    except StoreError as exc:
        return dbc.Alert(f"Not done: {exc}.", color="danger"), no_update
    return message, _states(found)


@page_callback(
    Output(ids.REVIEW_MESSAGE, "children"),
    Output(ids.REVIEW, "children"),
    Output(ids.ROUND_STATES, "children", allow_duplicate=True),
    Output(ids.ROUND_MISSING, "children"),
    Input(ids.REVIEW_COMMIT, "n_clicks"),
    State({"type": ids.REVIEW_SELECT, "submission": ALL}, "value"),
    State(ids.ROUND_KEY, "data"),
    State(ids.REVIEW_VERSION, "data"),
    prevent_initial_call=True,
)
def commit(
    clicks: int | None, chosen: list[bool | None], label: str | None, version: int | None
) -> Any:
    """Store the chosen returns as partial returns, all in one transaction (or none)."""
    if not clicks:
        return no_update, no_update, no_update, no_update
    found = _round(label)
    if found is None:
        return _gone(), no_update, no_update, no_update
    boxes = ctx.states_list[0] if ctx.states_list else []
    selected = [
        int(box["id"]["submission"])
        for box, value in zip(boxes, chosen or [], strict=False)
        if value and isinstance(box, dict)
    ]
    if not selected:
        choose = dbc.Alert("Choose at least one return to commit.", color="warning")
        return choose, no_update, no_update, no_update
    try:
        revisions = _rounds().commit(
            selected,
            by=_who(),
            check=_milestones,
            expected_last_import=version if isinstance(version, int) else None,
        )
    except (StoreError, ValueError) as exc:  # StalePreview and RoundError are StoreErrors
        return (
            dbc.Alert(f"Nothing was stored: {exc}.", color="danger"),
            _review(found),
            no_update,
            no_update,
        )
    stored = ", ".join(f"{r.period} revision {r.revision} ({r.kind})" for r in revisions)
    return (
        dbc.Alert(
            [
                html.Strong("Committed. "),
                f"{len(revisions)} {'return' if len(revisions) == 1 else 'returns'} stored as "
                f"{stored}. Every page now shows {'it' if len(revisions) == 1 else 'them'}.",
            ],
            color="success",
        ),
        _review(found),
        _states(found),
        missing_section(source().plan(), found.period),
    )


@page_callback(
    Output(ids.REVIEW_MESSAGE, "children", allow_duplicate=True),
    Output(ids.REVIEW, "children", allow_duplicate=True),
    Output(ids.ROUND_STATES, "children", allow_duplicate=True),
    Input({"type": ids.REVIEW_REJECT, "submission": ALL}, "n_clicks"),
    State({"type": ids.REVIEW_REASON, "submission": ALL}, "value"),
    State(ids.ROUND_KEY, "data"),
    prevent_initial_call=True,
)
def send_back(clicks: list[int | None], reasons: list[str | None], label: str | None) -> Any:
    """Send one return back to its owner with the message typed beside it."""
    button = ctx.triggered_id
    if not isinstance(button, dict) or not any(clicks or []):
        return no_update, no_update, no_update
    found = _round(label)
    if found is None:
        return _gone(), no_update, no_update
    sid = button.get("submission")
    boxes = ctx.states_list[0] if ctx.states_list else []
    given = {
        box["id"]["submission"]: value
        for box, value in zip(boxes, reasons or [], strict=False)
        if isinstance(box, dict)
    }
    try:
        done = _rounds().reject(int(sid or 0), given.get(sid) or "", by=_who())
        link = next(item for item in _rounds().links(found) if item.id == done.link_id)
    except (StoreError, StopIteration) as exc:
        return dbc.Alert(f"Not sent back: {exc}.", color="danger"), no_update, no_update
    return (
        dbc.Alert(
            f"Sent the return from {link.owner} ({done.file_name}) back; they see your message "
            "on their return page.",
            color="success",
        ),
        _review(found),
        _states(found),
    )


register(__name__, "/returns", "Returns", layout, order=5, permission=EDIT, filters=FILTERS)
