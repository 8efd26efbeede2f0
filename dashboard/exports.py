"""File downloads for report authors: charts, the panel report and the data, honouring the
filters in the query string. Plain links (no JavaScript), so they work from the keyboard.

Charts and reports are slow to make: they pass a `RenderGate` (a few at once, one per person,
"busy" past that) and are kept per plan version and filters, so a second request is instant.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, current_app, jsonify, request, send_file

from socplan.evidence_store import EvidenceFile, EvidenceStore
from socplan.model import DeliveryPlan
from socplan.periods import Period, PeriodError
from socplan.reporting.charts import UnknownChart, build_chart, changes_chart, timeline_chart
from socplan.reporting.export import plan_export, write_csv, write_csvw, write_xlsx
from socplan.reporting.render import FORMATS, to_bytes

from . import auth
from .context import settings, source
from .filters import MAX_VALUE, Filters
from .renders import RETRY_AFTER, Busy, FileCache, RenderGate

MIMETYPES = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "html": "text/html",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
CACHE_BYTES = 64 * 1024 * 1024


class NothingYet(Exception):
    """A download of a plan with no data to show this person yet (a 404)."""


def _some_data() -> None:
    """Refuse a download when there is nothing to put in it: no import yet, or for the panel,
    no period signed off yet (an empty file labelled with some quarter would mislead)."""
    if source().plan().latest is None:
        raise NothingYet()


class Refused(Exception):
    """A download that cannot be made as asked; the message says why (a 400)."""


def _filters() -> Filters:
    return Filters.from_search(request.query_string.decode(errors="replace"))


def _public() -> bool:
    return request.args.get("public") in ("1", "yes", "true")


def _chosen() -> tuple[DeliveryPlan, Period, bool]:
    plan, period = _filters().apply(source().plan())
    public = _public()
    if public:
        plan = plan.filtered(public_only=True)
    return plan, period, public


def _send(data: bytes, name: str, fmt: str) -> Response:
    return send_file(
        io.BytesIO(data), mimetype=MIMETYPES[fmt], as_attachment=True, download_name=name
    )


def _rendered(kind: str, fmt: str, make: Callable[[], bytes], *extra: object) -> bytes:
    """A chart or report file: from the cache, else made within the render gate."""
    plan = source().plan()
    key = (
        source().store.plan,
        source().published,  # the panel's files are never an editor's, nor the other way
        source().version,
        kind,
        fmt,
        _filters().drawn(plan),
        _public(),
        *extra,
    )
    cache: FileCache = current_app.extensions["socplan_files"]
    kept = cache.get(key)
    if kept is not None:
        return kept
    gate: RenderGate = current_app.extensions["socplan_renders"]
    with gate.enter(auth.requester()):
        data = make()
    cache.put(key, data)
    return data


def _chart(name: str, plan: DeliveryPlan, period: Period) -> Any:
    if name == "timeline":  # the ref in the query: refs may hold any character
        ref = request.args.get("ref", "")
        if not ref or len(ref) > MAX_VALUE:
            raise UnknownChart("name the recommendation with ?ref=")
        return timeline_chart(plan, period, ref)
    if name == "changes" and request.args.get("since"):
        try:
            since = Period.parse(request.args["since"][:MAX_VALUE])
        except PeriodError as exc:
            raise Refused(f"since: {exc}") from None
        if since >= period:
            raise Refused(
                f"since: {since} is not before the as-at period {period}; choose an earlier one"
            )
        return changes_chart(plan, period, since)
    return build_chart(plan, name, period)


def chart_file(slug: str, name: str, fmt: str) -> Response:
    """One chart as PNG, SVG, PDF or HTML."""
    if fmt not in FORMATS or not SAFE_NAME.match(name):
        abort(404)
    _some_data()
    plan, period, _ = _chosen()
    try:
        item = _chart(name, plan, period)
    except UnknownChart:
        abort(404)
    width = 25.0 if item.name.startswith("timeline-") else 16.0
    config = settings()
    # Kept under what was drawn (the chart's name holds a known ref, its title the periods), not
    # under what the query said: parameters a chart ignores make no new entry and no new render.
    data = _rendered(
        "chart",
        fmt,
        lambda: to_bytes(item.figure, fmt, width_cm=width, settings=config),
        item.name,
        item.title,
    )
    return _send(data, f"{slug}-{item.name}-{period.slug}.{fmt}", fmt)


def data_file(slug: str, fmt: str) -> Response:
    """The milestones as at the period, filtered, as CSV or XLSX (formula-safe)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    _some_data()
    plan, period = _filters().apply(source().plan())
    out = plan_export(plan, period, settings(), public=_public())
    config = settings()
    with tempfile.TemporaryDirectory() as work:
        target = Path(work) / f"{slug}-{period.slug}.{fmt}"
        if fmt == "csv":
            write_csv(out.frame, target, bom=request.args.get("bom") == "1")
            write_csvw(
                out.frame,
                target,
                title=out.title,
                publisher=config.organisation,
                description=out.note,
            )
        else:
            write_xlsx(out.frame, target, title=out.title, note=out.note)
        return _send(target.read_bytes(), target.name, fmt)


def _evidence() -> list[EvidenceFile]:
    """The evidence files a panel report lists: the public ones, whoever asks (the report is
    the panel's, and kept for everyone alike)."""
    return EvidenceStore(source().store).list(public_only=True)


def _report(plan: DeliveryPlan, period: Period, public: bool, fmt: str) -> bytes:
    from socplan.reporting.report import build_report

    config = settings()
    content = build_report(plan, config, period, public=public, evidence=_evidence())
    with tempfile.TemporaryDirectory() as work:
        target = Path(work) / f"report.{fmt}"
        if fmt == "docx":
            from socplan.reporting.report_docx import write_docx

            write_docx(content, target, config)
        else:
            from socplan.reporting.report_pdf import write_pdf

            write_pdf(content, target, config)
        return target.read_bytes()


def report_file(slug: str, fmt: str) -> Response:
    """The panel report as Word or PDF."""
    if fmt not in ("docx", "pdf"):
        abort(404)
    _some_data()
    plan, period = _filters().apply(source().plan())
    public = _public()
    # Evidence changes without a new plan version, so the files listed are part of the key.
    listed = tuple((e.id, e.name, e.milestone, e.period.index) for e in _evidence())
    data = _rendered("report", fmt, lambda: _report(plan, period, public, fmt), listed)
    stem = f"{slug}-panel-report-{period.slug}{'-public' if public else ''}"
    return _send(data, f"{stem}.{fmt}", fmt)


def register(server: Flask, render_slots: int) -> None:
    """Add the download routes, with their render bound and cache."""
    server.extensions["socplan_renders"] = RenderGate(render_slots)
    server.extensions["socplan_files"] = FileCache(CACHE_BYTES)
    # Under the plan's path; auth.py has checked the plan and the requester's role on it.
    server.add_url_rule("/plans/<slug>/export/chart/<name>.<fmt>", "export_chart", chart_file)
    server.add_url_rule("/plans/<slug>/export/data.<fmt>", "export_data", data_file)
    server.add_url_rule("/plans/<slug>/export/report.<fmt>", "export_report", report_file)

    @server.errorhandler(Busy)
    def busy(_: Busy) -> Any:
        response = jsonify(
            error=f"busy making other charts and reports; try again in {RETRY_AFTER} seconds"
        )
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response

    @server.errorhandler(Refused)
    def refused(error: Refused) -> Any:
        return jsonify(error=str(error)), 400

    @server.errorhandler(NothingYet)
    def nothing_yet(_: NothingYet) -> Any:
        return jsonify(error="nothing to download yet: this plan has no period to show"), 404
