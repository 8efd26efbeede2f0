"""The dashboard's own plotly.js (assets/vendor/plotly.min.js, from scripts/build_plotly.sh) holds
only some trace types: every chart the dashboard draws must use only those, and it must be the
plotly.js version the installed plotly (Python) makes figures for."""

from __future__ import annotations

import re
from pathlib import Path

from plotly.offline import get_plotlyjs_version

from socplan.model import DeliveryPlan
from socplan.reporting.charts import build_chart, chart_names
from socplan.store import Store

BUNDLE = Path(__file__).resolve().parent.parent / "assets" / "vendor" / "plotly.min.js"


def banner() -> re.Match[str]:
    first = BUNDLE.read_text(encoding="utf-8").split("\n", 1)[0]
    found = re.match(r"/\* plotly\.js v(\S+) \(core, ([a-z ]+)\)", first)
    assert found, f"{BUNDLE} does not start with scripts/build_plotly.sh's banner: {first[:120]}"
    return found


def test_bundle_is_the_plotly_js_version_plotly_makes_figures_for():
    assert banner().group(1) == get_plotlyjs_version()


def test_every_chart_of_the_sample_plan_uses_only_trace_types_in_the_bundle(demo_db):
    plan = DeliveryPlan.from_store(Store(demo_db))
    held = {"scatter", *banner().group(2).split()}  # scatter is in plotly.js's core
    used: dict[str, str] = {}
    for name, _ in chart_names(plan):
        for trace in build_chart(plan, name).figure.data:
            used.setdefault(trace.type, name)
    assert {"bar", "scatter", "sankey"} <= set(used)  # every kind of chart was drawn
    missing = {kind: chart for kind, chart in used.items() if kind not in held}
    assert not missing, f"charts use trace types missing from {BUNDLE.name}: {missing}"
