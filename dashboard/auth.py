"""Sign-in, roles and their enforcement on the server, for every route and every Dash callback.

Sessions are Flask's signed cookies (HttpOnly, SameSite=Lax, Secure over HTTPS) holding only the
user name; the role is read from the database on each request, so a change of role or a removed
account takes effect at once. Behind a single sign-on proxy, a trusted header names the user.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from flask import Flask, Response, g, jsonify, redirect, render_template_string, request, session

from socplan.accounts import Accounts, User, allowed
from socplan.config import Settings

PUBLIC_PREFIXES = ("/login", "/health", "/assets/", "/_favicon.ico")
MAX_FAILURES = 5  # per user name or address in FAILURE_WINDOW minutes
FAILURE_WINDOW = 15
EDITOR_IDS = "edit-"
ADMIN_IDS = "admin-"
STATE_DIR = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "socplan"

LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in: delivery plan</title>
<link rel="stylesheet" href="/assets/01_bootstrap.min.css"><link rel="stylesheet" href="/assets/02_socplan.css"></head>
<body><header class="site-header"><div class="header-inner container-xl"><div class="brand">
<div><div class="brand-org">{{ organisation }}</div><div class="brand-title">{{ strategy }}: delivery plan</div></div>
</div></div></header>
<main id="main" class="container" style="max-width: 28rem"><h1>Sign in</h1>
{% if message %}<div class="alert alert-{{ level }}" role="alert">{{ message }}</div>{% endif %}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{{ csrf }}"><input type="hidden" name="next" value="{{ next }}">
<div class="mb-3"><label class="form-label" for="username">User name</label>
<input class="form-control" id="username" name="username" autocomplete="username" required value="{{ username }}"></div>
<div class="mb-3"><label class="form-label" for="password">Password</label>
<input class="form-control" id="password" name="password" type="password" autocomplete="current-password" required></div>
<button class="btn btn-primary" type="submit">Sign in</button></form>
<p class="mt-3 small">Ask the policy team for an account. Administrators add accounts with
<code>socplan users add</code>.</p></main></body></html>"""


def secret_key(settings: Settings) -> str:
    """The configured key, or one generated on first run and kept outside the repository.

    Safe when several workers start at once: the key is written to a private temporary file and
    published with a hard link, which fails if another worker published first; everyone then
    reads the one published key.
    """
    if settings.secret_key:
        return settings.secret_key
    path = STATE_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
            os.chmod(temporary, 0o600)
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


def current_user() -> User | None:
    """Who is making this request (None when anonymous)."""
    return g.get("user")


def current_role() -> str | None:
    """The role of whoever makes this request; anonymous viewing counts as viewer when allowed."""
    user = current_user()
    if user is not None:
        return user.role
    return None if g.get("require_sign_in", True) else "anonymous"


def can(needed: str) -> bool:
    """True when the requester holds `needed` (viewer, editor or admin)."""
    role = current_role()
    if role == "anonymous":
        return needed == "viewer"
    return allowed(role, needed)


def _address() -> str:
    return request.remote_addr or ""


def _ids(payload: Any) -> list[str]:
    """Component ids named by a Dash callback request (outputs, inputs and state)."""
    found: list[str] = []
    for key in ("outputs", "inputs", "state"):
        items = payload.get(key) or []
        for item in items if isinstance(items, list) else [items]:
            for entry in item if isinstance(item, list) else [item]:
                if not isinstance(entry, dict):
                    continue
                ident = entry.get("id")
                if isinstance(ident, dict):
                    ident = str(ident.get("type", ""))
                found.append(str(ident or ""))
    output = payload.get("output")
    if isinstance(output, str):
        found.append(output.lstrip("."))
    return found


def _needed_for_callback() -> str:
    payload = request.get_json(silent=True) or {}
    ids = _ids(payload) if isinstance(payload, dict) else []
    if any(i.startswith(ADMIN_IDS) or f"..{ADMIN_IDS}" in i or '"admin-' in i for i in ids):
        return "admin"
    if any(i.startswith(EDITOR_IDS) or f"..{EDITOR_IDS}" in i or '"edit-' in i for i in ids):
        return "editor"
    return "viewer"


def install(server: Flask, settings: Settings, accounts: Accounts) -> None:
    """Configure sessions and add sign-in, sign-out and the per-request checks."""
    server.secret_key = secret_key(settings)
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        SESSION_COOKIE_NAME="socplan_session",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        MAX_CONTENT_LENGTH=settings.max_request_mb * 1024 * 1024,
    )

    def page(
        message: str = "", level: str = "danger", status: int = 200, username: str = ""
    ) -> Response:
        session.setdefault("csrf", secrets.token_urlsafe(16))
        target = request.values.get("next", "/")
        body = render_template_string(
            LOGIN_PAGE,
            organisation=settings.organisation,
            strategy=settings.strategy,
            message=message,
            level=level,
            csrf=session["csrf"],
            next=target,
            username=username,
        )
        return Response(body, status=status, mimetype="text/html")

    @server.before_request
    def identify() -> Any:
        g.require_sign_in = settings.require_sign_in
        g.user = None
        header = settings.trusted_user_header
        if header and request.headers.get(header):
            name = request.headers[header].strip()
            g.user = accounts.get(name) or User(name, "viewer")
        elif session.get("user"):
            g.user = accounts.get(session["user"])
            if g.user is None:
                session.clear()  # the account was removed
        path = request.path
        if path.startswith(PUBLIC_PREFIXES):
            return None
        if path.startswith("/admin"):
            needed = "admin"
        elif path.startswith("/files/"):
            needed = "editor"
        elif path.startswith("/_dash-update-component"):
            needed = _needed_for_callback()
        else:
            needed = "viewer"
        if can(needed):
            return None
        if current_role() is None:
            if request.method == "GET" and not path.startswith(("/_dash", "/export", "/files")):
                return redirect(f"/login?next={request.full_path.rstrip('?')}")
            return jsonify(error="sign in first"), 401
        return jsonify(error=f"this needs the {needed} role"), 403

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "GET":
            return page()
        if not secrets.compare_digest(request.form.get("csrf", ""), session.get("csrf", "x")):
            return page("The form had expired; please sign in again.", status=400)
        username = request.form.get("username", "").strip()
        if accounts.recent_failures(username, _address(), FAILURE_WINDOW) >= MAX_FAILURES:
            return page(
                f"Too many failed attempts; wait {FAILURE_WINDOW} minutes and try again.",
                status=429,
                username=username,
            )
        user = accounts.authenticate(username, request.form.get("password", ""), _address())
        if user is None:
            return page("That user name and password do not match.", status=401, username=username)
        session.clear()
        session["user"] = user.username
        session.permanent = True
        target = request.form.get("next") or "/"
        if urlparse(target).netloc or not target.startswith("/") or target.startswith("//"):
            target = "/"  # never redirect off the site
        return redirect(target)

    @server.route("/logout", methods=["POST", "GET"])
    def logout() -> Any:
        user = current_user()
        if user is not None:
            accounts.audit(user.username, "sign-out", "", _address())
        session.clear()
        return redirect("/login")

    @server.errorhandler(413)
    def too_large(_: Any) -> Any:
        return jsonify(error=f"the request is over the {settings.max_request_mb} MB limit"), 413


def first_run(accounts: Accounts, url: str) -> str | None:
    """With no accounts at all, create 'admin' with a generated password and return it."""
    from sqlalchemy.exc import IntegrityError

    from socplan.accounts import AccountError, generate_password

    if accounts.count():
        return None
    password = generate_password()
    try:
        accounts.add("admin", "admin", password, by="first run")
    except (AccountError, IntegrityError):  # another worker got there first
        return None
    return password
