"""Production serving: gunicorn runs the documented entry point; app servers share the database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from builders import basic_milestones, recs, write
from conftest import P

from socplan.periods import Period

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def wait_until_up(base: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    """Poll /health until the server answers; fail with its output if it dies or never does."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            get(base + "/health")
            return
        except OSError:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)


@contextmanager
def running(command: list[str], env: dict[str, str], port: int):
    """A server process started with `command` and `env`, once it answers on `port`: yields
    (base URL, process); stopped afterwards."""
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proc)
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def gunicorn(db_url: str, workers: int = 2):
    port = free_port()
    env = {**os.environ, "SOCPLAN_DB": db_url, "SOCPLAN_REQUIRE_SIGN_IN": "false"}
    bind = f"127.0.0.1:{port}"
    command = [GUNICORN, "--workers", str(workers), "--worker-class", "gthread"]
    with running(
        [*command, "--threads", "2", "--bind", bind, "dashboard.wsgi:server"], env, port
    ) as (
        base,
        _,
    ):
        yield base


def newest_period(base: str) -> str:
    """The newest period the server sees for the plan, by the name of its data download."""
    with urllib.request.urlopen(base + P + "/export/data.csv", timeout=30) as response:
        return response.headers["Content-Disposition"].split("filename=")[1]


def test_gunicorn_serves_the_dashboard(demo_db):
    with gunicorn(demo_db) as base:
        status, body = get(base + P)
        assert status == 200 and '<html lang="en-GB">' in body
        status, body = get(base + "/_dash-layout")
        assert status == 200 and "filter-period" in body
        assert json.loads(get(base + "/health")[1]) == {"status": "ok", "plans": 1}


def test_app_servers_share_state_through_the_database(tmp_path, db_url):
    path = write(tmp_path / "q3.xlsx", Period(2019, 3), recs(), basic_milestones())
    subprocess.run(
        [sys.executable, "-m", "socplan.cli", "import", str(path), "--db", db_url], check=True
    )
    signoff = [sys.executable, "-m", "socplan.cli", "signoff", "--db", db_url]
    subprocess.run([*signoff, "2019/20 Q3"], check=True)  # published: anyone may view it
    with gunicorn(db_url, workers=1) as one, gunicorn(db_url, workers=1) as two:
        assert newest_period(one) == "main-2019-20-Q3.csv"
        q4 = write(tmp_path / "q4.xlsx", Period(2019, 4), recs(), basic_milestones())
        subprocess.run(
            [sys.executable, "-m", "socplan.cli", "import", str(q4), "--db", db_url], check=True
        )
        subprocess.run([*signoff, "2019/20 Q4"], check=True)
        for base in (one, two):
            assert newest_period(base) == "main-2019-20-Q4.csv"


def test_the_logs_never_hold_an_update_link(demo_db):
    """A partner's token is their only key: gunicorn's access log (through `socplan serve`'s
    command) and the development server's name /r/[link] instead."""
    from socplan.serve import gunicorn_command

    token = "Zq3x7sTokenThatMustNotBeLogged0123456789abcd"
    port = free_port()
    env = {**os.environ, "SOCPLAN_DB": demo_db, "SOCPLAN_REQUIRE_SIGN_IN": "false"}
    command = gunicorn_command("127.0.0.1", port, 1, 2)
    with running(command, env, port) as (base, proc):
        try:
            get(f"{base}/r/{token}")
        except urllib.error.HTTPError as refused:
            assert refused.code == 404
        get(base + "/health")
        proc.terminate()
        logged = proc.communicate(timeout=30)[0]
    assert "/r/[link]" in logged and token not in logged, logged


def test_the_development_servers_log_holds_no_update_link():
    import logging

    from dashboard.access_log import RedactingFilter, redact

    token = "Zq3x7sTokenThatMustNotBeLogged0123456789abcd"
    assert (
        redact(f'"GET /r/{token}/workbook HTTP/1.1" 200') == '"GET /r/[link]/workbook HTTP/1.1" 200'
    )
    record = logging.LogRecord(
        "werkzeug", logging.INFO, "", 0, '%s - "%s" %s', ("1.2.3.4", f"GET /r/{token}", 404), None
    )
    RedactingFilter().filter(record)
    assert token not in record.getMessage() and "/r/[link]" in record.getMessage()
    assert redact("/recommendations") == "/recommendations"
