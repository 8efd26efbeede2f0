"""Sign-in and roles, enforced on the server: every editor and admin endpoint refuses viewers and
anonymous requests and changes nothing."""

from __future__ import annotations

import html
import json
import re
import socket
import threading

import pytest
import sqlalchemy as sa
from conftest import PASSWORD, P

from socplan.accounts import Accounts, hash_password, verify_password
from socplan.cli import main
from socplan.demo import load_demo
from socplan.store import Store
from socplan.tables import audit_log


def sign_in(client, username: str, password: str = PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    return client.post("/login", data={"username": username, "password": password, "csrf": csrf})


def session_cookie(response) -> str:
    """The Set-Cookie header of the session cookie (the CSRF cookie may come first)."""
    return next(c for c in response.headers.getlist("Set-Cookie") if "socplan_session=" in c)


def state(store: Store, accounts: Accounts) -> tuple:
    history = store.history()
    return (
        len(history),
        tuple(history["id"]),
        tuple(accounts.list()["username"]),
        tuple(accounts.list()["role"]),
    )


def test_password_hashes():
    stored = hash_password("s3cret-password")
    assert stored.startswith("scrypt$32768$8$1$")
    assert verify_password("s3cret-password", stored) and not verify_password("wrong", stored)
    assert hash_password("same") != hash_password("same")  # salted


def test_users_commands(runner, db_url):
    added = runner.invoke(main, ["users", "add", "alex", "--role", "editor", "--db", db_url])
    assert added.exit_code == 0 and "Password (shown once" in added.output
    password = added.output.strip().split()[-1]
    assert Accounts(Store(db_url)).authenticate("alex", password).role == "editor"
    assert runner.invoke(main, ["users", "add", "alex", "--db", db_url]).exit_code == 1
    assert "editor" in runner.invoke(main, ["users", "list", "--db", db_url]).output
    assert (
        runner.invoke(main, ["users", "set-role", "alex", "viewer", "--db", db_url]).exit_code == 0
    )
    assert Accounts(Store(db_url)).get("alex").role == "viewer"
    assert (
        runner.invoke(main, ["users", "set-role", "nobody", "viewer", "--db", db_url]).exit_code
        == 1
    )
    typed = runner.invoke(
        main,
        ["users", "add", "sam", "--password-stdin", "--db", db_url],
        input="a long enough password\n",
    )
    assert typed.exit_code == 0 and "Password" not in typed.output
    assert runner.invoke(main, ["users", "remove", "alex", "--db", db_url]).exit_code == 0
    assert Accounts(Store(db_url)).get("alex") is None
    actions = Accounts(Store(db_url)).audit_log()["action"].tolist()
    assert {"user-add", "user-role", "user-remove"} <= set(actions)


def test_sign_in_flow_and_cookie_flags(site):
    app, _, accounts = site
    client = app.server.test_client()
    first = client.get("/")
    assert first.status_code == 302 and first.headers["Location"].startswith("/login")
    assert client.get("/_dash-layout").status_code == 401  # no data without signing in
    bad = sign_in(client, "editor1", "wrong password")
    assert bad.status_code == 401 and "do not match" in bad.get_data(as_text=True)
    good = sign_in(client, "editor1")
    assert good.status_code == 302
    cookie = session_cookie(good)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/").headers["Location"] == P  # one plan: straight to it
    assert client.get(P).status_code == 200
    layout = json.dumps(client.get("/_dash-layout").get_json())
    assert "editor1" in layout and '"page": "/upload"' in layout
    actions = accounts.audit_log()["action"].tolist()
    assert "sign-in" in actions and "sign-in-failed" in actions
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_browsers_keep_the_dashboards_scripts(site):
    """A page renews the session cookie, and varies on it; Dash's scripts and socplan's assets
    (the same bytes for everyone, named by version) do neither, or the browser would fetch and
    compile them again on every page. Dash's scripts still need a signed-in user."""
    app, _, _ = site
    client = app.server.test_client()
    sign_in(client, "viewer1")
    page = client.get(P)
    assert page.status_code == 200 and "Cookie" in page.headers.get("Vary", "")
    assert session_cookie(page)  # the sliding 12 hours
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', page.get_data(as_text=True))
    assert len(scripts) >= 5
    for src in scripts:
        response = client.get(src)
        assert response.status_code == 200, src
        assert "Cookie" not in response.headers.get("Vary", ""), src
        assert not response.headers.getlist("Set-Cookie"), src
        assert "max-age" in response.headers["Cache-Control"], src
    assert app.server.test_client().get(scripts[0]).status_code == 401  # signed out
    # socplan's own assets, named by their modification time, are kept as long; the rest
    # (the logo, named by no version) are asked for again.
    assets = re.findall(r'(?:href|src)="(/assets/[^"]+\?m=[^"]+)"', page.get_data(as_text=True))
    assert any(".css" in a for a in assets) and any("socplan.js" in a for a in assets)
    charts = re.search(
        r'<meta name="socplan-charts" content="([^"]+)"', page.get_data(as_text=True)
    )
    assets.append(json.loads(html.unescape(charts.group(1)))["plotly"])  # the charts' plotly.js
    for src in assets:
        response = client.get(src)
        assert response.status_code == 200, src
        assert response.headers["Cache-Control"] == "max-age=31536000, immutable", src
        assert "Cookie" not in response.headers.get("Vary", ""), src
    assert client.get("/assets/logo.svg").headers["Cache-Control"] == "no-cache"


def test_secure_cookie_over_https(tmp_path, monkeypatch):
    from dashboard.app import create_app

    monkeypatch.setenv("SOCPLAN_STATE_DIR", str(tmp_path / "state"))
    url = f"sqlite:///{tmp_path / 'p.db'}"
    Accounts(Store(url)).add("ed", "editor", PASSWORD)
    client = create_app({"db": url, "https": True}).server.test_client()
    assert "Secure" in session_cookie(sign_in(client, "ed"))


def test_secret_key_is_generated_outside_the_repo(site, tmp_path):
    key = tmp_path / "state" / "secret_key"
    assert (
        key.exists() and oct(key.stat().st_mode & 0o777) == "0o600" and len(key.read_text()) >= 64
    )


def test_sign_in_is_rate_limited(site):
    app, _, _ = site
    client = app.server.test_client()
    for _ in range(5):
        assert sign_in(client, "admin1", "nope nope nope").status_code == 401
    blocked = sign_in(client, "admin1")  # even the right password waits
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.get_data(
        as_text=True
    )


def test_login_form_needs_its_token_and_never_redirects_off_site(site):
    app, _, _ = site
    client = app.server.test_client()
    assert (
        client.post("/login", data={"username": "editor1", "password": PASSWORD}).status_code == 400
    )
    page = client.get("/login?next=//evil.example/").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    response = client.post(
        "/login",
        data={"username": "editor1", "password": PASSWORD, "csrf": csrf, "next": "//evil.example/"},
    )
    assert response.headers["Location"] == "/"


def test_trusted_header_from_single_sign_on(tmp_path, monkeypatch):
    from dashboard.app import create_app

    monkeypatch.setenv("SOCPLAN_STATE_DIR", str(tmp_path / "state"))
    url = f"sqlite:///{tmp_path / 'p.db'}"
    load_demo(Store(url))
    Accounts(Store(url)).add("sso-editor", "editor", PASSWORD)
    client = create_app({"db": url, "trusted_user_header": "X-Remote-User"}).server.test_client()
    assert (
        client.get(f"{P}/files/template.xlsx", headers={"X-Remote-User": "sso-editor"}).status_code
        == 200
    )
    assert client.get(P, headers={"X-Remote-User": "someone-new"}).status_code == 200  # a viewer
    assert (
        client.get(f"{P}/files/template.xlsx", headers={"X-Remote-User": "someone-new"}).status_code
        == 403
    )
    assert client.get("/").status_code == 302  # no header, no session: sign in


def callback_payload(output: str, outputs: list, inputs: list, state: list | None = None) -> dict:
    import json

    first = inputs[0][0] if isinstance(inputs[0], list) else inputs[0]
    ident = (
        first["id"]
        if isinstance(first["id"], str)
        else json.dumps(first["id"], separators=(",", ":"))
    )
    return {
        "output": output,
        "outputs": outputs,
        "inputs": inputs,
        "state": state or [],
        "changedPropIds": [f"{ident}.{first['property']}"],
        "socplan_path": f"{P}/upload",  # as the renderer sends it: the page's path
    }


ENDPOINTS = {
    "upload check": (
        "POST",
        "/_dash-update-component",
        callback_payload(
            "..edit-result.children...edit-token.data...edit-actions.style...edit-message.children..",
            [
                {"id": "edit-result", "property": "children"},
                {"id": "edit-token", "property": "data"},
                {"id": "edit-actions", "property": "style"},
                {"id": "edit-message", "property": "children"},
            ],
            [{"id": "edit-upload", "property": "contents", "value": ["data:x;base64,UEs="]}],
            [
                {"id": "edit-upload", "property": "filename", "value": ["a.xlsx"]},
                {"id": "edit-period", "property": "value", "value": "2020/21 Q3"},
                {"id": "edit-mode", "property": "value", "value": "full"},
            ],
        ),
    ),
    "commit": (
        "POST",
        "/_dash-update-component",
        callback_payload(
            "..edit-result.children@x...edit-token.data@x..",
            [
                {"id": "edit-result", "property": "children"},
                {"id": "edit-token", "property": "data"},
            ],
            [{"id": "edit-commit", "property": "n_clicks", "value": 1}],
            [{"id": "edit-token", "property": "data", "value": "anything"}],
        ),
    ),
    "restore": (
        "POST",
        "/_dash-update-component",
        callback_payload(
            "edit-restore-message.children",
            [{"id": "edit-restore-message", "property": "children"}],
            [
                [
                    {
                        "id": {"type": "edit-restore", "period": "2019/20 Q3", "revision": 1},
                        "property": "submit_n_clicks",
                        "value": 1,
                    }
                ]
            ],
        ),
    ),
    "add user": (
        "POST",
        "/_dash-update-component",
        callback_payload(
            "admin-user-message.children",
            [{"id": "admin-user-message", "property": "children"}],
            [{"id": "admin-user-add", "property": "n_clicks", "value": 1}],
            [
                {"id": "admin-user-name", "property": "value", "value": "mallory"},
                {"id": "admin-user-role", "property": "value", "value": "admin"},
            ],
        ),
    ),
    "remove user": (
        "POST",
        "/_dash-update-component",
        callback_payload(
            "admin-user-message.children",
            [{"id": "admin-user-message", "property": "children"}],
            [{"id": "admin-user-remove", "property": "n_clicks", "value": 1}],
            [{"id": "admin-user-name", "property": "value", "value": "editor1"}],
        ),
    ),
    "attach evidence": (
        "POST",
        "/_dash-update-component",
        callback_payload(
            '..{"ref":["MATCH"],"type":"evidence-list"}.children...'
            '{"ref":["MATCH"],"type":"edit-evidence-message"}.children...'
            '{"ref":["MATCH"],"type":"edit-evidence-upload"}.contents..',
            [
                {"id": {"type": "evidence-list", "ref": "R8.1"}, "property": "children"},
                {"id": {"type": "edit-evidence-message", "ref": "R8.1"}, "property": "children"},
                {"id": {"type": "edit-evidence-upload", "ref": "R8.1"}, "property": "contents"},
            ],
            [
                {
                    "id": {"type": "edit-evidence-upload", "ref": "R8.1"},
                    "property": "contents",
                    "value": "data:application/pdf;base64,JVBERi0=",
                },
                [],
            ],
            [
                {
                    "id": {"type": "edit-evidence-upload", "ref": "R8.1"},
                    "property": "filename",
                    "value": "a.pdf",
                },
                {
                    "id": {"type": "edit-evidence-public", "ref": "R8.1"},
                    "property": "value",
                    "value": [],
                },
                {"id": "filter-period", "property": "value", "value": None},
            ],
        ),
    ),
    "original file": ("GET", f"{P}/files/import/1", None),
    "evidence file": ("GET", f"{P}/files/evidence/1", None),
    "template": ("GET", f"{P}/files/template.xlsx", None),
    "audit page": ("GET", "/admin/audit", None),
}


@pytest.mark.parametrize("who", ["anonymous", "viewer1"])
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_endpoints_refuse_and_change_nothing(site, who, endpoint):
    app, store, accounts = site
    client = app.server.test_client()
    if who != "anonymous":
        assert sign_in(client, who).status_code == 302
    before = state(store, accounts)
    method, path, payload = ENDPOINTS[endpoint]
    response = client.open(path, method=method, json=payload)
    expected = 401 if who == "anonymous" else 403
    if who == "anonymous" and method == "GET" and "/files/" not in path:
        expected = 302
    assert response.status_code == expected, response.get_data(as_text=True)[:300]
    assert state(store, accounts) == before


def test_editor_endpoints_need_admin_for_accounts(site):
    app, store, accounts = site
    client = app.server.test_client()
    sign_in(client, "editor1")
    before = state(store, accounts)
    method, path, payload = ENDPOINTS["add user"]
    assert client.open(path, method=method, json=payload).status_code == 403
    assert client.get(f"{P}/files/template.xlsx").status_code == 200
    assert state(store, accounts) == before


def test_pages_carry_no_data_for_the_wrong_role(site):
    import dash

    app, _, _ = site
    pages = {p.get("subpath", p["path"]): p for p in dash.page_registry.values()}
    client = app.server.test_client()
    with app.server.test_request_context(P):
        from flask import g

        from socplan.accounts import User

        g.require_sign_in = True
        g.user = User("viewer1", "viewer")
        g.socplan_plan = "main"
        for path in ("/upload", "/history", "/returns", "/admin/audit"):
            text = str(pages[path]["layout"](plan="main").to_plotly_json())
            assert "Not available" in text
            assert "2020/21" not in text and ".xlsx" not in text and "sha256" not in text.lower()
    del client


def test_request_over_the_cap_is_refused_before_it_is_read(site):
    from werkzeug.serving import make_server

    app, _, _ = site
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as sock:
            sock.sendall(
                b"POST /_dash-update-component HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 500000000\r\n\r\n{"output":'
            )
            reply = sock.recv(4096).decode()  # answered at once, without the 500 MB
        assert reply.startswith("HTTP/1.1 413")
    finally:
        server.shutdown()


def test_first_run_makes_an_admin_and_says_how_to_sign_in(tmp_path, monkeypatch, capsys):
    from dashboard.app import create_app

    monkeypatch.setenv("SOCPLAN_STATE_DIR", str(tmp_path / "state"))
    url = f"sqlite:///{tmp_path / 'new.db'}"
    create_app({"db": url})
    message = capsys.readouterr().err
    password = re.search(r"password:\s+(\S+)", message)[1]
    assert "user name: admin" in message and len(password) >= 16
    assert Accounts(Store(url)).authenticate("admin", password).role == "admin"
    create_app({"db": url})
    assert "password" not in capsys.readouterr().err  # shown once only
    with Store(url).engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar() >= 2


def test_secret_key_race_gives_everyone_the_same_key(tmp_path, monkeypatch):
    from socplan.config import Settings, secret_key

    keys: list[str] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        keys.append(secret_key(Settings(state_dir=str(tmp_path / "race"))))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) == 64
    assert [p.name for p in (tmp_path / "race").iterdir()] == ["secret_key"]


def test_index_page_carries_no_data(site):
    app, _, _ = site
    editor = app.server.test_client()
    sign_in(editor, "editor1")
    editor.get(f"{P}/history")  # the first request: Dash renders its pages for validation here
    viewer = app.server.test_client()
    sign_in(viewer, "viewer1")
    for client in (viewer, editor):
        index = client.get(P).get_data(as_text=True)
        assert len(index) < 50_000
        assert ".xlsx" not in index and "Disrupt the county lines" not in index
