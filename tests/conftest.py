"""Shared fixtures: a fresh SQLite store per test, a CLI runner, the sample plan."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient


class BrowserLikeClient(FlaskClient):
    """A test client that behaves like a browser running Dash's renderer: it sends the CSRF
    token from the `_csrf_token` cookie in the `X-CSRFToken` header of every state-changing
    request, and every callback carries the path of the page last opened (`socplan_path`, as
    the renderer hook in app.py sends it)."""

    page_path = "/"

    def open(self, *args, **kwargs):  # type: ignore[override]
        method = (kwargs.get("method") or "GET").upper()
        path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "")
        cookie = self.get_cookie("_csrf_token")
        if method not in ("GET", "HEAD", "OPTIONS") and cookie is not None:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", cookie.value)
            kwargs["headers"] = headers
        payload = kwargs.get("json")
        if isinstance(payload, dict) and "output" in payload and "socplan_path" not in payload:
            kwargs["json"] = {**payload, "socplan_path": self.page_path}
        page = path.split("?", 1)[0]
        download = "/export/" in page or "/files/" in page
        if method == "GET" and not page.startswith(("/_", "/assets", "/login", "/health")):
            self.page_path = page if not download else self.page_path
        return super().open(*args, **kwargs)


@pytest.fixture(autouse=True)
def browser_like_test_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """App test clients behave like the browser's Dash renderer (see BrowserLikeClient); a test
    of refusals builds a plain `FlaskClient(app)` instead."""
    from flask import Flask

    monkeypatch.setattr(Flask, "test_client_class", BrowserLikeClient)


@pytest.fixture(autouse=True)
def no_kept_workers() -> Iterator[None]:
    """A worker kept for checks (`isolation`) does not outlive its test: one forked earlier
    would not run what a later test patched."""
    yield
    from socplan.intake import isolation

    isolation.stop_workers()


PASSWORD = "correct horse battery"
P = "/plans/main"  # where the pages of a single-plan database's plan (made by its first import) live


def signed_in(app: Any, username: str) -> Any:
    """A test client of `app` signed in as `username` (password PASSWORD), its callbacks
    gathered (Dash does so on a first request)."""
    import re

    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]  # type: ignore[index]
    form = {"username": username, "password": PASSWORD, "csrf": csrf}
    assert client.post("/login", data=form).status_code == 302
    client.get("/_dash-layout")
    return client


def routing_payload(
    pathname: str, search: str = "", socplan_path: str | None = None
) -> dict[str, Any]:
    """The Dash Pages routing callback a browser sends to draw the page at `pathname` (with
    `socplan_path`, the page the renderer says the callback comes from, when given)."""
    payload: dict[str, Any] = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": pathname},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "state": [],
        "changedPropIds": ["_pages_location.pathname"],
    }
    if socplan_path is not None:
        payload["socplan_path"] = socplan_path
    return payload


def every_callback(app: Any, socplan_path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(output, payload) for every callback of `app`, each input and state None, as if sent
    from the page at `socplan_path`."""
    for output, spec in app.callback_map.items():
        yield (
            output,
            {
                "output": output,
                "outputs": [],
                "inputs": [
                    {"id": i["id"], "property": i["property"], "value": None}
                    for i in spec["inputs"]
                ],
                "state": [
                    {"id": s["id"], "property": s["property"], "value": None} for s in spec["state"]
                ],
                "changedPropIds": [],
                "socplan_path": socplan_path,
            },
        )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An app on a fresh copy of the sample plan with a viewer, an editor and an admin (each
    with PASSWORD): (app, store, accounts)."""
    from dashboard.app import create_app
    from socplan.accounts import Accounts
    from socplan.demo import load_demo
    from socplan.store import Store

    monkeypatch.setenv("SOCPLAN_STATE_DIR", str(tmp_path / "state"))
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    store = Store(url)
    load_demo(store)
    accounts = Accounts(store)
    for name, role in (("viewer1", "viewer"), ("editor1", "editor"), ("admin1", "admin")):
        accounts.add(name, role, PASSWORD)
    return create_app({"db": url}), store, accounts


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A new SQLite database file for one test."""
    return f"sqlite:///{tmp_path / 'plan.db'}"


@pytest.fixture
def store(db_url: str):
    """A Store on a new SQLite database."""
    from socplan.store import Store

    return Store(db_url)


@pytest.fixture
def runner() -> CliRunner:
    """Click's runner; stderr is kept apart from stdout."""
    return CliRunner()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database holding the sample plan, shared by read-only tests."""
    from socplan.demo import load_demo
    from socplan.store import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    load_demo(Store(url))
    return url


# -- PostgreSQL: a throwaway cluster per test session (scripts/pg.sh), a new database per test --

ROOT = Path(__file__).resolve().parents[1]


class PostgresServer:
    """A running throwaway cluster; `new_url()` creates an empty database on it."""

    def __init__(self, url: str):
        self.url = url
        self._count = 0

    def new_url(self) -> str:
        """The URL of a new, empty database."""
        import sqlalchemy as sa

        self._count += 1
        name = f"t{os.getpid()}_{self._count}"
        engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        engine.dispose()
        return self.url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for this session. Never skipped: if it cannot start, tests fail."""
    import subprocess
    import tempfile

    # Under /tmp itself, whatever $TMPDIR says: when run as root the cluster belongs to
    # `postgres`, which must reach it, and the server's socket path must stay short.
    directory = Path(tempfile.mkdtemp(prefix="socplan-pg-", dir="/tmp"))
    directory.rmdir()
    script = ROOT / "scripts" / "pg.sh"
    started = subprocess.run(
        ["bash", str(script), "start", str(directory)], capture_output=True, text=True
    )
    if started.returncode != 0:
        subprocess.run(["bash", str(script), "stop", str(directory)], capture_output=True)
        raise RuntimeError(
            "PostgreSQL did not start (run bash scripts/setup.sh to install it):\n"
            + started.stdout
            + started.stderr
        )
    try:
        yield PostgresServer(started.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run(["bash", str(script), "stop", str(directory)], check=True)


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database on each backend in turn: SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'plan.db'}"
    return request.getfixturevalue("postgres").new_url()


@pytest.fixture(scope="session")
def browser():
    """Playwright driving the Chromium the app runs (no browser download): the same program
    (setting `chromium_path`, else the system's) and flags as the PDF report."""
    from playwright.sync_api import expect, sync_playwright

    from socplan.browser import FLAGS, chromium
    from socplan.config import load_settings

    # What the pages wait for (a workbook's check in its child process, a callback) can take
    # several seconds on a busy two-core machine: expectations wait up to 20 s, not 5.
    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(load_settings()), args=list(FLAGS))
        yield browser
        browser.close()


@contextmanager
def watched_page(context: Any) -> Iterator[Any]:
    """A new page of a Playwright `context` that fails the test on a JavaScript error or on
    anything the Content-Security-Policy blocked."""
    page = context.new_page()
    errors: list[str] = []
    refused: list[str] = []
    dash_errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)
        elif message.type == "error" and message.text.startswith("{message:"):
            dash_errors.append(message.text)  # the renderer's own: a callback or prop gone wrong

    page.on("console", console)
    yield page
    assert not errors, f"JavaScript errors: {errors}"
    assert not refused, f"blocked by the Content-Security-Policy: {refused}"
    assert not dash_errors, f"Dash's renderer reported: {dash_errors}"


def serious_axe_violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it stands, one line each."""
    import axe_playwright_python

    script = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
    page.evaluate(script)  # through DevTools: the page's CSP allows no inline script
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]} "
        f"{[n.get('html', '')[:120] for n in v['nodes']][:2]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
