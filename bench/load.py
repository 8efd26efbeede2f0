"""Load test: simulated viewers against gunicorn on loopback; p50, p95, p99 and errors.

Each viewer behaves like a browser on the dashboard: on arrival it signs in (when the site asks;
a viewer account is made for the test), loads the plan's overview ("/plans/main": each database
here holds one plan, which its first import made), its stylesheets and scripts (once: a browser
caches them), "/_dash-layout" and "/_dash-dependencies", then the callbacks Dash fires on load
(render the page, sync the filters, mark the nav link, fill the frame: the plan's title, its
periods, themes and owners for the filters). Every callback carries the page's path, as the
renderer does (`socplan_path`). It then reads for 1 to 3 seconds
(think time; a panel member reads for longer, so this is demanding) and moves to another page
the way Dash Pages navigates: callbacks only. Pages are picked at random: overview,
recommendations, one recommendation, partners, changes, sometimes with a theme filter. Viewers
arrive over the first 10 seconds, then all of them browse for the given duration; figures are
given for the whole run and for each phase.

The server is `socplan serve --workers 2` (gunicorn, gthread) on 127.0.0.1 and a free port, on
the sample plan and on a synthetic plan of 10,000 milestones x 20 quarters. Everything is
bounded: loopback only (the address is fixed, not an option), a capped duration and number of
viewers and requests, a timeout per request. Target (PRODUCT.md): p95 under 500 ms, no errors.

    python bench/load.py [--viewers 50] [--duration 60] [--plans sample,10000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from timing import Stopwatch

HOST = "127.0.0.1"  # loopback only, by design
MAX_VIEWERS = 200
MAX_DURATION = 600.0
MAX_REQUESTS = 500_000
REQUEST_TIMEOUT = 30.0
RAMP_UP = 10.0  # viewers arrive over this many seconds (5 a second), then all stay `duration` s
PAGES_OUTPUT = ".._pages_content.children..._pages_store.data.."
SYNC_OUTPUT = "..url.search...filter-period.value...filter-theme.value...filter-owner.value.."
PLAN = "main"  # the plan the first import into an empty database makes
BASE = f"/plans/{PLAN}"  # where its pages live
SOCPLAN = str(Path(sys.executable).with_name("socplan"))


@dataclass
class Results:
    """Latencies (seconds) by kind of request, errors, and how long the test ran."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    phases: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, error: str | None, phase: str = "") -> None:
        with self.lock:
            self.requests += 1
            self.latencies.setdefault(kind, []).append(seconds)
            self.phases.setdefault(phase, []).append(seconds)
            if error:
                self.errors.append(f"{kind}: {error}")

    def all(self) -> np.ndarray:
        return np.array([s for values in self.latencies.values() for s in values])


def percentiles(values: np.ndarray) -> tuple[float, float, float]:
    """p50, p95, p99 in milliseconds."""
    if len(values) == 0:
        return (float("nan"),) * 3
    p50, p95, p99 = np.percentile(values, [50, 95, 99]) * 1000
    return float(p50), float(p95), float(p99)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(db_url: str, workers: int = 2, threads: int = 4) -> Iterator[int]:
    """`socplan serve --workers N` on 127.0.0.1; yields the port."""
    port = free_port()
    # One secret for every worker: a session cookie from one is good at the other.
    env = {**os.environ, "SOCPLAN_DB": db_url, "SOCPLAN_SECRET_KEY": secrets.token_hex(32)}
    command = [SOCPLAN, "serve", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--threads", str(threads)]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=5):
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        output = log.read().decode()
                        raise RuntimeError("gunicorn did not start:\n" + output) from None
                    time.sleep(0.2)
            yield port
        finally:
            proc.terminate()
            proc.wait(timeout=60)


class Viewer:
    """One simulated browser: a keep-alive connection and its cookies."""

    def __init__(
        self, port: int, results: Results, rng: random.Random, refs: list[str], setup: dict
    ):
        self.port = port
        self.results = results
        self.rng = rng
        self.refs = refs
        self.setup = setup
        self.cookies: dict[str, str] = {}
        self.phase = "arrival"
        self.page_path = BASE  # the page the browser shows; every callback carries it
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        body: Any = None,
        form: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 204),  # 204: Dash's answer to a callback with no update
    ) -> tuple[int, http.client.HTTPMessage | None, bytes]:
        headers: dict[str, str] = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST" and "_csrf_token" in self.cookies:
            # As Dash's renderer does: the CSRF token from its cookie, in a header.
            headers["X-CSRFToken"] = self.cookies["_csrf_token"]
        watch = Stopwatch()
        error = None
        status, message, payload = 0, None, b""
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                status, message = response.status, response.msg
                if status not in ok:
                    error = f"HTTP {status} for {method} {path}"
                break
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
                # The server closes idle keep-alive connections; like a browser, send again
                # once on a new connection when the old one turns out to be closed.
                stale = isinstance(
                    exc, BrokenPipeError | ConnectionResetError | http.client.RemoteDisconnected
                )
                if attempt == 2 or not stale:
                    error = f"{type(exc).__name__}: {exc} for {method} {path}"
                    break
        self.results.add(kind, watch.seconds, error, self.phase)
        for cookie in message.get_all("Set-Cookie") or [] if message else []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return status, message, payload

    def open_site(self) -> bytes:
        """GET the plan's overview, signing in first when the site asks (as a viewer would)."""
        status, message, page = self.request("index", "GET", BASE, ok=(200, 302))
        if status == 302 and message is not None and "/login" in message.get("Location", ""):
            username, password = self.setup["credentials"]
            _, _, form = self.request("sign in", "GET", "/login")
            found = re.search(rb'name="csrf" value="([^"]+)"', form)
            fields = {"username": username, "password": password, "next": BASE}
            fields["csrf"] = found.group(1).decode() if found else ""
            self.request("sign in", "POST", "/login", form=fields, ok=(302,))
            status, message, page = self.request("index", "GET", BASE)
        self.page_path = BASE
        return page

    def arrive(self) -> None:
        """A first visit: the page, its static files, the layout, the load-time callbacks."""
        self.open_site()
        for asset in self.setup["assets"]:
            self.request("static", "GET", asset)
        self.request("layout", "GET", "/_dash-layout")
        self.request("dependencies", "GET", "/_dash-dependencies")
        self.navigate("/", "", first=True)
        self.phase = "browsing"

    def callback(self, name: str, output: str, outputs: list, inputs: list, **more: Any) -> bytes:
        """One Dash callback request, as the renderer sends it (`more`: state, changedPropIds),
        with the page's path, as the renderer hook in dashboard/app.py adds it."""
        payload = {"output": output, "outputs": outputs, "inputs": inputs, "state": [], **more}
        payload["socplan_path"] = self.page_path
        return self.request(name, "POST", "/_dash-update-component", payload)[2]

    def frame(self, path: str, first: bool = False) -> bytes:
        """The frame's callback (the plan's title, role, definitions, filter options)."""
        output = self.setup["frame_output"]
        return self.callback(
            "callback: frame",
            output,
            outputs_of(output),
            [prop("url", "pathname", path)],
            changedPropIds=[] if first else ["url.pathname"],
        )

    def navigate(self, path: str, search: str, first: bool = False) -> None:
        """What Dash fires when the URL changes: render the page, nav links, filter sync, the
        frame. `path` is within the plan ("/", "/recommendations", ...)."""
        path = BASE + ("" if path == "/" else path)
        self.page_path = path
        self.callback(
            "callback: render page",
            PAGES_OUTPUT,
            [prop("_pages_content", "children"), prop("_pages_store", "data")],
            [prop("_pages_location", "pathname", path), prop("_pages_location", "search", search)],
            changedPropIds=[] if first else ["_pages_location.pathname"],
        )
        link = [{"page": p, "type": "nav-link"} for p in self.setup["nav_pages"]]
        self.callback(
            "callback: nav links",
            self.setup["nav_output"],
            [[prop(i, name) for i in link] for name in ("href", "children", "className")],
            [prop("url", "search", search), prop("url", "pathname", path)],
            state=[[prop(i, "id", i) for i in link]],
            changedPropIds=[] if first else ["url.pathname"],
        )
        periods = self.setup["periods"]
        filters = [("filter-period", periods[0]), ("filter-theme", []), ("filter-owner", [])]
        self.callback(
            "callback: sync filters",
            SYNC_OUTPUT,
            [prop("url", "search"), *(prop(f, "value") for f, _ in filters)],
            [
                prop("url", "search", search),
                *(prop(f, "value", v) for f, v in filters),
                prop("url", "pathname", path),
            ],
            changedPropIds=[] if first else ["url.search"],
        )
        self.frame(path, first)

    def next_page(self) -> tuple[str, str]:
        rng = self.rng
        path = rng.choice(
            ["/", "/recommendations", "/recommendation/", "/partners", "/changes", "/"]
        )
        if path == "/recommendation/":
            path += rng.choice(self.refs)
        search = ""
        if rng.random() < 0.3:
            search = "?theme=" + rng.choice(self.setup["themes"])
        return path, search

    def run(self, start_at: float, stop_at: float, think: tuple[float, float]) -> None:
        time.sleep(max(0.0, start_at - time.monotonic()))
        try:
            self.arrive()
            while True:
                pause = self.rng.uniform(*think)
                if time.monotonic() + pause >= stop_at or self.results.requests >= MAX_REQUESTS:
                    return
                time.sleep(pause)
                self.navigate(*self.next_page())
        finally:
            self.conn.close()


def prop(ident: object, name: str, *value: object) -> dict[str, object]:
    """One entry of a callback request's outputs, inputs or state."""
    return {"id": ident, "property": name, **({"value": value[0]} if value else {})}


def outputs_of(output: str) -> list[dict[str, object]]:
    """The `outputs` of a callback request from its dependency's `output` ("..a.b...c.d..")."""
    return [prop(*item.rsplit(".", 1)) for item in output.strip(".").split("...")]


def discover(port: int, credentials: tuple[str, str]) -> dict[str, Any]:
    """What a browser learns from the first page: static files, callbacks, the nav links, and
    the filter options (the frame's callback fills them in for the plan)."""
    browser = Viewer(port, Results(), random.Random(0), [], {"credentials": credentials})
    index = browser.open_site().decode()
    assets = re.findall(r'(?:src|href)="(/(?:_dash-component-suites|assets)/[^"]+)"', index)
    dependencies = json.loads(browser.request("setup", "GET", "/_dash-dependencies")[2])
    nav_output = next(d["output"] for d in dependencies if '"nav-link"' in d["output"])
    frame_output = next(d["output"] for d in dependencies if "brand-title." in d["output"])
    layout = json.loads(browser.request("setup", "GET", "/_dash-layout")[2])
    nav_pages: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("props", {})
            ident = props.get("id") if isinstance(props, dict) else None
            if isinstance(ident, dict) and ident.get("type") == "nav-link":
                nav_pages.append(ident["page"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(layout)
    browser.setup["frame_output"] = frame_output
    frame = json.loads(browser.frame(BASE, first=True) or b"{}").get("response", {})
    browser.conn.close()
    if browser.results.errors:
        raise RuntimeError("the dashboard did not answer: " + "; ".join(browser.results.errors))
    found = {
        key: frame.get(key, {}).get("options") or [] for key in ("filter-period", "filter-theme")
    }
    periods = [o["value"] if isinstance(o, dict) else o for o in found["filter-period"]]
    themes = [o["value"] if isinstance(o, dict) else o for o in found["filter-theme"]]
    if not periods or not nav_pages:
        raise RuntimeError(f"no periods or no nav links found for {BASE}")
    return {
        "credentials": credentials,
        "assets": assets,
        "nav_output": nav_output,
        "nav_pages": nav_pages,
        "frame_output": frame_output,
        "periods": periods,
        "themes": themes,
        "index_bytes": len(index),
    }


def warm(port: int, refs: list[str], setup: dict[str, Any], workers: int) -> None:
    """Load the plan into every worker before timing (each loads it once per database version)."""
    results = Results()

    def visit() -> None:
        viewer = Viewer(port, results, random.Random(0), refs, setup)
        viewer.open_site()
        viewer.navigate("/", "")
        viewer.conn.close()

    threads = [threading.Thread(target=visit) for _ in range(workers * 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def add_viewer(db_url: str) -> tuple[str, str]:
    """A viewer account to sign in with, when this socplan has accounts (`socplan users`)."""
    username, password = "load-test-viewer", secrets.token_urlsafe(16)
    has_accounts = (
        subprocess.run([SOCPLAN, "users", "--help"], capture_output=True, check=False).returncode
        == 0
    )
    if has_accounts:
        subprocess.run(
            [SOCPLAN, "users", "add", username, "--role", "viewer", "--password-stdin"],
            input=password + "\n",
            env={**os.environ, "SOCPLAN_DB": db_url},
            capture_output=True,
            text=True,
            check=True,
        )
    return username, password


def drive(
    db_url: str,
    refs: list[str],
    viewers: int = 50,
    duration: float = 60.0,
    think: tuple[float, float] = (1.0, 3.0),
    workers: int = 2,
    seed: int = 1,
) -> tuple[Results, dict[str, Any]]:
    """Run `viewers` simulated viewers for `duration` seconds against a fresh gunicorn."""
    viewers = max(1, min(viewers, MAX_VIEWERS))
    duration = max(1.0, min(duration, MAX_DURATION))
    credentials = add_viewer(db_url)
    with gunicorn(db_url, workers=workers) as port:
        setup = discover(port, credentials)
        warm(port, refs, setup, workers)
        results = Results()
        begin = time.monotonic()
        stop_at = begin + RAMP_UP + duration
        threads = []
        for i in range(viewers):
            viewer = Viewer(port, results, random.Random(seed * 1000 + i), refs, setup)
            start_at = begin + RAMP_UP * i / viewers
            thread = threading.Thread(
                target=viewer.run, args=(start_at, stop_at, think), daemon=True
            )
            threads.append(thread)
            thread.start()
        for thread in threads:
            thread.join(timeout=RAMP_UP + duration + 4 * REQUEST_TIMEOUT)
        results.elapsed = time.monotonic() - begin
    return results, setup


def sample_plan(work: Path) -> tuple[str, list[str]]:
    """The illustrative sample plan in a new SQLite database."""
    from socplan.demo import load_demo
    from socplan.store import Store

    url = f"sqlite:///{work / 'sample.db'}"
    store = Store(url)
    load_demo(store)
    refs = sorted(store.known_recommendations())
    store.engine.dispose()
    return url, refs


def synthetic_plan(work: Path, milestones: int, periods: int = 20) -> tuple[str, list[str]]:
    """A synthetic plan (bench_dashboard's build) in a new SQLite database."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_dashboard import build

    from socplan.store import Store

    url = f"sqlite:///{work / f'plan-{milestones}.db'}"
    build(url, milestones, periods)
    store = Store(url)
    refs = sorted(store.known_recommendations())
    store.engine.dispose()
    return url, refs


def summarise(name: str, results: Results, setup: dict[str, Any]) -> dict[str, Any]:
    """Print one plan's figures; return them."""
    overall = percentiles(results.all())
    render = percentiles(np.array(results.latencies.get("callback: render page", [])))
    rate = results.requests / results.elapsed if results.elapsed else 0.0
    print(
        f"  {name}: {results.requests:,} requests in {results.elapsed:.0f} s ({rate:.1f}/s); "
        f"index page {setup['index_bytes'] / 1024:.0f} KiB"
    )
    print(f"    {'request':<26} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind in sorted(results.latencies):
        p50, p95, p99 = percentiles(np.array(results.latencies[kind]))
        count = len(results.latencies[kind])
        print(f"    {kind:<26} {count:>7} {p50:>8.0f} {p95:>8.0f} {p99:>8.0f}")
    p50, p95, p99 = overall
    verdict = "meets" if p95 < 500 and not results.errors else "MISSES"
    print(
        f"    {'all requests':<26} {results.requests:>7} {p50:>8.0f} {p95:>8.0f} {p99:>8.0f}"
        f"   errors {len(results.errors)}  ({verdict} target: p95 < 500 ms, no errors)"
    )
    phase_p95 = {}
    for phase, label in (
        ("arrival", "arrival: sign in, page, scripts, first render"),
        ("browsing", "browsing: moving between pages"),
    ):
        values = np.array(results.phases.get(phase, []))
        q50, q95, q99 = percentiles(values)
        phase_p95[phase] = q95
        print(f"    {label:<48} {len(values):>7} requests {q50:>6.0f} {q95:>6.0f} {q99:>6.0f} ms")
    for error in results.errors[:5]:
        print(f"    error: {error}")
    return {
        "arrival_p95": phase_p95["arrival"],
        "browsing_p95": phase_p95["browsing"],
        "plan": name,
        "requests": results.requests,
        "rate": rate,
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "render_p95": render[1],
        "errors": len(results.errors),
    }


def main(
    viewers: int = 50,
    duration: float = 60.0,
    plans: tuple[str, ...] = ("sample", "10000"),
    think: tuple[float, float] = (1.0, 3.0),
    workers: int = 2,
) -> list[dict[str, Any]]:
    """Run the load test on each plan; print and return the figures."""
    print(
        f"Load test: {viewers} viewers (arriving over {RAMP_UP:g} s, then all of them for "
        f"{duration:g} s) on each plan against gunicorn "
        f"({workers} workers x 4 threads) on {HOST}; think time {think[0]:g}-{think[1]:g} s; "
        f"{os.cpu_count()} CPU(s) shared by server and client"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="socplan-load-") as tmp:
        work = Path(tmp)
        for plan in plans:
            if plan == "sample":
                url, refs = sample_plan(work)
                name = "sample plan"
            else:
                size = int(plan)
                url, refs = synthetic_plan(work, size)
                name = f"{size:,} milestones x 20 quarters"
            results, setup = drive(url, refs, viewers, duration, think, workers)
            rows.append(summarise(name, results, setup))
    return rows


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=50, help=f"at most {MAX_VIEWERS}")
    parser.add_argument(
        "--duration", type=float, default=60.0, help=f"seconds, at most {MAX_DURATION:g}"
    )
    parser.add_argument("--plans", default="sample,10000", help="'sample' and/or milestone counts")
    parser.add_argument("--think", default="1,3", help="think time range in seconds, e.g. 1,3")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = _parse()
    low, high = (float(x) for x in args.think.split(","))
    main(args.viewers, args.duration, tuple(args.plans.split(",")), (low, high), args.workers)
