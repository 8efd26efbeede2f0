"""Pages in Chromium from two checkouts, loads interleaved: this one and another (an earlier
commit, say, in a `git worktree`). On a noisy machine runs of `bench_browser.py` minutes apart
differ by more than most changes do; loads taken in turn, A then B, see the same noise, so
their paired difference says what the change did.

Each checkout serves the same database (the sample plan and 10,000 milestones x 20 quarters,
built here) from its own process; one signed-in browser loads a page from each in turn.

    git worktree add --detach /tmp/before <commit>
    python bench/bench_browser_ab.py /tmp/before [--repeat N] [--page /partners ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_browser import BASE, PASSWORD, drawn, signed_in_state
from bench_dashboard import build

HERE = Path(__file__).resolve().parents[1]
# Run in each checkout: its own dashboard on a free loopback port, which prints its address.
SERVER = """
import sys, threading
from werkzeug.serving import make_server
from dashboard.app import create_app
httpd = make_server("127.0.0.1", 0, create_app({"db": sys.argv[1]}).server, threaded=True)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
print(f"http://127.0.0.1:{httpd.server_port}", flush=True)
sys.stdin.read()  # until the benchmark closes our input
"""


def serve(checkout: Path, url: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": f"{checkout / 'src'}{os.pathsep}{checkout}"}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, url],
        cwd=checkout,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def compare(browser: Any, bases: list[str], path: str, repeat: int) -> list[list[float]]:
    """Seconds to each page drawn, per checkout, over `repeat` rounds of one load each."""
    pages = []
    for base in bases:
        context = browser.new_context(
            base_url=base,
            storage_state=signed_in_state(browser, base),
            viewport={"width": 1280, "height": 900},
        )
        pages.append(context.new_page())
    times: list[list[float]] = [[] for _ in bases]
    for attempt in range(repeat + 1):  # the first warms each browser cache and server
        for page, seconds in zip(pages, times, strict=True):
            page.goto("about:blank")
            start = time.perf_counter()
            page.goto(BASE + ("" if path == "/" else path))
            drawn(page)
            if attempt:
                seconds.append(time.perf_counter() - start)
    for page in pages:
        page.context.close()
    return times


def main(other: Path, repeat: int, paths: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    from socplan.accounts import Accounts
    from socplan.browser import FLAGS, chromium
    from socplan.config import load_settings
    from socplan.demo import load_demo
    from socplan.store import Store

    work = Path(tempfile.mkdtemp(prefix="socplan-browser-ab-"))
    plans = {
        "sample": f"sqlite:///{work / 'sample.db'}",
        "10,000 x 20": f"sqlite:///{work / 'big.db'}",
    }
    load_demo(Store(plans["sample"]))
    build(plans["10,000 x 20"], 10_000, 20)
    checkouts = [other.resolve(), HERE]
    print(f"A: {checkouts[0]}\nB: {checkouts[1]} (this checkout)")
    print(f"Pages in Chromium, loads interleaved A, B; median of {repeat} each")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(load_settings()), args=list(FLAGS))
        try:
            for label, url in plans.items():
                Accounts(Store(url)).add("viewer", "viewer", PASSWORD)
                servers = [serve(checkout, url) for checkout in checkouts]
                try:
                    for path in paths:
                        a, b = compare(browser, [base for _, base in servers], path, repeat)
                        change = statistics.median(y - x for x, y in zip(a, b, strict=True))
                        print(
                            f"  {label:<12} {path:<22} A {statistics.median(a) * 1000:6.0f} ms"
                            f"   B {statistics.median(b) * 1000:6.0f} ms"
                            f"   B - A, paired median {change * 1000:+5.0f} ms",
                            flush=True,
                        )
                finally:
                    for process, _ in servers:
                        process.kill()
        finally:
            browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other checkout (A); this one is B")
    parser.add_argument("--repeat", type=int, default=15, help="timed loads per page and side")
    parser.add_argument("--page", action="append", help="a page's path within the plan")
    args = parser.parse_args()
    main(args.other, args.repeat, args.page or ["/"])
