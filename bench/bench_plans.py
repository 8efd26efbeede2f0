"""Memory does not multiply: one worker serving many plans, each viewed in turn, twice round.

One database holds 10 synthetic plans of 10,000 milestones x 20 quarters (`plan-0` ...
`plan-9`). Plan 0 is imported as `socplan import` stores it (`commit_import`, one quarter at a
time); plans 1-9 are copies of its rows made by SQL (INSERT ... SELECT on imports,
import_files, recommendation_rows and milestone_rows, with new plan and import ids), which is
far quicker than importing each again and loads into the app exactly as an imported plan does.

One app (`create_app`, as one gunicorn worker runs it), in a fresh process, then views every
plan in turn, twice round: the overview, the recommendations grid, one recommendation, the
partners and the changes pages, each rendered through its page's layout in a request about the
plan (as bench_dashboard.py does) and encoded as Dash encodes the response. The first round
shows each page unfiltered, the second as at the quarter before, so that no page is served
from the pages kept from the first round: every time below is a real render. A rendered page is
then kept as when serving (measured after the response), so kept pages take their memory too.

Figures: the process's peak resident set (VmHWM; target under 2 GiB), the median page render
with the plan held (target under 150 ms), the first page of a plan that is not held ("plan
load": the plan read from the database, then the page), and the plans held at the end. Run with
the default `plan_cache_mb` (1024) and, as the baseline, with a budget that holds every plan.
The baseline stops loading plans when the machine has less than 4 GiB available (it says so).

A third process only loads each plan (no page) and compares the growth of its resident memory
per plan with `DeliveryPlan.nbytes()`, the size the plan cache counts.

    python bench/bench_plans.py [--plans 10] [--milestones 10000] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from timing import Stopwatch

PERIODS = 20
PAGES = [
    ("/", {}),
    ("/recommendations", {}),
    ("/recommendation/<ref>", {"ref": "R7"}),
    ("/partners", {}),
    ("/changes", {}),
]
DEFAULT_CACHE_MB = 1024  # socplan.config.Settings.plan_cache_mb
ALL_CACHE_MB = 1_000_000  # large enough to hold every plan: the baseline
MIN_AVAILABLE_MB = 4096  # the baseline loads no more plans when the machine has less free
CHILD_TIMEOUT = 3600
PEAK_TARGET_MB = 2048
RENDER_TARGET_S = 0.150


def status_mb(name: str) -> float:
    """A field of /proc/self/status in MiB: VmRSS (now) or VmHWM (peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(name)


def available_mb() -> float:
    """What the machine can still give (MemAvailable), in MiB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


def copy_plan(engine: sa.Engine, source_id: int, target_id: int) -> None:
    """Copy plan `source_id`'s imports and rows to the (empty) plan `target_id`, by SQL."""
    from socplan.tables import import_files, imports, milestone_rows, recommendation_rows

    with engine.begin() as conn:
        ids = [
            i
            for (i,) in conn.execute(sa.select(imports.c.id).where(imports.c.plan_id == source_id))
        ]
        offset = int(conn.scalar(sa.select(sa.func.max(imports.c.id)))) - min(ids) + 1
        kept = [c for c in imports.c if c.name not in ("id", "plan_id")]
        conn.execute(
            imports.insert().from_select(
                ["id", "plan_id", *(c.name for c in kept)],
                sa.select(
                    (imports.c.id + offset).label("id"),
                    sa.literal(target_id).label("plan_id"),
                    *kept,
                ).where(imports.c.plan_id == source_id),
            )
        )
        for table in (import_files, recommendation_rows, milestone_rows):
            columns = [(c + offset).label(c.name) if c.name == "import_id" else c for c in table.c]
            conn.execute(
                table.insert().from_select(
                    [c.name for c in table.c],
                    sa.select(*columns).where(table.c.import_id.in_(ids)),
                )
            )


def build(url: str, plans: int, milestones: int) -> dict[str, Any]:
    """Plans plan-0 ... plan-N in one database: the first imported, the rest copied by SQL."""
    from bench_dashboard import publish

    from socplan.store import Store
    from socplan.synthetic import synthetic_history

    store = Store(url)
    store.ensure_schema()
    watch = Stopwatch()
    first = store.add_plan("plan-0", "Synthetic plan 0")
    plan0 = store.for_plan("plan-0")
    history = synthetic_history(milestones, PERIODS)
    for period, recs, ms in history:
        plan0.commit_import(
            recs, ms, period, data=b"bench", file_name="bench.xlsx", imported_by="bench"
        )
    imported = watch.seconds
    watch = Stopwatch()
    for i in range(1, plans):
        made = store.add_plan(f"plan-{i}", f"Synthetic plan {i}")
        copy_plan(store.engine, first.id, made.id)
    copied = watch.seconds
    for slug in (f"plan-{i}" for i in range(plans)):
        publish(store.for_plan(slug))  # what viewers see: signed-off periods (where there are)
    store.engine.dispose()
    return {"import_first_s": imported, "copy_rest_s": copied, "before": history[-2][0].label}


def child_serve(
    url: str, slugs: list[str], cache_mb: int, rounds: int, before: str
) -> dict[str, Any]:
    """One app viewing every plan in turn, `rounds` times round (after the first, as at the
    quarter `before` the newest); times, peak memory, plans held."""
    import flask
    import plotly.io.json as pio_json
    from bench_dashboard import pages, plan_request

    from dashboard.app import create_app

    app = create_app({"db": url, "require_sign_in": False, "plan_cache_mb": cache_mb})
    sources = app.server.extensions["socplan"]
    registry = pages()
    renders: list[float] = []
    loads: list[float] = []
    visited: list[str] = []
    capped = False
    start_mb = status_mb("VmRSS")
    for round_ in range(rounds):
        for slug in slugs:
            loading = cache_mb >= ALL_CACHE_MB and slug not in sources.held
            if loading and available_mb() < MIN_AVAILABLE_MB:
                capped = True  # the baseline would take more than the machine can spare
                break
            held = slug in sources.held
            for path, query in PAGES:
                if round_:  # as at the quarter before: not a page kept from round one
                    query = {**query, "period": before}
                with plan_request(app, slug, path):
                    watch = Stopwatch()
                    pio_json.to_json_plotly(registry[path]["layout"](plan=slug, **query))
                    seconds = watch.seconds
                    # What serving does once the response has gone: keep the page (source.py).
                    app.server.process_response(flask.Response()).close()
                (renders if held else loads).append(seconds)
                held = True
            visited.append(slug)
        if capped:
            break
    gc.collect()
    return {
        "cache_mb": cache_mb,
        "peak_mb": status_mb("VmHWM"),
        "end_mb": status_mb("VmRSS"),
        "start_mb": start_mb,
        "render_median_s": statistics.median(renders) if renders else float("nan"),
        "render_max_s": max(renders, default=float("nan")),
        "renders": len(renders),
        "load_median_s": statistics.median(loads) if loads else float("nan"),
        "load_max_s": max(loads, default=float("nan")),
        "loads": len(loads),
        "load_times_s": [round(t, 2) for t in loads],
        "held": sources.held,
        "held_mb": sources.held_bytes / 2**20,
        "visits": len(visited),
        "capped": capped,
    }


def child_probe(url: str, slugs: list[str]) -> dict[str, Any]:
    """Resident memory grown by each plan loaded (no page), against `nbytes()`."""
    from socplan.model import DeliveryPlan
    from socplan.store import Store

    store = Store(url)
    DeliveryPlan.from_store(store.for_plan(slugs[0]))  # warm: imports, first-use caches
    gc.collect()
    held = []
    growth, sizes = [], []
    for slug in slugs:
        if available_mb() < MIN_AVAILABLE_MB:
            break
        before = status_mb("VmRSS")
        held.append(DeliveryPlan.from_store(store.for_plan(slug)))
        gc.collect()
        growth.append(status_mb("VmRSS") - before)
        sizes.append(held[-1].nbytes() / 2**20)
    return {
        "plans": len(held),
        "rss_per_plan_mb": statistics.median(growth),
        "nbytes_mb": statistics.median(sizes),
    }


def run_child(*args: str) -> dict[str, Any]:
    """One step in a fresh Python process (so its peak memory is its own); JSON on its last line."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench_plans step {args[0]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(plans: int = 10, milestones: int = 10_000, rounds: int = 2) -> dict[str, Any]:
    """Build the plans, run the bounded app, the baseline and the probe; print and return."""
    watch = Stopwatch()
    slugs = [f"plan-{i}" for i in range(plans)]
    with tempfile.TemporaryDirectory(prefix="socplan-plans-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'plans.db'}"
        built = build(url, plans, milestones)
        names = ",".join(slugs)
        bounded = run_child(
            "serve", url, names, str(DEFAULT_CACHE_MB), str(rounds), built["before"]
        )
        every = run_child("serve", url, names, str(ALL_CACHE_MB), str(rounds), built["before"])
        probe = run_child("probe", url, names)
    print(
        f"Plans in one worker: {plans} plans of {milestones:,} milestones x {PERIODS} quarters in "
        f"one SQLite database (plan-0 imported in {built['import_first_s']:.1f} s; the other "
        f"{plans - 1} copied from it by SQL in {built['copy_rest_s']:.1f} s); each plan viewed "
        f"in turn ({len(PAGES)} pages), {rounds} times round"
    )
    for label, r in (("plan_cache_mb 1024 (default)", bounded), ("every plan held", every)):
        capped = f"; CAPPED after {r['visits']} visits (machine memory)" if r["capped"] else ""
        print(
            f"  {label}: peak RSS {r['peak_mb']:.0f} MiB (start {r['start_mb']:.0f}, end "
            f"{r['end_mb']:.0f}); page render median {r['render_median_s'] * 1000:.0f} ms over "
            f"{r['renders']} (slowest {r['render_max_s'] * 1000:.0f} ms); plan load median "
            f"{r['load_median_s']:.2f} s over {r['loads']} (slowest {r['load_max_s']:.2f} s); "
            f"holds {len(r['held'])} of {plans} at the end ({r['held_mb']:.0f} MiB counted)"
            f"{capped}"
        )
        print(f"    plan loads in order, s: {' '.join(f'{t:.1f}' for t in r['load_times_s'])}")
    held = len(every["held"])
    grown = (every["end_mb"] - every["start_mb"]) / held
    print(
        f"  every plan held: resident memory grown per plan held (its pages viewed) {grown:.0f} "
        f"MiB; the cache counts {every['held_mb'] / held:.0f} MiB a plan "
        f"({grown / (every['held_mb'] / held):.1f}x)"
    )
    ratio = probe["rss_per_plan_mb"] / probe["nbytes_mb"] if probe["nbytes_mb"] else float("nan")
    print(
        f"  one plan loaded (no page), median of {probe['plans']}: resident memory "
        f"+{probe['rss_per_plan_mb']:.0f} MiB, nbytes() {probe['nbytes_mb']:.0f} MiB "
        f"(RSS / nbytes {ratio:.1f}x)"
    )
    print(f"  (measured in {watch.seconds:.0f} s)")
    return {
        "plans": plans,
        "milestones": milestones,
        "rounds": rounds,
        "built": built,
        "bounded": bounded,
        "every": every,
        "probe": probe,
    }


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        step, rest = sys.argv[2], sys.argv[3:]
        if step == "serve":
            out = child_serve(rest[0], rest[1].split(","), int(rest[2]), int(rest[3]), rest[4])
        else:
            out = child_probe(rest[0], rest[1].split(","))
        print(json.dumps(out))
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--plans", type=int, default=10)
        parser.add_argument("--milestones", type=int, default=10_000)
        parser.add_argument("--quick", action="store_true", help="3 plans of 2,000 milestones")
        args = parser.parse_args()
        if args.quick:
            main(3, 2_000)
        else:
            main(args.plans, args.milestones)
