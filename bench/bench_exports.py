"""Chart and report export against one-shot `fig.to_image` calls, in one run.

Targets (PRODUCT.md and the exports issue): the whole panel report under 5 s; 20 PNGs under 6 s.
The report and the 20 PNGs go through socplan's long-lived export server (one per process, as
the dashboard runs it); the baseline is plotly's one-shot `fig.to_image`, which starts a browser
for every image, timed in a fresh process so no server is running.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import Stopwatch

from socplan.browser import chromium
from socplan.config import load_settings
from socplan.demo import load_demo
from socplan.model import DeliveryPlan
from socplan.reporting.charts import build_chart
from socplan.reporting.render import to_bytes
from socplan.reporting.report import build_report
from socplan.reporting.report_docx import write_docx
from socplan.reporting.report_pdf import write_pdf
from socplan.store import Store

ONE_SHOT = """
import sys, warnings
warnings.filterwarnings("ignore")
sys.path.insert(0, sys.argv[3])
from socplan.reporting.charts import build_chart
from socplan.model import DeliveryPlan
from socplan.store import Store
from timing import median_seconds
plan = DeliveryPlan.from_store(Store(sys.argv[1]))
fig = build_chart(plan, "trend").figure
print(median_seconds(lambda: fig.to_image(format="png", width=605, height=360, scale=2), int(sys.argv[2])))
"""


def main(one_shot_samples: int = 3) -> list[tuple[str, float, str, str]]:
    """Run the benchmark; print and return (measure, seconds, ratio, target) rows."""
    work = Path(tempfile.mkdtemp(prefix="socplan-export-bench-"))
    url = f"sqlite:///{work / 'demo.db'}"
    load_demo(Store(url))
    plan = DeliveryPlan.from_store(Store(url))
    names = ["status", "by-theme", "by-owner", "trend", "burnup", "changes"] + [
        f"timeline-R{i}" for i in range(1, 15)
    ]
    charts = [build_chart(plan, n) for n in names]
    watch = Stopwatch()
    to_bytes(charts[0].figure, "png")
    first = watch.seconds  # starts the export server

    watch = Stopwatch()
    for item in charts:
        to_bytes(item.figure, "png", width_cm=25.0 if item.name.startswith("timeline") else 16.0)
    pngs = watch.seconds

    settings = load_settings()
    watch = Stopwatch()
    write_docx(build_report(plan, settings), work / "report.docx", settings)
    docx = watch.seconds
    watch = Stopwatch()
    write_pdf(build_report(plan, settings), work / "report.pdf", settings)
    pdf = watch.seconds

    watch = Stopwatch()
    subprocess.run(
        [
            str(Path(sys.executable).with_name("socplan")),
            "report",
            "--format",
            "docx",
            "-o",
            str(work / "cold.docx"),
            "--db",
            url,
        ],
        check=True,
        capture_output=True,
    )
    cold = watch.seconds

    out = subprocess.run(
        [sys.executable, "-c", ONE_SHOT, url, str(one_shot_samples), str(Path(__file__).parent)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "BROWSER_PATH": chromium(settings)},  # kaleido's: the same Chromium
    ).stdout
    one_shot = float(out.strip().splitlines()[-1])
    per_png = pngs / len(charts)
    rows = [
        ("one-shot fig.to_image, one PNG (baseline)", one_shot, "1.00", ""),
        ("export server start (once per process)", first, "", ""),
        ("socplan PNG through the export server", per_png, f"{one_shot / per_png:.0f}x faster", ""),
        (
            f"{len(charts)} PNGs through the export server",
            pngs,
            f"one-shot would take {one_shot * len(charts):.0f} s",
            "< 6 s",
        ),
        ("panel report, Word (19 charts), warm process", docx, "", "< 5 s"),
        ("panel report, PDF (19 charts), warm process", pdf, "", "< 5 s"),
        ("socplan report --format docx, new process", cold, "", "< 5 s"),
    ]
    print(
        f"Export benchmark: the sample plan, {len(charts)} charts; one-shot baseline median of {one_shot_samples}"
    )
    for name, seconds, ratio, target in rows:
        print(f"  {name:<48} {seconds:7.2f} s  {ratio:<28} {target}")
    return rows


if __name__ == "__main__":
    main()
