"""`socplan serve --workers N`: gunicorn in production mode, settings from the environment."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from builders import basic_milestones, recs, write
from test_serving import free_port, get, running

from socplan.cli import main
from socplan.periods import Period
from socplan.serve import gunicorn_command

SOCPLAN = str(Path(sys.executable).with_name("socplan"))


@contextmanager
def serving(env: dict[str, str], *args: str):
    """`socplan serve ARGS` with `env` added; yields (base URL, process)."""
    port = free_port()
    environment = {**os.environ, "SOCPLAN_PORT": str(port), **env}
    with running([SOCPLAN, "serve", *args], environment, port) as started:
        yield started


def children(pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True
    ).stdout
    return [int(p) for p in out.split()]


def test_workers_run_gunicorn_with_settings_from_the_environment(demo_db):
    env = {"SOCPLAN_DB": demo_db, "SOCPLAN_WORKERS": "2", "SOCPLAN_REQUIRE_SIGN_IN": "no"}
    with serving(env) as (base, proc):
        with urllib.request.urlopen(base + "/health", timeout=10) as response:
            assert response.headers["Server"].startswith("gunicorn")
            assert json.loads(response.read()) == {"status": "ok", "plans": 1}
        # socplan hands its process to gunicorn: signals from a supervisor reach gunicorn.
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"gunicorn" in cmdline and b"dashboard.wsgi:server" in cmdline
        assert len(children(proc.pid)) == 2
        status, body = get(base + "/")
        assert status == 200 and '<html lang="en-GB">' in body
    assert proc.returncode == 0  # stopped cleanly on SIGTERM


def test_gunicorn_command_is_production_mode():
    command = gunicorn_command("0.0.0.0", 8000, workers=3, threads=4)
    assert command[:3] == [sys.executable, "-m", "gunicorn"]
    joined = " ".join(command)
    assert "--workers 3" in joined and "--worker-class gthread" in joined
    assert "--threads 4" in joined and "--bind 0.0.0.0:8000" in joined
    assert command[-1] == "dashboard.wsgi:server" and "--reload" not in command
    assert "--bind [::1]:8000" in " ".join(gunicorn_command("::1", 8000, 1, 1))


def test_debug_is_refused_with_workers(runner):
    result = runner.invoke(main, ["serve", "--workers", "2", "--debug"])
    assert result.exit_code == 2 and "--debug" in result.stderr
    assert runner.invoke(main, ["serve", "--workers", "0"]).exit_code == 2


def signed_in(base: str, username: str, password: str) -> urllib.request.OpenerDirector:
    """A browser-like client (cookies kept) signed in at `base`."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    form = opener.open(base + "/login", timeout=10).read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf, form
    fields = {"username": username, "password": password, "csrf": csrf.group(1), "next": "/"}
    opener.open(base + "/login", urllib.parse.urlencode(fields).encode(), timeout=10)
    return opener


def test_app_servers_share_state_through_postgresql(tmp_path, postgres):
    url = postgres.new_url()
    q3 = write(tmp_path / "q3.xlsx", Period(2019, 3), recs(), basic_milestones())
    subprocess.run([SOCPLAN, "import", str(q3), "--db", url], check=True, capture_output=True)
    signoff = [SOCPLAN, "signoff", "--db", url]
    subprocess.run([*signoff, "2019/20 Q3"], check=True, capture_output=True)  # for the panel
    subprocess.run(
        [SOCPLAN, "users", "add", "panel", "--role", "viewer", "--password-stdin", "--db", url],
        input="a long enough password\n",
        text=True,
        check=True,
        capture_output=True,
    )
    # Every app server has the same secret key, so a sign-in at one is good at the others.
    env = {"SOCPLAN_DB": url, "SOCPLAN_SECRET_KEY": secrets.token_hex(32)}
    with serving(env, "--workers", "1") as (one, _), serving(env, "--workers", "1") as (two, _):
        browser = signed_in(one, "panel", "a long enough password")

        def newest(base: str) -> str:
            """The newest period this server sees, by the name of the plan's data download."""
            with browser.open(base + "/plans/main/export/data.csv", timeout=30) as response:
                return response.headers["Content-Disposition"].split("filename=")[1]

        assert newest(one) == newest(two) == "main-2019-20-Q3.csv"
        with pytest.raises(urllib.error.HTTPError, match="401"):
            get(two + "/_dash-layout")  # without the session cookie
        q4 = write(tmp_path / "q4.xlsx", Period(2019, 4), recs(), basic_milestones())
        subprocess.run([SOCPLAN, "import", str(q4), "--db", url], check=True, capture_output=True)
        subprocess.run([*signoff, "2019/20 Q4"], check=True, capture_output=True)
        for base in (one, two):
            assert newest(base) == "main-2019-20-Q4.csv"
