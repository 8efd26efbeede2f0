"""Sign-in, roles and their enforcement on the server, for every route and every Dash callback.

Well-kept libraries do the security-sensitive parts: Flask-Login keeps who is signed in (in
Flask's signed cookie: the user name and the account's current session key, so sign-out, a new
password, a new role or removal end every session on the server), and Flask-WTF checks a CSRF
token on every state-changing request (forms carry it in a field; Dash's renderer sends it as the
`X-CSRFToken` header, copied from the `_csrf_token` cookie set here). On top of them: an
Origin/Referer check, sign-in throttling by growing delays, request size caps, and the security
headers. Behind a single sign-on proxy, a trusted header names the user.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import flask_login
from flask import Flask, Response, g, jsonify, redirect, render_template_string, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf, validate_csrf
from werkzeug.middleware.proxy_fix import ProxyFix
from wtforms import ValidationError

from socplan.accounts import Accounts, User, stronger
from socplan.config import Settings, secret_key
from socplan.permissions import (
    EDIT,
    VIEW,
    Permission,
    allows,
    needed_for_ids,
    needed_for_path,
    weakest_role,
)
from socplan.rounds import LINK_PREFIX

# Partners' update links (/r/<token>) need no account: the token is the permission.
PUBLIC_PREFIXES = ("/login", "/health", "/assets/", "/_favicon.ico", LINK_PREFIX)
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/")
ASSET_MAX_AGE = 365 * 24 * 3600  # what Dash gives its own versioned scripts
CSRF_FIELD = "csrf"
CSRF_COOKIE = "_csrf_token"  # the name Dash's renderer reads to send X-CSRFToken
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
VIEWER_MAX_BODY = 512 * 1024  # a viewer's callbacks carry a few KB; only editors upload

LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in: delivery plan</title>
<link rel="stylesheet" href="/assets/01_bootstrap.min.css"><link rel="stylesheet" href="/assets/02_socplan.css"></head>
<body><header class="site-header"><div class="header-inner container-xl"><div class="brand">
<div><div class="brand-org">{{ organisation }}</div><div class="brand-title">Delivery plans</div></div>
</div></div></header>
<main id="main" class="container login-main"><h1>Sign in</h1>
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


class _SignedIn(flask_login.UserMixin):
    """Flask-Login's view of an account: its id carries the session key, so a changed key (sign
    out, new password, new role, removal) makes every older session unknown."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.session_key}:{self.user.username}"


def csrf_token() -> str:
    """The CSRF token for a form on a page of this session."""
    return str(generate_csrf())


def current_user() -> User | None:
    """Who is making this request (None when anonymous)."""
    return g.get("user")


def requester() -> str:
    """Who is asking, for per-person limits: the user name, else the client's address."""
    user = current_user()
    return f"user:{user.username}" if user is not None else f"address:{_address()}"


def current_role() -> str | None:
    """The role of whoever makes this request on its plan (see `context.plan_slug`); for a
    request about no plan (the list of plans, accounts), their strongest role on any plan: a
    role on one plan is never admin. Anonymous viewing counts as viewer when allowed."""
    user = current_user()
    if user is not None:
        slug = g.get("socplan_plan")
        if slug:
            return user.role_in(slug)
        best = user.role or None
        for _, role in user.plans:
            best = stronger(best, role)
        return best
    return None if g.get("require_sign_in", True) else "anonymous"


def sees(slug: str) -> bool:
    """True when the requester may see anything of plan `slug`."""
    user = current_user()
    if user is None:
        return not g.get("require_sign_in", True)
    return user.sees(slug)


def can(needed: Permission) -> bool:
    """True when the requester holds the permission `needed`."""
    role = current_role()
    if role == "anonymous":
        return needed == VIEW
    return allows(role, needed)


def can_on(slug: str, needed: Permission) -> bool:
    """True when the requester holds `needed` on plan `slug` (for a page about several plans)."""
    user = current_user()
    if user is None:
        return needed == VIEW and not g.get("require_sign_in", True)
    return allows(user.role_in(slug), needed)


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


def _needed_for_callback() -> Permission:
    payload = request.get_json(silent=True) or {}
    return needed_for_ids(_ids(payload) if isinstance(payload, dict) else [])


class _Ambiguous(ValueError):
    """A callback naming two plans at once."""


def _callback_plan() -> str | None:
    """The plan a Dash callback is about: the page it came from (the renderer sends the page's
    path with every callback; see `app.RENDERER_HOOKS`). A routing callback's own pathname must
    name the same plan, so nobody can ask for one plan's page from another plan's."""
    from .context import plan_of_path

    payload = request.get_json(silent=True) or {}
    if not isinstance(payload, dict):
        return None
    sent = payload.get("socplan_path")
    slugs = {plan_of_path(sent) if isinstance(sent, str) else None}
    for key in ("inputs", "state"):
        items = payload.get(key) or []
        for item in items if isinstance(items, list) else [items]:
            for entry in item if isinstance(item, list) else [item]:
                if isinstance(entry, dict) and entry.get("property") == "pathname":
                    value = entry.get("value")
                    if isinstance(value, str):
                        slugs.add(plan_of_path(value))
    if len(slugs) > 1:
        raise _Ambiguous("this callback names more than one plan")
    return slugs.pop()


def _plan_and_rest(path: str) -> tuple[str | None, str]:
    """The plan a request is about and the path within it ('/' for its overview)."""
    from .context import PLAN_PREFIX, plan_of_path

    if path.startswith("/_dash-update-component"):
        return _callback_plan(), path
    slug = plan_of_path(path)
    if slug is None:
        return None, path
    return slug, path[len(PLAN_PREFIX) + len(slug) :] or "/"


def _within_a_plan(path: str) -> bool:
    """True when `path` (outside /plans/) is a page or download that lives within a plan: an
    address from before there were several plans, or from a link someone kept."""
    import dash

    from .filters import _matches

    if path.startswith(("/export/", "/files/")):
        return True
    return any(
        "subpath" in page and page["subpath"] != "/" and _matches(path, page["subpath"])
        for page in dash.page_registry.values()
    )


def _same_origin() -> bool:
    """False when a state-changing request says it comes from another site."""
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin != "null" and urlparse(origin).netloc == request.host
    referer = request.headers.get("Referer")
    return referer is None or urlparse(referer).netloc == request.host


def _csrf_cookie_valid() -> bool:
    token = request.cookies.get(CSRF_COOKIE)
    if not token:
        return False
    try:
        validate_csrf(token)
    except ValidationError:
        return False
    return True


def security_headers(script_hashes: list[str]) -> dict[str, str]:
    """The headers every response carries. Scripts only from this site (and the inline Dash
    bootstrap, by hash); styles allow inline because Plotly and Dash set style attributes."""
    scripts = " ".join(["'self'", *script_hashes])  # Dash gives them quoted
    policy = "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }


class _Sessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a static file's response neither renews the
    cookie nor varies on it. Every other response renews the cookie (a sliding 12 hours), so
    with `Vary: Cookie` the browser would never reuse its copy of Dash's scripts (2.7 MB, the
    same bytes for everyone) and would fetch and compile them again on every page."""

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if request.path.startswith(STATIC_PREFIXES):
            return
        super().save_session(app, session, response)


def install(
    server: Flask,
    settings: Settings,
    accounts: Accounts,
    script_hashes: Callable[[], list[str]] = list,
) -> None:
    """Configure sessions and add sign-in, sign-out and the per-request checks.

    `script_hashes` gives the CSP hashes of the page's inline scripts (Dash adds one during its
    first request, so they are asked for on each response; hashing them costs microseconds)."""
    server.secret_key = secret_key(settings)
    server.session_interface = _Sessions()
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        SESSION_COOKIE_NAME="socplan_session",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        MAX_CONTENT_LENGTH=settings.max_request_mb * 1024 * 1024,
        WTF_CSRF_FIELD_NAME=CSRF_FIELD,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session (12 hours at most)
        REMEMBER_COOKIE_DURATION=0,
    )
    if settings.trusted_proxies:
        # The client's address, scheme and host as the trusted proxies in front saw them; with
        # no proxy configured the headers are ignored, so nobody can pose as another address.
        n = settings.trusted_proxies
        server.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            server.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n
        )
    logins = flask_login.LoginManager()
    logins.session_protection = "basic"
    logins.init_app(server)

    @logins.user_loader
    def load(user_id: str) -> _SignedIn | None:
        key, _, name = user_id.partition(":")
        user = accounts.get_session(name, key)
        return _SignedIn(user) if user is not None else None

    def page(
        message: str = "", level: str = "danger", status: int = 200, username: str = ""
    ) -> Response:
        target = request.values.get("next", "/")
        body = render_template_string(
            LOGIN_PAGE,
            organisation=settings.organisation,
            message=message,
            level=level,
            csrf=generate_csrf(),
            next=target if len(target) <= 2048 else "/",
            username=username[:150],
        )
        return Response(body, status=status, mimetype="text/html")

    @server.before_request
    def identify() -> Any:
        if len(request.query_string) > settings.max_query_bytes:
            return jsonify(error="the address is too long"), 414
        if request.method not in SAFE_METHODS and not _same_origin():
            return jsonify(error="this request came from another site"), 403
        g.require_sign_in = settings.require_sign_in
        g.user = None
        header = settings.trusted_user_header
        if header and request.headers.get(header):
            name = request.headers[header].strip()
            g.user = accounts.get(name) or User(name, "viewer")
        elif session.get("_user_id"):
            signed_in = flask_login.current_user
            if signed_in.is_authenticated:
                g.user = signed_in.user
            else:
                session.clear()  # ended by sign-out elsewhere, a new password or role, removal
        path = request.path
        if path.startswith(LINK_PREFIX):  # a partner's page: only its upload carries a file
            from .partner import is_upload, max_body

            upload = is_upload(request.method, path)
            request.max_content_length = max_body(settings) if upload else VIEWER_MAX_BODY
        elif not can(EDIT):  # only editors send files; cap the rest before any body is read
            request.max_content_length = VIEWER_MAX_BODY
        if path.startswith(PUBLIC_PREFIXES):
            return None
        try:
            slug, rest = _plan_and_rest(path)
        except _Ambiguous as exc:
            return jsonify(error=str(exc)), 400
        if slug is not None:
            found = next((p for p in accounts.store.plans() if p.slug == slug), None)
            if found is None:
                return jsonify(error="there is no such plan"), 404
            g.socplan_plan, g.socplan_plan_record = slug, found  # read once per request
            if current_user() is not None and not sees(slug):
                return jsonify(error="you have no role on this plan"), 403
        if path.startswith("/_dash-update-component"):
            needed = _needed_for_callback()
        else:
            needed = needed_for_path(rest)
        if can(needed):
            if slug is None and request.method == "GET":
                return _to_a_plan(path)
            return None
        if current_role() is None:
            downloads = "/export/" in path or "/files/" in path
            if request.method == "GET" and not path.startswith("/_dash") and not downloads:
                return redirect(f"/login?next={request.full_path.rstrip('?')}")
            return jsonify(error="sign in first"), 401
        return jsonify(error=f"this needs the {weakest_role(needed)} role"), 403

    def _to_a_plan(path: str) -> Any:
        """A page that is about no plan: the list of plans, or for someone who sees one plan
        only, that plan; an address from before there were several plans goes to its plan."""
        if path != "/" and not _within_a_plan(path):
            return None
        user = current_user()
        visible = accounts.visible_plans(user) if user else tuple(accounts.store.plans())
        if len(visible) == 1:
            query = request.query_string.decode(errors="replace")
            target = f"/plans/{visible[0].slug}{'' if path == '/' else path}"
            return redirect(target + (f"?{query}" if query else ""))
        return redirect("/") if path != "/" else None

    # After `identify`, so a refusal by role comes first and says why.
    CSRFProtect(server)

    @server.after_request
    def protect(response: Response) -> Response:
        for name, value in security_headers(script_hashes()).items():
            response.headers.setdefault(name, value)
        static = request.path.startswith(STATIC_PREFIXES)
        if not static:
            response.headers["Cache-Control"] = "no-store"  # plan data: no shared caches
        elif request.path.startswith("/assets/") and request.args.get("m"):
            # Dash names each asset by its modification time (?m=...), so a changed file has a
            # new address: the browser keeps it rather than asking again on every page (a
            # round trip each, before any script may run behind the style sheets).
            response.headers["Cache-Control"] = f"max-age={ASSET_MAX_AGE}, immutable"
        # A token for the page's forms and Dash's callbacks; not for static files or the load
        # balancer's /health, which would otherwise start a session on every probe.
        if not static and request.path != "/health" and not _csrf_cookie_valid():
            response.set_cookie(
                CSRF_COOKIE,
                generate_csrf(),
                secure=settings.https,
                httponly=False,  # Dash's renderer reads it to send the X-CSRFToken header
                samesite="Strict",
            )
        return response

    @server.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError) -> Any:
        if request.path == "/login":
            return page("The form had expired; please sign in again.", status=400)
        if request.path.startswith(LINK_PREFIX):
            from .partner import refused

            return refused("The form had expired; reload this page and try again.", 400)
        reason = str(error.description).rstrip(".")
        return jsonify(error=f"refused: {reason}; reload the page"), 400

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "GET":
            return page()
        username = request.form.get("username", "").strip()[:150]
        address = _address()
        wait = accounts.claim_sign_in(username, address)
        if wait:
            seconds = math.ceil(wait)
            response = page(
                f"Too many failed attempts; wait {seconds} seconds and try again.",
                status=429,
                username=username,
            )
            response.headers["Retry-After"] = str(seconds)
            return response
        user = accounts.authenticate(username, request.form.get("password", ""), address)
        if user is None:
            return page("That user name and password do not match.", status=401, username=username)
        accounts.clear_failures(username, address)
        session.clear()  # a fresh session: nothing from before signing in carries over
        flask_login.login_user(_SignedIn(user))
        session.permanent = True
        target = request.form.get("next") or "/"
        if urlparse(target).netloc or not target.startswith("/") or target.startswith("//"):
            target = "/"  # never redirect off the site
        return redirect(target)

    @server.route("/logout", methods=["GET", "POST"])
    def logout() -> Any:
        if request.method != "POST":  # a link or an image on another site must not sign out
            return Response("Sign out with the Sign out button.", 405, {"Allow": "POST"})
        user = current_user()
        if user is not None and session.get("_user_id"):
            accounts.end_sessions(user.username, address=_address())
        flask_login.logout_user()
        session.clear()
        return redirect("/login")

    @server.errorhandler(413)
    def too_large(_: Any) -> Any:
        if request.path.startswith(LINK_PREFIX):
            from .partner import refused

            return refused("", 413)
        return jsonify(error="the request is over the size limit"), 413


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
