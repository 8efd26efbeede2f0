"""socplan's own plotly.js (socplan/reporting/vendor/plotly.min.js, made by
scripts/build_plotly.sh) holds only some trace types. The dashboard's charts and the export
server's browser (chart images, the PDF report) both load it, so every chart socplan draws must
use only those types, and it must be the plotly.js version the installed plotly (Python) makes
figures for."""

from __future__ import annotations

import re

from plotly.offline import get_plotlyjs_version

from socplan.config import load_settings
from socplan.model import DeliveryPlan
from socplan.reporting.charts import build_chart, chart_names
from socplan.reporting.export_server import PLOTLY_JS
from socplan.reporting.report import build_report
from socplan.store import Store


def banner() -> re.Match[str]:
    first = PLOTLY_JS.read_text(encoding="utf-8").split("\n", 1)[0]
    found = re.match(r"/\* plotly\.js v(\S+) \(core, ([a-z ]+)\)", first)
    assert found, f"{PLOTLY_JS} does not start with scripts/build_plotly.sh's banner: {first[:120]}"
    return found


def test_bundle_is_the_plotly_js_version_plotly_makes_figures_for():
    assert banner().group(1) == get_plotlyjs_version()


def test_every_chart_and_report_figure_uses_only_trace_types_in_the_bundle(demo_db):
    plan = DeliveryPlan.from_store(Store(demo_db))
    held = {"scatter", *banner().group(2).split()}  # scatter is in plotly.js's core
    figures = {name: build_chart(plan, name).figure for name, _ in chart_names(plan)}
    for block in build_report(plan, load_settings()).figures:
        figures[f"report figure {block.number}"] = block.chart.figure
    used: dict[str, str] = {}
    for name, figure in figures.items():
        for trace in figure.data:
            used.setdefault(trace.type, name)
    assert {"bar", "scatter", "sankey"} <= set(used)  # every kind of chart was drawn
    missing = {kind: chart for kind, chart in used.items() if kind not in held}
    assert not missing, f"charts use trace types missing from {PLOTLY_JS.name}: {missing}"
