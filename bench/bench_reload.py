"""One worker at 100,000 milestones x 20 quarters: resident memory once the plan is loaded and
its pages viewed, the first page after an import (an incremental reload: the period changed is
read again, not the history), and the peak on the way.

Targets (PRODUCT.md): under 1.5 GiB per worker; the first page after an import within 3 s.

    python bench/bench_reload.py [--milestones N]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import dash
import flask
from timing import Stopwatch

from dashboard.app import create_app
from dashboard.source import SERVING
from socplan.accounts import User
from socplan.model import DeliveryPlan
from socplan.schema import MILESTONE_FIELDS
from socplan.store import Store
from socplan.synthetic import synthetic_history

MIB = 1024 * 1024


def memory() -> tuple[float, float]:
    """(resident now, peak resident) of this process, in MiB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found["VmRSS"], found["VmHWM"]


def main(milestones: int = 100_000, periods: int = 20) -> list[tuple[str, float]]:
    """Build, serve as an editor (drafts included), import, serve again; print and return figures."""
    work = Path(tempfile.mkdtemp(prefix="socplan-reload-"))
    url = f"sqlite:///{work / 'plan.db'}"
    store = Store(url)
    watch = Stopwatch()
    for period, recs, ms in synthetic_history(milestones, periods):
        store.commit_import(recs, ms, period, data=b"b", file_name="b.xlsx", imported_by="b")
    print(f"built {milestones:,} x {periods} in {watch.seconds:.0f} s", flush=True)
    app = create_app({"db": url, "require_sign_in": False, "state_dir": str(work / "state")})
    pages = {p["subpath"]: p for p in dash.page_registry.values() if "subpath" in p}
    plan_store = Store(url, plan="main")

    def render(path: str) -> float:
        with app.server.test_request_context(f"/plans/main{path}"):
            flask.g.socplan_plan, flask.g.require_sign_in = "main", True
            flask.g.user = User("editor", "editor")  # an editor: the newest (draft) quarter
            flask.g.setdefault(SERVING, True)
            clock = Stopwatch()
            pages[path]["layout"](plan="main")
            return clock.seconds

    first = render("/")
    for path in ("/recommendations", "/partners", "/changes"):
        render(path)
    resident, peak = memory()
    # One partner's return into the newest period, made from the plan as stored.
    plan = DeliveryPlan.from_store(plan_store)
    newest = plan.latest
    assert newest is not None
    ms = plan.milestones(newest).head(50)[list(MILESTONE_FIELDS)]
    recs = plan.recommendations_at(newest)
    del plan
    plan_store.commit_import(
        recs, ms, newest, data=b"p", file_name="p.xlsx", imported_by="b", partial=True
    )
    after = render("/")
    figures = [
        ("first page (plan load), s", first),
        ("resident after its pages, MiB", resident),
        ("peak resident while loading, MiB", peak),
        ("first page after an import, s", after),
    ]
    print(f"{milestones:,} milestones x {periods} quarters, one worker:")
    for name, value in figures:
        print(f"  {name}: {value:.2f}")
    print("  targets: resident under 1536 MiB; first page after an import under 3 s")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--milestones", type=int, default=100_000)
    main(parser.parse_args().milestones)
