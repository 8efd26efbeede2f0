"""What a panel member waits for: every page of a plan in Chromium, from navigation to every chart
drawn and the grid's rows shown, signed in as a viewer, on loopback.

Plans: the sample plan, 10,000 milestones x 20 quarters, and the Recommendations grid at 1,000 and
5,000 recommendations. Each page is loaded once to warm the server and the browser cache, then timed
over several more loads in the same signed-in browser; the median is reported. Each database
holds one plan (its first import made it, `main`), so the pages are at /plans/main/...; they are
named below by their path within the plan.

    python bench/bench_browser.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_dashboard import PLAN, build
from timing import Stopwatch

PASSWORD = "a long benchmark password"
TARGET = "< 1.5 s"
PAGES = ["/", "/recommendations", "/recommendation/R1", "/partners", "/changes"]  # in the plan
BASE = f"/plans/{PLAN}"


@contextmanager
def serving(url: str) -> Iterator[str]:
    """The dashboard on a free loopback port, with a viewer account; yields its base URL."""
    from werkzeug.serving import make_server

    from dashboard.app import create_app
    from socplan.accounts import Accounts
    from socplan.store import Store

    Accounts(Store(url)).add("viewer", "viewer", PASSWORD)
    app = create_app({"db": url})
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()


def signed_in_state(browser: Any, base: str) -> Any:
    """Cookies of a viewer who has signed in, for new contexts to start from."""
    context = browser.new_context(base_url=base)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("User name").fill("viewer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("h1", timeout=60_000)
    state = context.storage_state()
    context.close()
    return state


def drawn(page: Any, timeout: float = 60.0) -> None:
    """Wait until the page's heading is there, every chart is drawn and the grid shows rows
    (polled from here: the page's Content-Security-Policy forbids evaluating scripts in it)."""
    page.wait_for_selector("h1", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        graphs = page.locator(".socplan-graph").count()
        charts = page.locator(".socplan-graph .main-svg").count()
        grid = page.locator(".ag-root").count()
        rows = page.locator(".ag-row").count()
        if charts >= graphs and (not grid or rows):
            return
        time.sleep(0.01)
    raise TimeoutError(f"{page.url}: not drawn within {timeout:.0f} s")


def time_page(browser: Any, base: str, state: Any, path: str, repeat: int) -> float:
    """Median seconds from navigation to the page drawn, over `repeat` loads in one signed-in
    browser (its cache warm, as for a reader moving around the dashboard). `path` is within
    the plan; the browser goes straight to the plan's address (no redirect)."""
    path = BASE + ("" if path == "/" else path)
    context = browser.new_context(
        base_url=base, storage_state=state, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    times = []
    for attempt in range(repeat + 1):  # the first warms the browser cache and the kept pages
        page.goto("about:blank")
        watch = Stopwatch()
        page.goto(path)
        drawn(page)
        if not page.url.split("?")[0].endswith(path):  # signed out, say, or sent elsewhere
            raise RuntimeError(f"asked for {path}, shown {page.url}")
        if attempt:
            times.append(watch.seconds)
    context.close()
    return statistics.median(times)


def plan_rows(browser: Any, label: str, url: str, pages: list[str], repeat: int) -> list[Any]:
    with serving(url) as base:
        state = signed_in_state(browser, base)
        rows = []
        for path in pages:
            seconds = time_page(browser, base, state, path, repeat)
            print(f"  {label:<28} {path:<24} {seconds * 1000:7.0f} ms", flush=True)
            rows.append((f"{label}: {path}", seconds, "", TARGET))
        return rows


def main(repeat: int = 3) -> list[tuple[str, float, str, str]]:
    """Time every page; print a table; return (measure, median seconds, ratio, target) rows."""
    from playwright.sync_api import sync_playwright

    from socplan.browser import FLAGS, chromium
    from socplan.config import load_settings
    from socplan.demo import load_demo
    from socplan.store import Store

    work = Path(tempfile.mkdtemp(prefix="socplan-browser-bench-"))
    plans = {
        "sample": f"sqlite:///{work / 'sample.db'}",
        "10,000 x 20": f"sqlite:///{work / 'big.db'}",
        "1,000 recommendations": f"sqlite:///{work / 'grid1000.db'}",
        "5,000 recommendations": f"sqlite:///{work / 'grid5000.db'}",
    }
    load_demo(Store(plans["sample"]))
    build(plans["10,000 x 20"], 10_000, 20)
    build(plans["1,000 recommendations"], 4_000, 1)  # four milestones to a recommendation
    build(plans["5,000 recommendations"], 20_000, 1)
    print(f"Pages in Chromium, signed in as a viewer, median of {repeat}; target {TARGET}")
    rows: list[Any] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(load_settings()), args=list(FLAGS))
        try:
            rows += plan_rows(browser, "sample", plans["sample"], PAGES, repeat)
            rows += plan_rows(browser, "10,000 x 20", plans["10,000 x 20"], PAGES, repeat)
            for label in ("1,000 recommendations", "5,000 recommendations"):
                rows += plan_rows(browser, label, plans[label], ["/recommendations"], repeat)
        finally:
            browser.close()
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed loads per page")
    main(parser.parse_args().repeat)
