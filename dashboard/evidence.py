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

import base64
import binascii
import io
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import Flask, Response, abort, request, send_file

from socplan.attachments import ACCEPTED, KINDS, MB, AttachmentRefused, evidence_max_bytes
from socplan.evidence_store import EvidenceFile, EvidenceNotFound, EvidenceStore
from socplan.periods import Period, PeriodError
from socplan.permissions import EDIT
from socplan.reporting.formats import file_size
from socplan.store import StoreError

from . import ids
from .auth import can, current_user
from .components import aria, note, section
from .context import accounts, here, plan_slug, settings, source

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
    head = ["File", "Size", "Period", "Added by", "Added"]
    head += ["Seen by", "Change"] if editor else []
    rows = [
        html.Tr(
            [
                html.Td(html.A(item.name, href=link(item), download=item.name)),
                html.Td(file_size(item.size)),
                html.Td(item.period.label),
                html.Td(item.added_by),
                html.Td(f"{item.added_at:%d %b %Y %H:%M}"),
                *(
                    [
                        html.Td("everyone (public)" if item.public else "editors"),
                        html.Td(actions(item)),
                    ]
                    if editor
                    else []
                ),
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


def actions(item: EvidenceFile) -> list[Any]:
    """An editor's buttons for one file: publish or withdraw it, remove it."""

    def button(do: str, text: str) -> html.Button:
        return html.Button(
            text,
            id={"type": ids.EVIDENCE_ACTION, "ref": item.milestone, "file": item.id, "do": do},
            type="button",
            className="btn btn-sm btn-outline-secondary me-1",
            **aria(label=f"{text}: {item.name}"),
        )

    publish = button("withdraw", "Editors only") if item.public else button("publish", "Public")
    return [publish, button("remove", "Remove")]


ACTIONS = {
    "publish": (
        "made public",
        lambda store, i, by, at: store.set_public(i, True, by=by, address=at),
    ),
    "withdraw": (
        "made editors-only",
        lambda store, i, by, at: store.set_public(i, False, by=by, address=at),
    ),
    "remove": ("removed", lambda store, i, by, at: store.remove(i, by=by, address=at)),
}


def _who() -> str:
    user = current_user()
    assert user is not None  # the server refuses edit- callbacks to anyone but editors
    return user.username


def act_on(ref: str, evidence_id: int, do: str) -> dbc.Alert:
    """Publish, withdraw or remove one of milestone `ref`'s files; what happened, in words."""
    if do not in ACTIONS:
        return dbc.Alert("That is not something evidence can have done to it.", color="danger")
    done, action = ACTIONS[do]
    store = evidence_store()
    try:
        item = store.get(evidence_id)
        if item.milestone != ref:
            raise EvidenceNotFound(f"there is no evidence file {evidence_id} for {ref}")
        action(store, evidence_id, _who(), request.remote_addr or "")
    except EvidenceNotFound as exc:
        return dbc.Alert(f"Not changed: {exc}.", color="danger")
    return dbc.Alert(f"{item.name} {done}.", color="success")


def attach(
    ref: str, name: str, contents: str, *, public: bool, period: str | None
) -> tuple[dbc.Alert, EvidenceFile | None]:
    """Check a dropped file (a data: URL from dcc.Upload) and store it as evidence for `ref`
    in `period` (default: the newest); what happened, in words, and the file stored."""
    try:
        chosen = Period.parse(period) if period else None
        if chosen is not None and chosen not in source().plan().periods:
            raise PeriodError(f"{chosen} is not a period of this plan")
        data = base64.b64decode(contents.split(",", 1)[-1], validate=True)
        stored, checked = evidence_store().add(
            ref,
            name,
            data,
            max_bytes=evidence_max_bytes(settings()),
            added_by=_who(),
            period=chosen,
            public=public,
            address=request.remote_addr or "",
        )
    except (AttachmentRefused, StoreError, PeriodError, binascii.Error) as exc:
        accounts().audit(
            _who(),
            "evidence-refused",
            f"{name[:150]} for {ref[:64]}: {str(exc)[:300]}",
            request.remote_addr or "",
            plan=plan_slug(),
        )
        return dbc.Alert(f"Not attached: {exc}", color="danger"), None
    said = f"Attached {stored.name} to {ref} ({stored.period})."
    return dbc.Alert(" ".join(x for x in (said, checked.note) if x), color="success"), stored


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
