"""The partner's page behind an update link (`/r/<token>`): no account, plain HTML that works
without JavaScript. Who the return is for and when it is due, their workbook to download, an
upload that runs the same checks as the policy team's (every problem by sheet and cell, and what
would change for their milestones), Submit, and a receipt. A submission is staged for the policy
team; a partner never commits. The page shows nothing of other owners nor of the dashboard.

A wrong, expired or revoked link, or one whose plan is archived, gets one plain page that says
no more than that. auth.py lets these addresses through without sign-in, lifts the body cap for
the upload alone, and keeps CSRF and the same-origin check on.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pandas as pd
from flask import Flask, Response, redirect, render_template_string, request, send_file
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from socplan.config import Settings, for_plan
from socplan.intake.safety import Limits
from socplan.intake.uploads import Checked, check_partner_return
from socplan.intake.workbook import Vocabulary
from socplan.metrics import labelled
from socplan.model import DeliveryPlan
from socplan.rounds import LINK_PREFIX, Partner, RoundError, Submission, resolve

from .auth import csrf_token
from .context import accounts, installation_settings, sources

UK = ZoneInfo("Europe/London")
DAY = "%-d %B %Y"
R = TypeVar("R", bound=BaseResponse)
FIELD = "workbook"  # the upload form's file field
FORM_OVERHEAD = 64 * 1024  # a multipart body's boundaries, headers and CSRF field
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
# The link's token is in the path: no Referer carries the path anywhere, even to this site (a
# form's POST still sends Origin, which the same-origin check and Flask-WTF's HTTPS Referer
# check need; "no-referrer" would make browsers send `Origin: null` and blank the Referer).
REFERRER_POLICY = "strict-origin"
BAD_LINK = (
    "This link does not work. It may have expired or been replaced; ask the policy team for a "
    "new one."
)

HEAD = """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><link rel="icon" href="data:,">
<title>{{ title }}</title>
<link rel="stylesheet" href="/assets/01_bootstrap.min.css"><link rel="stylesheet" href="/assets/02_socplan.css"></head>
<body><a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header"><div class="header-inner container-xl"><div class="brand">
<div><div class="brand-org">{{ organisation }}</div><div class="brand-title">{{ heading }}</div></div>
</div></div></header>"""

BAD_LINK_PAGE = (
    HEAD
    + """
<main id="main" class="container partner-main"><h1>This link does not work</h1>
<p>{{ message }}</p></main></body></html>"""
)

PAGE = (
    HEAD
    + """
<main id="main" class="container partner-main">
<h1>Return for {{ owner }}: {{ plan_title }}, {{ period }}</h1>
<dl class="partner-facts">
<dt>Due</dt><dd>{{ due }}{% if late %} <strong class="badge text-bg-danger">late</strong>{% endif %}</dd>
<dt>Milestones</dt><dd>{{ milestones }} milestone{{ "" if milestones == 1 else "s" }} asked of {{ owner }}</dd>
</dl>
{%- if committed %}
<div class="alert alert-success" role="status"><h2 class="h4">Committed</h2>
<p class="mb-0">Your return was committed on {{ committed }}; thank you.</p></div>
{%- else %}
<p><a class="btn btn-outline-primary" href="{{ base }}/workbook" download>Download your workbook (.{{ fmt }})</a></p>
{%- endif %}

{%- if message %}
<div id="result" class="alert alert-danger" role="alert" tabindex="-1" autofocus>
<p class="mb-0">{{ message }}{% if field_error %} <a href="#{{ field }}">Choose the file again</a>.{% endif %}</p></div>
{%- endif %}

{%- if checked %}
<section id="result" class="partner-result" tabindex="-1" autofocus aria-labelledby="result-title">
{%- if errors %}
<div class="alert alert-danger" role="alert">
<h2 class="h4" id="result-title">{{ file }} has {{ errors|length }} problem{{ "" if errors|length == 1 else "s" }} to fix</h2>
<p>Fix them in your workbook and upload it again. Nothing was kept.</p>
<ol class="problem-list errors mb-0">{% for p in errors %}<li>{% if p.place %}<strong>{{ p.place }}</strong>: {% endif %}{{ p.message }}</li>{% endfor %}</ol>
</div>
{%- else %}
<div class="alert alert-success" role="status">
<h2 class="h4" id="result-title">{{ file }} passes its checks</h2>
<p class="mb-0">Check what it would change below, then submit it to the policy team.</p>
</div>
{%- endif %}
{% if warnings %}<h3 class="h5">Warnings (they do not stop the return)</h3>
<ul class="problem-list warnings">{% for p in warnings %}<li>{% if p.place %}<strong>{{ p.place }}</strong>: {% endif %}{{ p.message }}</li>{% endfor %}</ul>{% endif %}
{% if notices %}<h3 class="h5">Notes</h3>
<ul class="small">{% for p in notices %}<li>{% if p.place %}<strong>{{ p.place }}</strong>: {% endif %}{{ p.message }}</li>{% endfor %}</ul>{% endif %}
{%- if tables is not none %}
<h3 class="h5">What it would change</h3>
<p>{{ summary }}</p>
{% for t in tables %}{% if t.rows %}
<div class="table-responsive"><table class="table table-sm">
<caption class="caption-top fw-semibold text-body">{{ t.caption }}</caption>
<thead><tr>{% for h in t.headers %}<th scope="col">{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in t.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}</tbody>
</table></div>
{% endif %}{% endfor %}
{%- endif %}
</section>
{%- endif %}

{%- if pending and not committed %}
<section class="partner-submit" aria-labelledby="submit-title">
<h2 class="h4" id="submit-title">Submit your return</h2>
<p>{{ pending.file_name }} ({{ pending.size }}), received {{ pending.received }}, passed its checks
and is not submitted yet. The policy team sees it only once you submit it.</p>
<form method="post" action="{{ base }}/submit">
<input type="hidden" name="csrf" value="{{ csrf }}"><input type="hidden" name="submission" value="{{ pending.id }}">
<button class="btn btn-primary" type="submit">Submit this return</button></form>
</section>
{%- endif %}

{%- if rejected and not committed %}
<div class="alert alert-warning" role="status"><h2 class="h4">Your return was sent back</h2>
<p>The policy team sent back {{ rejected.file_name }} on {{ rejected.decided }}:</p>
<blockquote class="mb-2 ps-3 border-start">{{ rejected.message }}</blockquote>
<p class="mb-0">Correct your workbook and upload it again.</p></div>
{%- endif %}

{%- if receipt and not committed %}
<section class="partner-receipt" aria-labelledby="receipt-title"{% if just_submitted %} id="result" tabindex="-1" autofocus{% endif %}>
<h2 class="h4" id="receipt-title">{% if just_submitted %}Thank you: your return was submitted{% else %}Your submitted return{% endif %}</h2>
<dl class="partner-facts">
<dt>File</dt><dd>{{ receipt.file_name }}</dd>
<dt>Size</dt><dd>{{ receipt.size }}</dd>
<dt>SHA-256</dt><dd><code>{{ receipt.sha }}</code></dd>
<dt>Received</dt><dd>{{ receipt.received }}</dd>
<dt>Submitted</dt><dd>{{ receipt.submitted }}</dd>
</dl>
<p>The policy team will review it; you may send a corrected one until they commit it.</p>
</section>
{%- endif %}

{%- if not committed %}
<section class="partner-upload" aria-labelledby="upload-title">
<h2 class="h4" id="upload-title">Upload your {{ "corrected " if receipt or rejected or checked else "" }}return</h2>
<form method="post" action="{{ base }}" enctype="multipart/form-data">
<input type="hidden" name="csrf" value="{{ csrf }}">
<div class="mb-3"><label class="form-label" for="{{ field }}">Your completed workbook</label>
<div id="{{ field }}-hint" class="form-text">An .xlsx or .ods file of up to {{ max_mb }} MB. It is checked at once; nothing goes to the policy team until you submit it.</div>
<input class="form-control" type="file" id="{{ field }}" name="{{ field }}" accept=".xlsx,.ods" required
 aria-describedby="{{ field }}-hint{% if field_error %} result{% endif %}"{% if field_error %} aria-invalid="true"{% endif %}></div>
<button class="btn btn-primary" type="submit">Upload and check</button>
</form>
</section>
{%- endif %}

{%- if evidence or not committed %}
<section class="partner-evidence" aria-labelledby="evidence-title"{% if attached %} id="result" tabindex="-1" autofocus{% endif %}>
<h2 class="h4" id="evidence-title">Evidence (optional)</h2>
{%- if attached %}<div class="alert alert-success" role="status">Attached {{ attached }}.</div>{% endif %}
<p>A document that shows a milestone's progress (a signed agreement, minutes, a photo): PDF, Word,
Excel, OpenDocument, PNG or JPEG, up to {{ evidence_mb }} MB. The policy team receives it with your
return; it is published only if they choose to.</p>
{%- if evidence %}
<ul class="partner-evidence-list">{% for e in evidence %}<li>{{ e.milestone }}: {{ e.name }} ({{ e.size }}){% if e.removable %}
<form method="post" action="{{ base }}/evidence/{{ e.id }}/remove" class="d-inline">
<input type="hidden" name="csrf" value="{{ csrf }}"><button class="btn btn-link btn-sm align-baseline p-0 ms-2" type="submit">Remove<span class="visually-hidden"> {{ e.name }}</span></button></form>{% endif %}</li>{% endfor %}</ul>
{%- endif %}
{%- if not committed %}
<form method="post" action="{{ base }}/evidence" enctype="multipart/form-data">
<input type="hidden" name="csrf" value="{{ csrf }}">
<div class="row g-2 align-items-end">
<div class="col-sm-4"><label class="form-label" for="evidence-milestone">Milestone</label>
<select class="form-select" id="evidence-milestone" name="milestone" required>{% for ref in refs %}<option value="{{ ref }}">{{ ref }}</option>{% endfor %}</select></div>
<div class="col-sm-6"><label class="form-label" for="evidence-file">File</label>
<input class="form-control" type="file" id="evidence-file" name="evidence" required accept=".pdf,.docx,.xlsx,.odt,.ods,.png,.jpg,.jpeg"></div>
<div class="col-sm-2"><button class="btn btn-outline-primary w-100" type="submit">Attach</button></div>
</div></form>
{%- endif %}
</section>
{%- endif %}
</main></body></html>"""
)


@dataclass(frozen=True)
class Table:
    """One table of the preview: a caption, headings and rows of text."""

    caption: str
    headers: list[str]
    rows: list[list[str]]


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | datetime):
        return f"{value:%-d %b %Y}"
    return str(value)


def _table(caption: str, frame: pd.DataFrame) -> Table:
    shown = frame.drop(columns=["Owner", "owner"], errors="ignore")  # all theirs
    rows = [[_text(v) for v in record] for record in shown.itertuples(index=False)]
    return Table(caption, [str(c) for c in shown.columns], rows)


def preview_tables(checked: Checked) -> tuple[str, list[Table]]:
    """A sentence and the tables of what a passing return would change (their milestones only)."""
    assert checked.preview is not None
    changes = labelled(checked.preview.changes)
    left_out = checked.preview.no_update.rename(
        columns={"ref": "Ref", "milestone": "Milestone", "status": "Status"}
    )
    counts = {kind: len(frame) for kind, frame in changes.items()}
    summary = (
        f"{_count(counts['moves'], 'status change')}, {_count(counts['dates'], 'date change')}, "
        f"{_count(counts['new'], 'new milestone')}, "
        f"{_count(counts['cancelled'], 'milestone')} cancelled."
    )
    if not any(counts.values()):
        summary = (
            "No status or date changes: submitting confirms your milestones as they stand, "
            "with your progress and updates."
        )
    tables = [
        _table("Status changes", changes["moves"]),
        _table("Date changes", changes["dates"]),
        _table("New milestones", changes["new"]),
        _table("Cancelled milestones", changes["cancelled"]),
        _table("Milestones your return leaves out (they stay as they were)", left_out),
    ]
    return summary, tables


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _when(moment: datetime | None, fmt: str = f"{DAY}, %H:%M") -> str:
    """A moment as UK clocks showed it ('' for none)."""
    return moment.astimezone(UK).strftime(fmt) if moment is not None else ""


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1048576:.1f} MB"


def _shown(sub: Submission) -> dict[str, Any]:
    """A submission as the page shows it."""
    return {
        "id": sub.id,
        "file_name": sub.file_name,
        "size": _size(sub.size),
        "sha": sub.sha256[:12],
        "received": _when(sub.received_at),
        "submitted": _when(sub.submitted_at),
        "decided": _when(sub.decided_at),
        "message": sub.message,
    }


def display_name(name: str | None) -> str:
    """An uploaded file's name as shown and kept: its last part, no control characters, short."""
    last = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(ch for ch in last if ch.isprintable()).strip()
    return clean[:120] or "workbook"


def _open(token: str) -> tuple[Partner, Settings] | None:
    """The link's partner and its plan's settings, or None for a link that does not work."""
    access = resolve(sources().store, token)
    if access is None:
        return None
    record = next((p for p in sources().store.plans() if p.slug == access.plan_slug), None)
    settings = for_plan(installation_settings(), record)
    return Partner(access, settings), settings


def _finish(response: R) -> R:
    response.headers["Referrer-Policy"] = REFERRER_POLICY
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def bad_link() -> Response:
    """The one page every link that does not work gets: no plan, owner or reason."""
    body = render_template_string(
        BAD_LINK_PAGE,
        title="This link does not work",
        organisation=installation_settings().organisation,
        heading="Update link",
        message=BAD_LINK,
    )
    return _finish(Response(body, 404, mimetype="text/html"))


def render(
    partner: Partner,
    settings: Settings,
    token: str,
    *,
    status: int = 200,
    message: str = "",
    field_error: bool = False,
    checked: Checked | None = None,
    file: str = "",
    attached: str = "",
) -> Response:
    """The partner's page, as their return stands, with the outcome of what they just did."""
    access = partner.access
    link = partner.link
    subs = partner.submissions()
    decided = [s for s in subs if s.state in ("submitted", "committed", "rejected")]
    newest = decided[0] if decided else None
    waiting = next((s for s in subs if s.state == "checked"), None)
    pending = waiting if waiting and (newest is None or waiting.id > newest.id) else None
    receipt = newest if newest is not None and newest.state == "submitted" else None
    today = datetime.now(UK).date()
    context: dict[str, Any] = {
        "organisation": settings.organisation,
        "heading": settings.strategy,
        "owner": link.owner,
        "plan_title": settings.strategy,
        "period": str(access.round.period),
        "due": access.round.due.strftime(DAY),
        "late": today > access.round.due and link.committed_at is None and receipt is None,
        "milestones": len(link.refs),
        "fmt": link.workbook_format,
        "base": LINK_PREFIX + token,
        "csrf": csrf_token(),
        "field": FIELD,
        "max_mb": settings.max_upload_mb,
        "committed": _when(link.committed_at, DAY),
        "message": message,
        "field_error": field_error,
        "checked": checked is not None,
        "file": file,
        "pending": _shown(pending) if pending else None,
        "receipt": _shown(receipt) if receipt else None,
        "rejected": _shown(newest) if newest is not None and newest.state == "rejected" else None,
        "just_submitted": request.args.get("submitted") == "1" and receipt is not None,
        "tables": None,
        "refs": link.refs,
        "evidence_mb": settings.max_evidence_mb,
        "evidence": [
            {
                "id": e.id,
                "milestone": e.milestone,
                "name": e.name,
                "size": _size(e.size),
                "removable": e.state == "waiting" and link.committed_at is None,
            }
            for e in partner.evidence()
        ],
        "attached": attached,
    }
    if checked is not None:
        report = checked.outcomes[0][1].report
        context.update(errors=report.errors, warnings=report.warnings, notices=report.notices)
        if checked.ok and checked.preview is not None:
            context["summary"], context["tables"] = preview_tables(checked)
    title = f"Return for {link.owner}: {settings.strategy}"
    if message or (checked is not None and not checked.ok):
        title = f"Problem: {title}"
    body = render_template_string(PAGE, title=title, **context)
    return _finish(Response(body, status, mimetype="text/html"))


def _audit(partner: Partner, action: str, detail: str) -> None:
    """An entry in the audit log, as the partner (never with the token)."""
    accounts().audit(
        f"partner: {partner.link.owner}"[:150],
        action,
        f"{partner.access.round.period}: {detail}"[:500],
        request.remote_addr or "",
        plan=partner.access.plan_slug,
    )


def page(token: str) -> Response:
    """GET: the partner's page (after attaching a file, saying which)."""
    opened = _open(token)
    if opened is None:
        return bad_link()
    partner, settings = opened
    attached = ""
    if request.args.get("attached", "").isdigit():
        wanted = int(request.args["attached"][:12])
        attached = next(
            (f"{e.name} to {e.milestone}" for e in partner.evidence() if e.id == wanted), ""
        )
    return render(partner, settings, token, attached=attached)


def _refused_upload(
    partner: Partner, settings: Settings, token: str, again: str
) -> Response | None:
    """The page refusing a file sent through the link (its return committed, or over the
    link's uploads an hour: 429 with Retry-After), or None when it may go ahead (counted)."""
    if partner.link.committed_at is not None:
        return render(partner, settings, token, status=409)
    wait = partner.claim_upload()
    if not wait:
        return None
    minutes = math.ceil(wait / 60)
    response = render(
        partner,
        settings,
        token,
        status=429,
        message=(
            f"This link has taken {settings.link_uploads_per_hour} uploads in the last hour, "
            f"the most it allows; wait {minutes} minute{'' if minutes == 1 else 's'} and "
            f"{again} again."
        ),
    )
    response.headers["Retry-After"] = str(wait)
    return response


def upload(token: str) -> Response:
    """POST: check an uploaded return; keep it (unsubmitted) when it passes."""
    opened = _open(token)
    if opened is None:
        return bad_link()
    partner, settings = opened
    refused = _refused_upload(partner, settings, token, "upload your workbook")
    if refused is not None:
        return refused
    limit = settings.max_upload_mb * 1024 * 1024
    try:
        sent = request.files.get(FIELD)
    except RequestEntityTooLarge:
        return too_large(token)
    if sent is None or not sent.filename:
        return render(
            partner,
            settings,
            token,
            status=400,
            message="Choose your workbook (an .xlsx or .ods file) before pressing Upload.",
            field_error=True,
        )
    name = display_name(sent.filename)
    data = sent.stream.read(limit + 1)
    if len(data) > limit:
        return too_large(token)
    checked = check_partner_return(
        partner.access.store,
        DeliveryPlan.from_store(partner.access.store),
        partner.link.owner,
        partner.link.refs,
        name,
        data,
        partner.access.round.period,
        vocabulary=Vocabulary.from_settings(settings),
        limits=Limits.from_settings(settings),
    )
    outcome = checked.outcomes[0][1]
    if not checked.ok or outcome.parsed is None:
        _audit(partner, "return-upload-refused", f"{name}: {len(outcome.report.errors)} errors")
        return render(partner, settings, token, status=422, checked=checked, file=name)
    try:
        kept = partner.receive(name, data, len(outcome.parsed.milestones))
    except RoundError as exc:
        return render(partner, settings, token, status=409, message=str(exc))
    _audit(partner, "return-upload", f"{name} passed its checks (submission {kept.id})")
    return render(partner, settings, token, checked=checked, file=name)


def submit(token: str) -> BaseResponse:
    """POST: submit the checked return for review; then the page shows its receipt."""
    opened = _open(token)
    if opened is None:
        return bad_link()
    partner, settings = opened
    try:
        partner.submit(int(request.form.get("submission", "")[:20]))
    except (RoundError, ValueError) as exc:
        words = str(exc) if isinstance(exc, RoundError) else "nothing to submit"
        return render(partner, settings, token, status=409, message=words[:1].upper() + words[1:])
    return _finish(redirect(f"{LINK_PREFIX}{token}?submitted=1", code=303))


def attach(token: str) -> BaseResponse:
    """POST: attach an evidence file to one of their milestones (checked by content)."""
    from socplan.attachments import AttachmentRefused, evidence_max_bytes

    opened = _open(token)
    if opened is None:
        return bad_link()
    partner, settings = opened
    refused = _refused_upload(partner, settings, token, "attach the file")
    if refused is not None:
        return refused
    limit = evidence_max_bytes(settings)
    try:
        sent = request.files.get("evidence")
        milestone = request.form.get("milestone", "")[:64]
    except RequestEntityTooLarge:
        return too_large(token)
    if sent is None or not sent.filename:
        return render(
            partner, settings, token, status=400, message="Choose a file before pressing Attach."
        )
    name = display_name(sent.filename)
    data = sent.stream.read(limit + 1)
    try:
        kept = partner.attach(milestone, name, data, max_bytes=limit)
    except (AttachmentRefused, RoundError) as exc:
        words = str(exc)
        return render(partner, settings, token, status=422, message=words[:1].upper() + words[1:])
    return _finish(redirect(f"{LINK_PREFIX}{token}?attached={kept.id}", code=303))


def detach(token: str, evidence_id: int) -> BaseResponse:
    """POST: remove an evidence file they attached, while it waits for the policy team."""
    opened = _open(token)
    if opened is None:
        return bad_link()
    partner, settings = opened
    try:
        partner.detach(evidence_id)
    except RoundError as exc:
        return render(
            partner, settings, token, status=409, message=str(exc)[:1].upper() + str(exc)[1:]
        )
    return _finish(redirect(f"{LINK_PREFIX}{token}", code=303))


def workbook(token: str) -> Response:
    """GET: the partner's own workbook."""
    opened = _open(token)
    if opened is None:
        return bad_link()
    partner, _ = opened
    name, data = partner.workbook()
    fmt = partner.link.workbook_format
    response = send_file(
        io.BytesIO(data), mimetype=MIMETYPES[fmt], as_attachment=True, download_name=name
    )
    return _finish(response)


def too_large(token: str) -> Response:
    """The page for an upload over the size limit (auth.py's 413 handler comes here too)."""
    opened = _open(token)
    if opened is None:
        return bad_link()
    partner, settings = opened
    return render(
        partner,
        settings,
        token,
        status=413,
        message=(
            f"The file is over the {settings.max_upload_mb} MB limit. Remove pictures or "
            "anything that is not part of the return, save it again and upload it."
        ),
        field_error=True,
    )


def refused(message: str, status: int) -> Response:
    """A refusal before the view ran (an expired form, a body too large), on the link's page."""
    token = token_of(request.path)
    if status == 413 and token:
        return too_large(token)
    opened = _open(token) if token else None
    if opened is None:
        return bad_link()
    return render(*opened, token, status=status, message=message)


def token_of(path: str) -> str:
    """The token in a partner page's path ('' for none)."""
    if not path.startswith(LINK_PREFIX):
        return ""
    return path[len(LINK_PREFIX) :].split("/", 1)[0]


def is_upload(method: str, path: str) -> bool:
    """True for the requests that may carry a file: POST /r/<token> (the return) and POST
    /r/<token>/evidence."""
    if method != "POST" or not path.startswith(LINK_PREFIX):
        return False
    rest = path[len(LINK_PREFIX) :]
    return "/" not in rest or (rest.count("/") == 1 and rest.endswith("/evidence"))


def max_body(settings: Settings) -> int:
    """The largest upload request: the largest file and the form around it."""
    return max(settings.max_upload_mb, settings.max_evidence_mb) * 1024 * 1024 + FORM_OVERHEAD


def register(server: Flask) -> None:
    """Add the partner's routes (public: auth.py lets /r/ through without sign-in)."""
    server.add_url_rule(LINK_PREFIX, "partner_none", bad_link)
    server.add_url_rule(f"{LINK_PREFIX}<token>", "partner_page", page, methods=["GET"])
    server.add_url_rule(f"{LINK_PREFIX}<token>", "partner_upload", upload, methods=["POST"])
    server.add_url_rule(f"{LINK_PREFIX}<token>/submit", "partner_submit", submit, methods=["POST"])
    server.add_url_rule(f"{LINK_PREFIX}<token>/workbook", "partner_workbook", workbook)
    server.add_url_rule(
        f"{LINK_PREFIX}<token>/evidence", "partner_attach", attach, methods=["POST"]
    )
    server.add_url_rule(
        f"{LINK_PREFIX}<token>/evidence/<int:evidence_id>/remove",
        "partner_detach",
        detach,
        methods=["POST"],
    )
