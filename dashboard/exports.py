"""File downloads for report authors: charts, the panel report and the data, honouring the
filters in the query string. Plain links (no JavaScript), so they work from the keyboard."""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

from flask import Flask, Response, abort, request, send_file

from socplan.charts import UnknownChart, build_chart, changes_chart
from socplan.export import export_frame, write_csv, write_csvw, write_xlsx
from socplan.model import DeliveryPlan
from socplan.periods import Period, PeriodError
from socplan.render import FORMATS, to_bytes

from .context import settings, source
from .filters import Filters

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


def _chosen() -> tuple[DeliveryPlan, Period, bool]:
    filters = Filters.from_search(request.query_string.decode())
    plan, period = filters.apply(source().plan())
    public = request.args.get("public") in ("1", "yes", "true")
    if public:
        plan = plan.filtered(public_only=True)
    return plan, period, public


def _send(data: bytes, name: str, fmt: str) -> Response:
    return send_file(
        io.BytesIO(data), mimetype=MIMETYPES[fmt], as_attachment=True, download_name=name
    )


def chart_file(name: str, fmt: str) -> Response:
    """One chart as PNG, SVG, PDF or HTML."""
    if fmt not in FORMATS or not SAFE_NAME.match(name):
        abort(404)
    plan, period, _ = _chosen()
    try:
        if name == "changes" and request.args.get("since"):
            item = changes_chart(plan, period, Period.parse(request.args["since"]))
        else:
            item = build_chart(plan, name, period)
    except (UnknownChart, PeriodError):
        abort(404)
    width = 25.0 if name.startswith("timeline-") else 16.0
    return _send(
        to_bytes(item.figure, fmt, width_cm=width),
        f"{name}-{period.label.replace('/', '-').replace(' ', '-')}.{fmt}",
        fmt,
    )


def data_file(fmt: str) -> Response:
    """The milestones as at the period, filtered, as CSV or XLSX (formula-safe)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    plan, period, public = _chosen()
    frame = export_frame(plan.milestones(period))
    config = settings()
    title = f"{config.strategy}: delivery plan as at {period.end:%d %B %Y} ({period})"
    stem = f"delivery-plan-{period.label.replace('/', '-').replace(' ', '-')}"
    with tempfile.TemporaryDirectory() as work:
        target = Path(work) / f"{stem}.{fmt}"
        if fmt == "csv":
            write_csv(frame, target, bom=request.args.get("bom") == "1")
            write_csvw(frame, target, title=title, publisher=config.organisation)
        else:
            write_xlsx(frame, target, title=title, note="Published version." if public else "")
        return _send(target.read_bytes(), target.name, fmt)


def report_file(fmt: str) -> Response:
    """The panel report as Word or PDF."""
    if fmt not in ("docx", "pdf"):
        abort(404)
    from socplan.report import build_report

    filters = Filters.from_search(request.query_string.decode())
    plan, period = filters.apply(source().plan())
    public = request.args.get("public") in ("1", "yes", "true")
    content = build_report(plan, settings(), period, public=public)
    stem = f"panel-report-{period.label.replace('/', '-').replace(' ', '-')}{'-public' if public else ''}"
    with tempfile.TemporaryDirectory() as work:
        target = Path(work) / f"{stem}.{fmt}"
        if fmt == "docx":
            from socplan.report_docx import write_docx

            write_docx(content, target)
        else:
            from socplan.report_pdf import write_pdf

            write_pdf(content, target)
        return _send(target.read_bytes(), target.name, fmt)


def register(server: Flask) -> None:
    """Add the download routes."""
    server.add_url_rule("/export/chart/<name>.<fmt>", "export_chart", chart_file)
    server.add_url_rule("/export/data.<fmt>", "export_data", data_file)
    server.add_url_rule("/export/report.<fmt>", "export_report", report_file)
