"""Pieces of the Returns page: an owner's state as a badge, the owners' table with each link's
actions, the links of a round just opened, and a return waiting for review."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import html

from socplan.contacts import OwnerContacts, find_contacts
from socplan.intake.preview import Preview
from socplan.intake.uploads import Checked
from socplan.rounds import (
    COMMITTED,
    LATE,
    NOT_SENT,
    REMINDED,
    SENT,
    SUBMITTED,
    EvidenceItem,
    Issued,
    Link,
    OwnerState,
    Submission,
)

from . import ids
from .components import aria, note
from .editing import preview_view, problems

# Each state's shape and Bootstrap colour: the word is always shown, the shape and colour help.
STATE_LOOK = {
    NOT_SENT: ("○", "secondary"),
    SENT: ("✉", "info"),
    REMINDED: ("↻", "info"),
    SUBMITTED: ("▲", "warning"),
    COMMITTED: ("✔", "success"),
    LATE: ("✖", "danger"),
}
REISSUE, REVOKE = "reissue", "revoke"


def _when(moment: datetime | None) -> str:
    return f"{moment:%d %b %Y %H:%M} UTC" if moment else ""


def state_badge(state: str) -> html.Span:
    """An owner's state as a word with a shape, in a tinted badge (never colour alone)."""
    shape, colour = STATE_LOOK.get(state, ("•", "secondary"))
    return html.Span(
        [html.Span(shape, **aria(hidden="true")), f" {state}"],
        className=(
            f"badge round-state bg-{colour}-subtle text-{colour}-emphasis "
            f"border border-{colour}-subtle"
        ),
    )


def _state_cell(item: OwnerState) -> html.Td:
    rest = item.describe[len(item.state) :].lstrip(", ")
    return html.Td(
        [state_badge(item.state), html.Span(f" {rest}", className="small") if rest else ""]
    )


def _last_message(item: OwnerState) -> str:
    if not item.mail:
        return "none yet"
    last = item.mail[-1]
    return f"{last.kind}, {last.day:%d %b %Y} ({last.status})"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _contacts(found: OwnerContacts | None) -> str:
    if found is None or not (found.contacts or found.escalation):
        return "none yet"
    return f"{_plural(len(found.contacts), 'contact')}, {len(found.escalation)} escalation"


def _actions(link: Link) -> html.Td:
    # Plain buttons: dbc.Button takes no aria-label, and each needs its owner in its name.
    small = "btn btn-sm mb-1 "
    return html.Td(
        [
            html.Button(
                "Re-issue link",
                id={"type": ids.LINK_ACTION, "link": link.id, "do": REISSUE},
                className=small + "btn-outline-secondary me-1",
                **aria(label=f"Re-issue link for {link.owner}"),
            ),
            html.Button(
                "Revoke link",
                id={"type": ids.LINK_ACTION, "link": link.id, "do": REVOKE},
                className=small + "btn-outline-danger",
                disabled=link.revoked_at is not None,
                **aria(label=f"Revoke link for {link.owner}"),
            ),
        ],
        className="text-nowrap",
    )


def states_view(states: list[OwnerState], contacts: dict[str, OwnerContacts]) -> html.Div:
    """Every owner's state in the round, with what was asked, the last message, how many
    contacts are kept, when the link ends, and the link's actions."""
    head = [
        "Owner",
        "State",
        "Milestones asked",
        "Last message",
        "Contacts",
        "Link works until",
        "Actions",
    ]
    rows = [
        html.Tr(
            [
                html.Th(item.owner, scope="row"),
                _state_cell(item),
                html.Td(str(len(item.link.refs))),
                html.Td(_last_message(item)),
                html.Td(_contacts(find_contacts(contacts, item.owner))),
                html.Td(
                    "revoked" if item.link.revoked_at else f"{item.link.last_day:%-d %b %Y}",
                    className="text-nowrap",
                ),
                _actions(item.link),
            ]
        )
        for item in states
    ]
    return html.Div(
        html.Table(
            [
                html.Caption("Each owner's state in the round"),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
                html.Tbody(rows or [html.Tr(html.Td("No owners", colSpan=len(head)))]),
            ],
            className="table table-sm table-striped align-top socplan-table",
        ),
        className="table-responsive",
    )


def links_view(issued: list[Issued], heading: str) -> html.Div:
    """Links just made, each in a read-only field to copy: shown this once, and private."""
    return html.Div(
        [
            html.P(html.Strong(heading)),
            html.P(
                "Each link opens that owner's return page without signing in: keep them private, "
                "send each only to its owner's contacts, and copy them now (they are not shown "
                "again; re-issue a link to make a new one)."
            ),
            *(
                html.Div(
                    [
                        html.Label(
                            f"{item.owner} ({item.milestones} milestones, .{item.workbook_format})",
                            htmlFor=f"edit-link-{i}",
                            className="form-label mb-0 small",
                        ),
                        dbc.Input(
                            id=f"edit-link-{i}",
                            value=item.url,
                            readonly=True,
                            className="font-monospace link-copy",
                            size="sm",
                        ),
                    ],
                    className="mb-2",
                )
                for i, item in enumerate(issued)
            ),
        ]
    )


def verdict(checked: Checked) -> html.P:
    """A return's checks in one line: what it would change, or why it cannot be committed."""
    errors = sum(len(o.report.errors) for _, o in checked.outcomes)
    warnings = sum(len(o.report.warnings) for _, o in checked.outcomes)
    if not checked.ok or checked.preview is None:
        return html.P(
            [
                html.Strong("Cannot be committed: "),
                f"{_plural(errors, 'error')} (see the checks below). Send it back with a message.",
            ]
        )
    changes = checked.preview.changes
    return html.P(
        [
            html.Strong("Passes its checks: "),
            f"{_plural(len(changes['moves']), 'status move')}, {len(changes['new'])} new, "
            f"{len(changes['cancelled'])} cancelled, {_plural(len(changes['dates']), 'date change')}"
            + (f"; {_plural(warnings, 'warning')}." if warnings else "."),
        ]
    )


def review_item(
    link: Link, submission: Submission, checked: Checked, evidence: Sequence[EvidenceItem] = ()
) -> html.Article:
    """One return waiting for review: who sent what and when, its checks again and what it
    would change, a box to choose it for the commit and a message to send it back with."""
    sid = submission.id
    choose = {"type": ids.REVIEW_SELECT, "submission": sid}
    reason = {"type": ids.REVIEW_REASON, "submission": sid}
    preview: Preview | None = checked.preview
    return html.Article(
        [
            html.H3(f"{link.owner}: {submission.file_name}", className="h5"),
            note(
                f"Received {_when(submission.received_at)}; submitted "
                f"{_when(submission.submitted_at)}; {submission.milestones} milestones."
            ),
            verdict(checked),
            html.P(
                "Evidence attached (it joins the plan, not public, when you commit): "
                + "; ".join(f"{e.milestone}: {e.name}" for e in evidence),
                className="small",
            )
            if evidence
            else "",
            dbc.Checkbox(
                id=choose,
                value=checked.ok,
                disabled=not checked.ok,
                label=f"Commit the return from {link.owner}"
                + ("" if checked.ok else " (it no longer passes its checks)"),
                className="mb-2",
            ),
            html.Details(
                [
                    html.Summary("Checks and preview"),
                    problems(checked),
                    preview_view(preview) if preview is not None else "",
                ],
                open=not checked.ok,
                className="mb-2",
            ),
            html.Div(
                [
                    html.Label(
                        [
                            html.Span(
                                f"Message to {link.owner} if you send it back",
                                className="d-block small",
                            ),
                            dbc.Textarea(id=reason, rows=2, maxLength=2000, className="mb-1"),
                        ],
                        className="w-100",
                    ),
                    html.Button(
                        "Send back",
                        id={"type": ids.REVIEW_REJECT, "submission": sid},
                        className="btn btn-sm btn-outline-danger",
                        **aria(label=f"Send back the return from {link.owner}"),
                    ),
                ],
                className="mb-2",
            ),
        ],
        className="review-item border rounded p-3 mb-3 bg-white",
        **aria(label=f"The return from {link.owner}"),
    )
