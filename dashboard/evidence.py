"""Evidence files on the recommendation page, and their downloads.

Who sees what: editors and admins see every file of the plan and may attach more; everyone
else who may view the plan sees only the files marked public. Downloads are attachments under
the media type the content was checked as, never shown inline. Two routes:

- `/plans/<slug>/files/evidence/<id>`: editors (every path under /files/ needs the editor role,
  see `permissions.EDIT`);
- `/plans/<slug>/evidence/<id>`: anyone who may view the plan, for a file marked public; a
  file that is not public is 403 unless the requester is an editor.

An id of another plan's file is 404 on both: the store only finds files of the request's plan.
"""

from __future__ import annotations

import io
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import Flask, Response, abort, request, send_file

from socplan.attachments import ACCEPTED, KINDS, MB
from socplan.evidence_store import EvidenceFile, EvidenceNotFound, EvidenceStore
from socplan.permissions import EDIT
from socplan.reporting.formats import file_size

from . import ids
from .auth import can, current_user
from .components import aria, note, section
from .context import accounts, here, settings, source

# What the file chooser offers; the server checks every file's content whatever its name.
ACCEPT = ",".join(ext for kind in KINDS.values() for ext in kind.extensions)


def evidence_store() -> EvidenceStore:
    """The evidence files of this request's plan."""
    return EvidenceStore(source().store)


def link(item: EvidenceFile) -> str:
    """Where this requester downloads `item` (editors: the editors' route)."""
    return here(f"/files/evidence/{item.id}" if can(EDIT) else f"/evidence/{item.id}")


def listing(items: list[EvidenceFile], editor: bool) -> Any:
    """One milestone's files: name (a download), size, period, who, when; public for editors."""
    if not items:
        return note("No evidence attached yet.")
    head = ["File", "Size", "Period", "Added by", "Added"] + (["Seen by"] if editor else [])
    rows = [
        html.Tr(
            [
                html.Td(html.A(item.name, href=link(item), download=item.name)),
                html.Td(file_size(item.size)),
                html.Td(item.period.label),
                html.Td(item.added_by),
                html.Td(f"{item.added_at:%d %b %Y %H:%M}"),
                *([html.Td("everyone (public)" if item.public else "editors")] if editor else []),
            ]
        )
        for item in items
    ]
    return html.Div(
        html.Table(
            [
                html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
                html.Tbody(rows),
            ],
            className="table table-sm align-top socplan-table",
        ),
        className="table-responsive",
    )


def upload_control(ref: str) -> html.Div:
    """An editor's control to attach a file to milestone `ref`."""
    limit = settings().max_evidence_mb
    return html.Div(
        [
            html.Label(
                [
                    html.Span(f"Attach evidence to {ref}", className="form-label d-block"),
                    dcc.Upload(
                        id={"type": ids.EVIDENCE_UPLOAD, "ref": ref},
                        children=html.Div(
                            [
                                "Drop a file here, or ",
                                html.Span("choose a file", className="link"),
                                f" ({ACCEPTED}; up to {limit} MB)",
                            ]
                        ),
                        multiple=False,
                        accept=ACCEPT,
                        max_size=limit * MB,
                        className="upload-zone",
                    ),
                ],
                className="w-100",
            ),
            dbc.Checklist(
                id={"type": ids.EVIDENCE_PUBLIC, "ref": ref},
                options=[{"label": "Panel members may see it (public)", "value": "public"}],
                value=[],
                className="small",
            ),
            html.Div(
                id={"type": ids.EVIDENCE_MESSAGE, "ref": ref},
                role="status",
                **aria(live="polite"),
            ),
        ],
        className="mb-3",
    )


def evidence_section(milestones: list[tuple[str, str]]) -> html.Section | None:
    """The Evidence section for a recommendation's milestones (ref, name), for this requester:
    drawn on every request (never kept with the page, which is the same for every role);
    None for a non-editor when no file is public."""
    editor = can(EDIT)
    found = evidence_store().list(public_only=not editor)
    by_milestone: dict[str, list[EvidenceFile]] = {}
    for item in found:
        by_milestone.setdefault(item.milestone, []).append(item)
    shown = [(ref, name) for ref, name in milestones if editor or by_milestone.get(ref)]
    if not shown:
        return None
    parts: list[Any] = [
        note(
            "Files attached to milestones' updates. Only editors see files not marked public."
            if editor
            else "Files the policy team has published as evidence for these milestones."
        )
    ]
    for ref, name in shown:
        parts.append(html.H3(f"{ref}: {name}", className="h6 mt-3"))
        parts.append(
            html.Div(
                listing(by_milestone.get(ref, []), editor),
                id={"type": ids.EVIDENCE_LIST, "ref": ref},
            )
        )
        if editor:
            parts.append(upload_control(ref))
    return section("Evidence", *parts)


def download(slug: str, evidence_id: int, public_route: bool = False) -> Response:
    """One evidence file of this plan, as an attachment; on the public route, a file not
    marked public only for editors (403 otherwise)."""
    try:
        item, data = evidence_store().fetch(evidence_id)
    except EvidenceNotFound:
        abort(404)
    if public_route and not item.public and not can(EDIT):
        abort(403)
    user = current_user()
    accounts().audit(
        user.username if user else "anonymous",
        "evidence-download",
        f"evidence {item.id} ({item.name})",
        request.remote_addr or "",
        plan=slug,
    )
    response = send_file(
        io.BytesIO(data), mimetype=item.media_type, as_attachment=True, download_name=item.name
    )
    # Should a browser ever show it rather than save it: no scripts, no plugins, no same origin.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def register(server: Flask) -> None:
    """Add the two evidence download routes (the plan is the request's, checked in auth.py)."""
    server.add_url_rule("/plans/<slug>/files/evidence/<int:evidence_id>", "evidence_file", download)
    server.add_url_rule(
        "/plans/<slug>/evidence/<int:evidence_id>",
        "public_evidence_file",
        download,
        defaults={"public_route": True},
    )
