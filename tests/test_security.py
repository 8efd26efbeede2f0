"""What an outsider can send, and what it must not do: the web findings of the hardening review,
each reproduced here (memory, CSRF, throttling, sessions, renders, odd queries, headers)."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import PASSWORD, P
from flask.testing import FlaskClient
from test_auth import callback_payload, sign_in

from socplan.accounts import FREE_FAILURES, Accounts, throttle_delay
from socplan.store import Store


def rss_bytes() -> int:
    """Resident memory of this process (the one serving the app in these tests)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def page_payload(search: str, pathname: str = P) -> dict:
    """The Dash Pages callback a browser sends to render a page."""
    return callback_payload(
        ".._pages_content.children..._pages_store.data..",
        [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        [
            {"id": "_pages_location", "property": "pathname", "value": pathname},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
    )


def viewer(site):
    """A test client signed in as a viewer, with a page loaded (so it holds the CSRF cookie)."""
    client = site[0].server.test_client()
    sign_in(client, "viewer1")
    client.get(P)
    return client


# -- 2: no request grows the server's memory ------------------------------------------------


def test_a_long_query_is_refused_at_once(site):
    app, _, _ = site
    client = app.server.test_client()
    sign_in(client, "viewer1")
    response = client.get(f"{P}?period=" + "x" * 10_000_000)
    assert response.status_code == 414 and len(response.get_data()) < 1000


def test_a_huge_page_callback_from_a_viewer_is_refused_small(site):
    response = viewer(site).post(
        "/_dash-update-component", json=page_payload("?period=" + "x" * 10_000_000)
    )
    assert response.status_code == 413 and len(response.get_data()) < 1000


def test_distinct_junk_queries_keep_one_page_and_small_answers(site):
    from dashboard.context import sources

    app, _, _ = site
    client = viewer(site)
    clean = client.post("/_dash-update-component", json=page_payload(""))
    assert clean.status_code == 200
    clean.close()  # as a server does once the response is sent: the page is kept then
    before = rss_bytes()
    for i in range(12):  # each just under the viewer's body cap, each different
        junk = f"{i}" + "y" * 120_000
        search = f"?period={junk}&theme={junk}&owner={junk}&since={junk}"
        response = client.post("/_dash-update-component", json=page_payload(search))
        assert response.status_code == 200
        # The same page as with no query: nothing of what was sent comes back.
        assert len(response.get_data()) < len(clean.get_data()) + 1000
        assert "yyyy" not in response.get_data(as_text=True)
        response.close()
    grown = rss_bytes() - before
    with app.server.app_context():
        kept = sources().get("main")
        overview = [k for k in kept._pages if k[1][0] == "dashboard.pages.overview"]
        assert len(overview) == 1  # every junk query is the page with no filters
    assert grown < 60 * 1024 * 1024, f"grew by {grown / 1048576:.0f} MB"


def test_page_cache_is_bounded_in_bytes(site):
    from dashboard.source import PlanSource

    _, store, _ = site
    kept = PlanSource(store, max_bytes=40_000)
    kept.plan()
    for theme in ("Pursue", "Prevent", "Protect", "Prepare"):
        kept.page("x", {"theme": theme}, lambda **q: {"filler": "z" * 9_000, **q})
    assert kept.kept_bytes <= 40_000 and len(kept._pages) == 4
    for owner in ("a", "b", "c"):  # unknown owners are dropped: the same page, kept once
        kept.page("x", {"owner": owner}, lambda **q: {"filler": "z" * 9_000, **q})
    assert len(kept._pages) == 4
    kept.page("x", {}, lambda **q: {"filler": "z" * 9_500})
    assert kept.kept_bytes <= 40_000 and len(kept._pages) == 4  # the oldest made room


# -- 3: CSRF on sign-in and everything that changes state -----------------------------------


def test_sign_in_without_a_session_token_is_refused(site):
    app, _, _ = site
    client = FlaskClient(app.server)  # a page on another site: no cookie, a made-up token
    response = client.post(
        "/login", data={"username": "editor1", "password": PASSWORD, "csrf": "x"}
    )
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert client.get(P).status_code == 302  # not signed in


def test_odd_tokens_give_400_not_500(site):
    app, _, _ = site
    client = FlaskClient(app.server)
    client.get("/login")
    for token in ("ünïcödé", "\x00", "a" * 5000, "x.y.z"):
        response = client.post(
            "/login", data={"username": "editor1", "password": PASSWORD, "csrf": token}
        )
        assert response.status_code == 400, token


def test_state_changes_from_another_site_are_refused(site):
    app, _, _ = site
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    form = {"username": "editor1", "password": PASSWORD, "csrf": csrf}
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"}):
        assert client.post("/login", data=form, headers=headers).status_code == 403
    assert client.post("/login", data=form, headers={"Origin": "http://localhost"}).status_code == (
        302
    )


def test_callbacks_need_the_csrf_header(site):
    app, _, _ = site
    plain = FlaskClient(app.server)
    sign_in(plain, "viewer1")
    payload = page_payload("")
    assert plain.post("/_dash-update-component", json=payload).status_code == 400
    token = plain.get_cookie("_csrf_token").value
    answered = plain.post("/_dash-update-component", json=payload, headers={"X-CSRFToken": token})
    assert answered.status_code == 200


# -- 4: throttling slows attackers and locks nobody out --------------------------------------


def login_from(client, username: str, password: str, address: str, **headers):
    page = client.get("/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf": csrf},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def test_a_stranger_cannot_lock_out_the_admin(site):
    app, _, _ = site
    attacker = app.server.test_client()
    for _ in range(FREE_FAILURES + 3):  # on the admin's name, from elsewhere
        login_from(attacker, "admin1", "wrong wrong wrong", "203.0.113.9")
    for i in range(12):  # random names from the admin's own address
        login_from(attacker, f"nobody{i}", "wrong wrong wrong", "198.51.100.7")
    admin = app.server.test_client()
    assert login_from(admin, "admin1", PASSWORD, "198.51.100.7").status_code == 302


def test_repeated_failures_wait_longer_and_longer(site):
    app, _, accounts = site
    client = app.server.test_client()
    for _ in range(FREE_FAILURES):
        assert login_from(client, "editor1", "nope nope nope", "192.0.2.1").status_code == 401
    waited = login_from(client, "editor1", PASSWORD, "192.0.2.1")
    assert waited.status_code == 429 and waited.headers["Retry-After"] == "10"
    assert [throttle_delay(FREE_FAILURES + i) for i in range(4)] == [10, 20, 40, 80]
    assert throttle_delay(100) == 15 * 60  # capped: never a lock
    later = datetime.now(UTC) + timedelta(seconds=11)
    assert accounts.claim_sign_in("editor1", "192.0.2.1", now=later) == 0  # may try again
    assert accounts.claim_sign_in("editor1", "192.0.2.1", now=later) == pytest.approx(20, abs=1)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_attempts_are_counted_one_by_one(backend, tmp_path, request):
    url = (
        f"sqlite:///{tmp_path / 'c.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("postgres").new_url()
    )
    accounts = Accounts(Store(url))
    accounts.add("target", "admin", PASSWORD)
    start = threading.Barrier(40)

    def attempt(_: int) -> float:
        start.wait()
        return Accounts(Store(url)).claim_sign_in("target", "203.0.113.50")

    with ThreadPoolExecutor(40) as pool:
        waits = list(pool.map(attempt, range(40)))
    assert sum(1 for w in waits if w == 0) == FREE_FAILURES


def test_client_address_comes_from_trusted_proxies_only(tmp_path, monkeypatch):
    from dashboard.app import create_app

    monkeypatch.setenv("SOCPLAN_STATE_DIR", str(tmp_path / "state"))
    url = f"sqlite:///{tmp_path / 'p.db'}"
    accounts = Accounts(Store(url))
    accounts.add("ed", "editor", PASSWORD)
    forged = {"X-Forwarded-For": "192.0.2.200"}
    direct = create_app({"db": url}).server.test_client()
    login_from(direct, "ed", "wrong wrong wrong", "127.0.0.1", **forged)
    behind = create_app({"db": url, "trusted_proxies": 1}).server.test_client()
    login_from(behind, "ed", "wrong wrong wrong", "127.0.0.1", **forged)
    log = accounts.audit_log()
    addresses = log[log["action"] == "sign-in-failed"]["address"].tolist()
    assert addresses == ["192.0.2.200", "127.0.0.1"]  # newest first


# -- 7 and 10: sessions end on the server ----------------------------------------------------


def saved_session(app, username: str) -> tuple[FlaskClient, str]:
    client = app.server.test_client()
    assert sign_in(client, username).status_code == 302
    return client, client.get_cookie("socplan_session").value


def replay(app, cookie: str) -> int:
    thief = app.server.test_client()
    thief.set_cookie("socplan_session", cookie)
    return thief.get(P).status_code


def test_a_saved_cookie_dies_with_sign_out(site):
    app, _, _ = site
    client, cookie = saved_session(app, "editor1")
    assert replay(app, cookie) == 200
    assert client.post("/logout").status_code == 302
    assert replay(app, cookie) == 302


@pytest.mark.parametrize("change", ["password", "role", "remove and add"])
def test_a_saved_cookie_dies_with_account_changes(site, change):
    app, _, accounts = site
    _, cookie = saved_session(app, "editor1")
    if change == "password":
        accounts.set_password("editor1", "another long password")
    elif change == "role":
        accounts.set_role("editor1", "viewer")
    else:
        accounts.remove("editor1")
        accounts.add("editor1", "editor", PASSWORD)
    assert replay(app, cookie) == 302


def test_sign_out_is_a_post_with_its_token(site):
    app, _, _ = site
    client = app.server.test_client()
    sign_in(client, "editor1")
    assert client.get("/logout").status_code == 405
    assert client.get(P).status_code == 200  # still signed in
    plain = FlaskClient(app.server)
    sign_in(plain, "editor1")
    assert plain.post("/logout").status_code == 400  # no token: still signed in
    assert plain.get(P).status_code == 200
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert '"name": "csrf"' in layout or '"name":"csrf"' in layout  # the header's form has it


# -- 6: renders are bounded; health and pages never wait behind them ------------------------


def test_reports_are_bounded_cached_and_health_stays_quick(site, monkeypatch):
    from werkzeug.serving import make_server

    import dashboard.exports as exports

    app, _, _ = site
    made: list[str] = []

    def slow_report(plan, period, public, fmt):  # stands in for a report that takes seconds
        made.append(fmt)
        time.sleep(2)
        return b"%PDF-1.4 stand-in"

    monkeypatch.setattr(exports, "_report", slow_report)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        import http.cookiejar
        import urllib.request

        def opener(user: str):
            jar = http.cookiejar.CookieJar()
            o = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            page = o.open(base + "/login").read().decode()
            csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
            data = f"username={user}&password={PASSWORD.replace(' ', '+')}&csrf={csrf}"
            o.open(base + "/login", data=data.encode())
            return o

        users = [opener(u) for u in ("viewer1", "editor1", "admin1")]

        def fetch(args: tuple[int, str]) -> tuple[int, str | None]:
            i, query = args
            try:
                with users[i % 3].open(base + f"{P}/export/report.pdf" + query, timeout=30) as r:
                    return r.status, None
            except urllib.error.HTTPError as err:
                return err.code, err.headers.get("Retry-After")

        queries = [(i, f"?theme={t}") for i, t in enumerate(["Pursue", "Prevent"] * 4)]
        with ThreadPoolExecutor(8) as pool:
            pending = pool.map(fetch, queries)
            time.sleep(0.5)
            started = time.perf_counter()
            with urllib.request.urlopen(base + "/health", timeout=10) as r:
                assert r.status == 200
            health = time.perf_counter() - started
            results = list(pending)
        assert health < 1.0, f"/health took {health:.1f} s behind the reports"
        ok = [r for r in results if r[0] == 200]
        busy = [r for r in results if r[0] == 503]
        assert len(ok) + len(busy) == 8 and busy and all(r[1] for r in busy)
        assert len(made) <= 2  # never more renders at once than the slots
        for query in ("?theme=Pursue", "?theme=Prevent"):  # one at a time: never busy
            assert fetch((0, query))[0] == 200
        count = len(made)
        started = time.perf_counter()
        again = [fetch((0, q)) for q in ("?theme=Pursue", "?theme=Prevent")]
        assert all(r[0] == 200 for r in again) and time.perf_counter() - started < 0.5
        assert len(made) == count  # from the cache, not made again
    finally:
        server.shutdown()


def test_one_person_one_render_at_a_time():
    from dashboard.renders import Busy, RenderGate

    gate = RenderGate(2)
    with gate.enter("user:a"):
        with pytest.raises(Busy), gate.enter("user:a"):
            pass
        with gate.enter("user:b"), pytest.raises(Busy), gate.enter("user:c"):
            pass
    with gate.enter("user:a"):  # released again
        pass


# -- 11: odd queries get a clear answer ------------------------------------------------------


def test_changes_since_now_or_later_is_a_clear_400(site):
    app, _, _ = site
    client = app.server.test_client()
    sign_in(client, "viewer1")
    for since in ("2020/21 Q2", "2021/22 Q1"):
        response = client.get(f"{P}/export/chart/changes.svg?period=2020/21 Q2&since={since}")
        assert response.status_code == 400 and "not before" in response.get_json()["error"]
    junk = client.get(f"{P}/export/chart/changes.svg?since=soon")
    assert junk.status_code == 400 and "since" in junk.get_json()["error"]


def test_timeline_of_a_ref_with_any_character_downloads(tmp_path, monkeypatch):
    from builders import basic_milestones, recs, template_bytes

    from dashboard.app import create_app
    from dashboard.components import chart
    from socplan.intake.importer import import_bytes
    from socplan.model import DeliveryPlan
    from socplan.periods import Period
    from socplan.reporting.charts import timeline_chart
    from socplan.signoffs import sign_off

    monkeypatch.setenv("SOCPLAN_STATE_DIR", str(tmp_path / "state"))
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    store = Store(url)
    r, m = recs(), basic_milestones()
    odd = "R 1/a?b"
    m["recommendation"] = m["recommendation"].replace("R1", odd)
    r.loc[0, "ref"] = odd
    data = template_bytes(Period(2019, 3), r, m)
    outcome = import_bytes(store, data, "odd.xlsx", period=Period(2019, 3), imported_by="test")
    assert not outcome.report.errors, outcome.report
    sign_off(store, Period(2019, 3), "lead")  # published: anyone may view it
    plan = DeliveryPlan.from_store(store)
    app = create_app({"db": url, "require_sign_in": False})
    with app.server.test_request_context(P):
        from flask import g

        g.socplan_plan = "main"
        link = chart(timeline_chart(plan, plan.latest, odd)).children[2].children[2].href
    assert link.startswith(f"{P}/export/chart/timeline.svg?ref=")
    client = app.server.test_client()
    response = client.get(link)
    assert response.status_code == 200 and response.data.lstrip().startswith(b"<svg")


# -- 12: headers and the secret key ------------------------------------------------------------


def test_every_response_carries_the_security_headers(site):
    app, _, _ = site
    client = app.server.test_client()
    sign_in(client, "viewer1")
    for path in ("/", "/login", "/health", "/_dash-layout", f"{P}/export/data.csv", "/nowhere"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self' 'sha256-" in policy
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"


def test_a_short_secret_key_is_refused(tmp_path, runner, monkeypatch):
    from dashboard.app import create_app
    from socplan.cli import main

    with pytest.raises(ValueError, match=r"SECRET_KEY.*32 bytes"):
        create_app({"db": f"sqlite:///{tmp_path / 'k.db'}", "secret_key": "short"})
    monkeypatch.setenv("SOCPLAN_SECRET_KEY", "too-short")
    result = runner.invoke(main, ["serve", "--db", f"sqlite:///{tmp_path / 'k.db'}"])
    assert result.exit_code == 1 and "at least 32 bytes" in result.output


def test_passwords_have_twelve_characters_or_more(site):
    from socplan.accounts import AccountError

    _, _, accounts = site
    with pytest.raises(AccountError, match="at least 12"):
        accounts.add("shorty", "viewer", "elevenchars")
    accounts.add("longer", "viewer", "twelve chars")


def test_health_starts_no_session(site):
    app, _, _ = site
    response = FlaskClient(app.server).get("/health")
    assert response.status_code == 200 and not response.headers.getlist("Set-Cookie")


def test_sign_in_rows_quiet_for_long_are_forgotten(site):
    import sqlalchemy as sa

    from socplan.tables import sign_in_throttle

    _, store, accounts = site
    for i in range(20):  # names sprayed from one address
        accounts.claim_sign_in(f"sprayed{i}", "203.0.113.77")
    later = datetime.now(UTC) + timedelta(hours=1)
    accounts.claim_sign_in("someone", "198.51.100.1", now=later)
    with store.engine.connect() as conn:
        left = conn.execute(sa.select(sa.func.count()).select_from(sign_in_throttle)).scalar()
    assert left == 1  # only the newest attempt's row


def test_chart_parameters_it_ignores_make_no_new_render(site, monkeypatch):
    import dashboard.exports as exports

    made: list[str] = []
    monkeypatch.setattr(exports, "to_bytes", lambda fig, fmt, **_: made.append(fmt) or b"<svg/>")
    client = viewer(site)
    for junk in ("", "?ref=x", "?ref=y&since=nonsense-but-ignored", "?zzz=1"):
        assert client.get(f"{P}/export/chart/by-theme.svg{junk}").status_code == 200
    assert made == ["svg"]
