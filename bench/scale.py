"""Scale curve: import time, peak memory and callback time at 1,000, 10,000 and 100,000 milestones.

For each size a synthetic plan of 20 quarters is built: 19 quarters stored straight into a new
SQLite database, and the 20th written as a workbook. Then, each in a fresh process so that peak
memory (the process's maximum resident set size) belongs to one job:

- import: the 20th quarter's workbook read, checked and stored (as `socplan import` does);
- dashboard: the app built, the plan loaded, and every page's render callback timed.

A process that only loads the same libraries is measured too: its memory is the floor every
figure stands on. Run time is a few minutes, most of it the 100,000-milestone plan.

    python bench/scale.py [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import math
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from timing import Stopwatch, median_seconds

PERIODS = 20
CHILD_TIMEOUT = 900  # seconds for any one step
PAGES = [
    ("/", {}),
    ("/", {"theme": "Pursue"}),
    ("/recommendations", {}),
    ("/recommendation/<ref>", {"ref": "R7"}),
    ("/partners", {}),
    ("/changes", {}),
]


def peak_mb() -> float:
    """This process's peak resident memory in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


FLOORS = {
    "import": ["pandas", "socplan.intake.importer", "socplan.store"],
    "dashboard": ["pandas", "dash", "plotly.io.json", "dashboard.app", "socplan.store"],
}


def child_floor(kind: str) -> dict[str, Any]:
    """Peak memory of a process that only loads the libraries a step uses."""
    import importlib

    for name in FLOORS[kind]:
        importlib.import_module(name)
    return {"peak_mb": peak_mb()}


def child_build(url: str, workbook: str, milestones: int) -> dict[str, Any]:
    from socplan.intake.template import write_template
    from socplan.store import Store
    from socplan.synthetic import synthetic_history

    history = synthetic_history(milestones, PERIODS)
    store = Store(url)
    watch = Stopwatch()
    for period, recs, ms in history[:-1]:
        store.commit_import(
            recs, ms, period, data=b"scale", file_name="scale.xlsx", imported_by="bench"
        )
    stored = watch.seconds
    period, recs, ms = history[-1]
    buffer = io.BytesIO()
    write_template(buffer, period, recs, ms)
    Path(workbook).write_bytes(buffer.getvalue())
    return {"store_19_s": stored, "period": period.label, "workbook_mb": buffer.tell() / 2**20}


def child_import(url: str, workbook: str, period: str) -> dict[str, Any]:
    from socplan.intake.importer import import_bytes
    from socplan.intake.safety import Limits
    from socplan.periods import Period
    from socplan.store import Store

    store = Store(url)
    store.ensure_schema()
    data = Path(workbook).read_bytes()
    # The upload cap (25 MB) is for a web form; the largest synthetic workbook is bigger.
    limits = Limits(max_file_bytes=max(len(data) + 1, Limits().max_file_bytes))
    before = peak_mb()
    watch = Stopwatch()
    outcome = import_bytes(
        store, data, "plan.xlsx", period=Period.parse(period), imported_by="bench", limits=limits
    )
    seconds = watch.seconds
    assert outcome.revision is not None, outcome.report.lines()[:5]
    return {"import_s": seconds, "peak_mb": peak_mb(), "before_mb": before}


def child_dashboard(url: str, repeat: int) -> dict[str, Any]:
    import plotly.io.json as pio_json
    from bench_dashboard import PLAN, pages, plan_request, publish

    from dashboard.app import create_app
    from socplan.store import Store

    publish(Store(url))  # the imported quarter too: what the panel sees (untimed)
    watch = Stopwatch()
    app = create_app({"db": url})
    source = app.server.extensions["socplan"].get(PLAN)
    registry = pages()
    with plan_request(app):
        source.plan()
        load_s = watch.seconds
        medians = {}
        for path, query in PAGES:
            page = registry[path]

            def render(page=page, query=query) -> None:
                pio_json.to_json_plotly(page["layout"](plan=PLAN, **query))

            render()  # warm this page's memo
            label = path.replace("<ref>", "R7") + ("?theme=Pursue" if query.get("theme") else "")
            # Time the render, not the page kept from last time.
            medians[label] = median_seconds(render, repeat, before=source.forget_pages)
    return {
        "load_s": load_s,
        "callback_median_s": statistics.median(medians.values()),
        "callback_slowest": max(medians.items(), key=lambda kv: kv[1]),
        "peak_mb": peak_mb(),
    }


def run_child(*args: str) -> dict[str, Any]:
    """Run one step in a fresh Python process; its last output line is JSON."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"scale step {args[0]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def growth(sizes: list[int], values: list[float]) -> float:
    """The exponent k in cost ~ size^k, fitted between the smallest and largest size."""
    if len(sizes) < 2 or values[0] <= 0:
        return float("nan")
    return math.log(values[-1] / values[0]) / math.log(sizes[-1] / sizes[0])


def main(sizes: tuple[int, ...] = (1_000, 10_000, 100_000)) -> list[dict[str, Any]]:
    """Measure every size; print the table and a sentence on growth; return the rows."""
    watch = Stopwatch()
    floors = {kind: run_child("floor", kind)["peak_mb"] for kind in FLOORS}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="socplan-scale-") as tmp:
        for size in sizes:
            url = f"sqlite:///{Path(tmp) / f'plan-{size}.db'}"
            workbook = str(Path(tmp) / f"plan-{size}.xlsx")
            built = run_child("build", url, workbook, str(size))
            imported = run_child("import", url, workbook, built["period"])
            shown = run_child("dashboard", url, "3" if size >= 100_000 else "5")
            rows.append(
                {
                    "milestones": size,
                    **built,
                    **imported,
                    **{f"dash_{k}": v for k, v in shown.items()},
                }
            )
            Path(workbook).unlink()
    print(
        f"Scale curve: synthetic plans of {PERIODS} quarters; SQLite; one fresh process per step; "
        f"memory is peak resident set (floor: a process that only loads the same libraries, "
        f"{floors['import']:.0f} MiB for import, {floors['dashboard']:.0f} MiB for the dashboard)"
    )
    header = (
        f"  {'milestones':>10} {'rows stored':>11} {'workbook':>9} {'import':>8} {'import mem':>10} "
        f"{'plan load':>9} {'callback p50':>12} {'slowest page (median)':>32} {'dash mem':>9}"
    )
    print(header)
    for r in rows:
        name, slowest = r["dash_callback_slowest"]
        print(
            f"  {r['milestones']:>10,} {r['milestones'] * PERIODS:>11,} {r['workbook_mb']:>7.1f}MB "
            f"{r['import_s']:>7.2f}s {r['peak_mb']:>7.0f}MiB {r['dash_load_s']:>8.2f}s "
            f"{r['dash_callback_median_s'] * 1000:>10.0f}ms {name:>20} {slowest * 1000:>8.0f}ms "
            f"{r['dash_peak_mb']:>6.0f}MiB"
        )
    measures = {
        "import": lambda r: r["import_s"],
        "plan load": lambda r: r["dash_load_s"],
        "median callback": lambda r: r["dash_callback_median_s"],
        "slowest page": lambda r: r["dash_callback_slowest"][1],
        "dashboard memory above the floor": lambda r: max(
            1.0, r["dash_peak_mb"] - floors["dashboard"]
        ),
    }
    for small, big in itertools.pairwise(rows):
        n0, n1 = small["milestones"], big["milestones"]
        steps = ", ".join(
            f"{name} ×{get(big) / get(small):.1f} (k={growth([n0, n1], [get(small), get(big)]):.2f})"
            for name, get in measures.items()
        )
        print(f"  {n0:,} -> {n1:,} milestones (×{n1 / n0:g}): {steps}")
    if len(rows) >= 2:
        print(
            "  (k is the exponent in cost ~ size^k: 1 is linear, below 1 means fixed costs still "
            "weigh, above 1 means worse than linear.)"
        )
    print(f"  (measured in {watch.seconds:.0f} s)")
    for r in rows:
        r["floor_import_mb"], r["floor_dashboard_mb"] = floors["import"], floors["dashboard"]
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        step, rest = sys.argv[2], sys.argv[3:]
        if step == "floor":
            out = child_floor(rest[0])
        elif step == "build":
            out = child_build(rest[0], rest[1], int(rest[2]))
        elif step == "import":
            out = child_import(*rest)
        else:
            out = child_dashboard(rest[0], int(rest[1]))
        print(json.dumps(out))
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--sizes", default="1000,10000,100000", help="milestone counts")
        args = parser.parse_args()
        main(tuple(int(s) for s in args.sizes.split(",")))
