"""Server time of every dashboard callback on a synthetic plan of 10,000 milestones x 20 periods.

Pages are rendered by Dash Pages' callback, which calls each page's `layout(**query)`; we time
that call plus the JSON encoding Dash does on the response. Target (PRODUCT.md): median under
150 ms for each.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dash
import flask
import plotly.io.json as pio_json
from timing import Stopwatch, median_seconds

from dashboard import ids
from dashboard.app import create_app, nav_links, sync_filters
from dashboard.source import SERVING
from socplan.store import Store
from socplan.synthetic import synthetic_history

PLAN = "main"  # the plan an import into an empty database makes


def publish(store: Store) -> None:
    """Sign off every period of the store's plan, where this socplan has sign-off: panel
    members (viewers, the people these benchmarks stand for) see signed-off periods only."""
    try:
        from socplan.signoffs import period_states, sign_off
    except ImportError:  # a socplan from before sign-off: every period is shown
        return
    for state in period_states(store):
        if state.draft:
            sign_off(store, state.period, "bench")


def build(url: str, milestones: int, periods: int, plan: str | None = None) -> None:
    """Import a synthetic history straight into the store (as plan `plan`; by default the
    plan the first import into an empty database makes, `main`), every period signed off."""
    store = Store(url, plan=plan)
    for period, recs, ms in synthetic_history(milestones, periods):
        store.commit_import(
            recs, ms, period, data=b"bench", file_name="bench.xlsx", imported_by="bench"
        )
    publish(store)
    store.engine.dispose()


def pages() -> dict[str, dict[str, Any]]:
    """Dash Pages' registry by each page's path within a plan ("/", "/recommendations",
    "/recommendation/<ref>", ...). Pages about no plan (the list of plans at "/", accounts)
    are left out: they are not a plan's pages."""
    return {p["subpath"]: p for p in dash.page_registry.values() if "subpath" in p}


@contextmanager
def plan_request(app: dash.Dash, slug: str = PLAN, path: str = "/") -> Iterator[None]:
    """A request context about plan `slug`, as `auth.identify` leaves it for a request to
    /plans/<slug><path> by someone who may view it (sign-in not required), while serving."""
    with app.server.test_request_context(f"/plans/{slug}{'' if path == '/' else path}"):
        flask.g.socplan_plan = slug
        flask.g.require_sign_in = False
        # As when serving a request: a page is measured for the kept-pages budget after the
        # response has gone, so the time below is what the reader waits for.
        flask.g.setdefault(SERVING, True)
        yield


def main(milestones: int = 10_000, periods: int = 20, repeat: int = 7) -> list[tuple[str, float]]:
    """Time every callback; print a table; return (name, median seconds)."""
    work = Path(tempfile.mkdtemp(prefix="socplan-dash-bench-"))
    url = f"sqlite:///{work / 'bench.db'}"
    watch = Stopwatch()
    build(url, milestones, periods)
    built = watch.seconds
    app = create_app({"db": url, "require_sign_in": False})
    registry = pages()
    source = app.server.extensions["socplan"].get(PLAN)
    base = f"/plans/{PLAN}"
    with plan_request(app):
        plan = source.plan()
        latest = plan.latest.label
        mid = plan.periods[len(plan.periods) // 2].label
        theme = plan.themes[0]
        owner = plan.owners[0]
        cases: list[tuple[str, Callable[[], object]]] = []
        for path, query in [
            ("/", {}),
            ("/", {"period": mid, "theme": theme}),
            ("/recommendations", {}),
            ("/recommendations", {"owner": owner}),
            ("/recommendation/<ref>", {"ref": "R7"}),
            ("/partners", {}),
            ("/changes", {}),
            ("/changes", {"since": plan.periods[0].label}),
        ]:
            page = registry[path]

            def render(page=page, query=query) -> None:
                source.forget_pages()  # time the render itself, not the page kept from last time
                pio_json.to_json_plotly(page["layout"](plan=PLAN, **query))

            label = path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
            cases.append((f"page {label}", render))
        cases.append(
            (
                "sync_filters (theme ticked)",
                lambda: sync_filters("", latest, [theme], [], [latest], ids.THEME),
            )
        )
        cases.append(
            (
                "nav_links",
                lambda: nav_links("?theme=x", base, ["/", "/partners"], base),
            )
        )
        cases.append(
            (
                "plan reload after an import (cold cache)",
                lambda: source.__setattr__("_version", None) or source.plan(),
            )
        )
        results = []
        for name, func in cases:
            func()  # warm
            results.append((name, median_seconds(func, repeat)))
    print(
        f"Dashboard callbacks: {milestones:,} milestones x {periods} periods "
        f"(built in {built:.1f} s), median of {repeat}; target < 150 ms"
    )
    for name, seconds in results:
        flag = "" if seconds < 0.150 or "reload" in name else "  OVER TARGET"
        print(f"  {name:<58} {seconds * 1000:8.1f} ms{flag}")
    return results


if __name__ == "__main__":
    main()
