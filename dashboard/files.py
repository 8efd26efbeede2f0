"""Editor-only downloads: an import's original file and the pre-filled template."""

from __future__ import annotations

import io

from flask import Flask, Response, abort, request, send_file

from socplan.intake.template import write_plan_template
from socplan.periods import Period, PeriodError
from socplan.store import StoreError

from .auth import current_user
from .context import accounts, settings, source

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
MIMETYPES = {"xlsx": XLSX, "ods": ODS}


def original(slug: str, import_id: int) -> Response:
    """The file exactly as it was uploaded (an import of this plan only)."""
    try:
        name, data = source().store.original_file(import_id)
    except StoreError:
        abort(404)
    user = current_user()
    accounts().audit(
        user.username if user else "?",
        "download",
        f"import {import_id} ({name})",
        request.remote_addr or "",
        plan=slug,
    )
    mimetype = ODS if name.lower().endswith(".ods") else XLSX
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


def template(slug: str, fmt: str = "xlsx") -> Response:
    """The template for a period (default: the next due), pre-filled with the current plan, as
    `fmt` (xlsx or ods)."""
    plan = source().plan()
    try:
        period = Period.parse(request.args["period"][:64]) if request.args.get("period") else None
    except PeriodError:
        abort(400)
    buffer = io.BytesIO()
    chosen, _ = write_plan_template(buffer, plan, settings(), period, fmt=fmt)
    name = f"{slug}-return-{chosen.slug}.{fmt}"
    return send_file(
        io.BytesIO(buffer.getvalue()),
        mimetype=MIMETYPES[fmt],
        as_attachment=True,
        download_name=name,
    )


def register(server: Flask) -> None:
    """Add the editor download routes (auth.py requires the editor role on the plan for
    /plans/<slug>/files/; the plan is the request's, checked there)."""
    server.add_url_rule("/plans/<slug>/files/import/<int:import_id>", "original_file", original)
    server.add_url_rule("/plans/<slug>/files/template.xlsx", "template_file", template)
    server.add_url_rule(
        "/plans/<slug>/files/template.ods", "template_file_ods", template, defaults={"fmt": "ods"}
    )
