"""The Dash app factory: `create_app(config)` builds the app; nothing happens at import time."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import dash
from dash import ALL, Input, Output, State, callback_context, html, no_update
from flask import g, jsonify, send_file

from socplan.accounts import Accounts
from socplan.config import load_settings
from socplan.reporting.export_server import PLOTLY_JS
from socplan.store import Store

from . import access_log, auth, evidence, exports, files, ids, partner
from .components import register_page_callbacks
from .context import NoPlanChosen, plan_record, plan_slug, settings, source
from .filters import Filters, clean_search, extra_params, filters_shown
from .frame import definitions, plan_nav_items, shell
from .skeleton import skeleton
from .source import SERVING, PlanSources

ROOT = Path(__file__).resolve().parents[1]
PAGES = (  # the page modules under dashboard/pages, each registering itself with Dash Pages
    "audit",
    "changes",
    "contacts",
    "history",
    "overview",
    "partners",
    "plans",
    "recommendation",
    "recommendations",
    "returns",
    "upload",
)
ASSETS = ROOT / "assets"
# The renderer sends the page's path with every callback, so the server knows which plan a
# callback is about (auth.py checks the person's role on it, as for any other request).
# On a page with charts it also starts plotly.js (socplan.js) while the content is on its way.
RENDERER_HOOKS = {
    "request_pre": "function (payload) { payload.socplan_path = window.location.pathname;"
    " window.socplanStartPlotly && window.socplanStartPlotly(); }"
}


INDEX_STRING = """<!DOCTYPE html>
<html lang="en-GB">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        <a class="skip-link" href="#main">Skip to main content</a>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


def sync_filters(
    search: str | None,
    period: str | None,
    themes: list[str] | None,
    owners: list[str] | None,
    periods: list[str] | None,
    triggered: Any = None,
) -> tuple[Any, ...]:
    """Keep the filters and the URL in step, whichever changed (back button included)."""
    newest = periods[0] if periods else None
    if triggered in (ids.URL, None):
        chosen = Filters.from_search(search)
        return no_update, chosen.period or newest, list(chosen.themes), list(chosen.owners)
    current = Filters.from_search(search)
    keep_period = bool(current.period) or period != newest  # the newest stays implicit until chosen
    wanted = Filters(period if keep_period else None, tuple(themes or ()), tuple(owners or ()))
    if wanted == current:
        return no_update, no_update, no_update, no_update
    return wanted.search(**extra_params(search)), no_update, no_update, no_update


def nav_links(
    search: str | None, pathname: str | None, pages: list[str], base: str | None
) -> tuple[list[str], list[Any], list[str]]:
    """Nav links of the plan at `base` (/plans/<slug>) carry the filters; the current page is
    marked (in words, for screen readers: Dash's Link takes no aria-current); the pages the
    person may not open, or all with no plan, are hidden."""
    items = {path: name for path, name, _ in plan_nav_items()}
    names = [items.get(p, p) for p in pages]
    if base is None:
        return ["/" for _ in pages], names, ["nav-item-link d-none" for _ in pages]
    kept = Filters.from_search(search).search()
    full = [base + ("" if p == "/" else p) for p in pages]
    here_now = [(pathname or "/").rstrip("/") == f for f in full]
    labels: list[Any] = [
        [name, html.Span(" (this page)", className="visually-hidden")] if now else name
        for name, now in zip(names, here_now, strict=True)
    ]
    allowed = {path for path, _, needed in plan_nav_items() if auth.can(needed)}
    shown = [
        "nav-item-link" + (" current" if now else "") + ("" if p in allowed else " d-none")
        for p, now in zip(pages, here_now, strict=True)
    ]
    return [f + kept for f in full], labels, shown


def _periods() -> list[str]:
    """The periods of this request's plan, newest first (none for a page about no plan)."""
    if plan_slug() is None:
        return []
    return [p.label for p in reversed(source().plan().periods)]


def _register_callbacks(app: dash.Dash) -> None:
    # The URL's query and the three filters, each kept in step with the others.
    synced = (
        (ids.URL, "search"),
        (ids.PERIOD, "value"),
        (ids.THEME, "value"),
        (ids.OWNER, "value"),
    )

    @app.callback(
        *(Output(c, p) for c, p in synced),
        *(Input(c, p) for c, p in synced),
        Input(ids.URL, "pathname"),
    )
    def _sync(
        search: str | None,
        period: str | None,
        themes: list[str] | None,
        owners: list[str] | None,
        _pathname: str | None,
    ) -> tuple[Any, ...]:
        if plan_slug() is None:
            return no_update, None, [], []
        periods = _periods()
        search = clean_search(search, source().plan())  # never echo what the plan does not know
        return sync_filters(search, period, themes, owners, periods, callback_context.triggered_id)

    @app.callback(
        Output(ids.TITLE, "children"),
        Output(ids.ORG, "children"),
        Output(ids.LOGO, "src"),
        Output(ids.ROLE, "children"),
        Output(ids.DEFINITIONS, "children"),
        Output(ids.PERIOD, "options"),
        Output(ids.THEME, "options"),
        Output(ids.OWNER, "options"),
        Input(ids.URL, "pathname"),
    )
    def _frame(_pathname: str | None) -> tuple[Any, ...]:
        # What the header, footer and filters show depends on the page's plan (none: the list
        # of plans, accounts).
        config = settings()
        role = auth.current_role() if plan_slug() else None  # a role is on a plan
        shown_role = f"({role})" if role and role != "anonymous" else ""
        logo = config.logo or "/assets/logo.svg"
        if plan_record() is None:
            return (
                "Delivery plans",
                config.organisation,
                logo,
                shown_role,
                definitions(config),
                [],
                [],
                [],
            )
        plan = source().plan()
        periods = [{"label": p, "value": p} for p in _periods()]
        return (
            config.strategy + ": delivery plan",
            config.organisation,
            logo,
            shown_role,
            definitions(config),
            periods,
            plan.themes,
            plan.owners,
        )

    @app.callback(
        Output(ids.FILTERS_BAR, "hidden"),
        *(Output(box, "hidden") for box in ids.FILTER_BOXES.values()),
        Output(ids.RESET, "href"),
        Input(ids.URL, "pathname"),
    )
    def _filters_shown(pathname: str | None) -> tuple[bool | str, ...]:
        # "Clear filters" stays on this page (its filters gone) rather than going to the Overview.
        return (*filters_shown(pathname), pathname or "/")

    @app.callback(
        Output({"type": ids.NAV_LINK, "page": ALL}, "href"),
        Output({"type": ids.NAV_LINK, "page": ALL}, "children"),
        Output({"type": ids.NAV_LINK, "page": ALL}, "className"),
        Input(ids.URL, "search"),
        Input(ids.URL, "pathname"),
        State({"type": ids.NAV_LINK, "page": ALL}, "id"),
    )
    def _nav(
        search: str | None, pathname: str | None, link_ids: list[dict[str, str]]
    ) -> tuple[list[str], list[Any], list[str]]:
        slug = plan_slug()
        if slug is not None:
            search = clean_search(search, source().plan())
        base = f"/plans/{slug}" if slug else None
        return nav_links(search, pathname, [i["page"] for i in link_ids], base)


def create_app(config: dict[str, Any] | None = None) -> dash.Dash:
    """Build the dashboard. `config` may set `db` (a URL) and any other setting."""
    config = dict(config or {})
    settings_obj = load_settings(
        **{k: v for k, v in config.items() if k != "db"}, db=config.get("db")
    )
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",  # the page modules are imported below, under their package names
        assets_folder=str(ASSETS),
        title="Delivery plan",
        update_title="",
        serve_locally=True,
        hooks=RENDERER_HOOKS,  # type: ignore[arg-type]
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.index_string = INDEX_STRING
    # Imported here (registering each page once, as dashboard.pages.NAME) rather than found by
    # Dash in a folder: Dash would import them again as pages.NAME, and a test importing a page
    # module would then register every path twice.
    for name in PAGES:
        register_page_callbacks(app, importlib.import_module(f"{__package__}.pages.{name}"))
    # Dash tries path templates in turn and its wildcard spans slashes, so /plans/<plan> would
    # take /plans/x/recommendations: the deepest templates are tried first.
    pages = sorted(dash.page_registry.items(), key=lambda kv: -kv[1]["path"].count("/"))
    dash.page_registry.clear()
    dash.page_registry.update(pages)
    # For socplan.js: the charts' plotly.js, named by its modification time as Dash names
    # assets (auth.py lets browsers keep such a file), and the pages that draw charts
    # (register(..., charts=True)), where it starts plotly.js early.
    charts = {
        "plotly": f"{app.get_asset_url('vendor/plotly.min.js')}?m={int(PLOTLY_JS.stat().st_mtime)}",
        "pages": [
            app.config.requests_pathname_prefix.rstrip("/") + (p.get("path_template") or p["path"])
            for _, p in pages
            if p.get("charts")
        ],
        # Dash's Graph's own code, which Dash loads once a chart is on the page.
        "graph": f"{app.config.requests_pathname_prefix}_dash-component-suites/dash/dcc/async-graph.js",
    }
    app.config.meta_tags.append({"name": "socplan-charts", "content": json.dumps(charts)})

    store = Store(settings_obj.database_url)
    store.ensure_schema()  # once here, not on every request
    accounts = Accounts(store)
    app.server.extensions["socplan"] = PlanSources(store, settings_obj.plan_cache_mb * 1024 * 1024)
    app.server.extensions["socplan_settings"] = settings_obj
    app.server.extensions["socplan_accounts"] = accounts
    password = auth.first_run(accounts, settings_obj.database_url)
    if password:
        print(
            "\nNo accounts yet, so an administrator account was made. Sign in at /login with\n"
            f"  user name: admin\n  password:  {password}\n"
            "This password is shown once. Add people with `socplan users add NAME --role editor`.\n",
            file=sys.stderr,
            flush=True,
        )
    with app.server.app_context():  # Dash calls the layout once to check it
        app.layout = shell
    _register_callbacks(app)
    auth.install(app.server, settings_obj, accounts, lambda: list(app.csp_hashes()))

    validation = skeleton()

    @app.server.before_request
    def serving() -> None:
        g.setdefault(SERVING, True)  # kept pages are measured after the response (source.py)

    @app.server.before_request
    def keep_data_out_of_the_index() -> None:
        # Runs after Dash's own first-request setup, which renders every page into
        # app.validation_layout; replace that with the data-free skeleton.
        if app.validation_layout is not validation:
            setattr(app, "validation_layout", validation)  # noqa: B010 (Dash types it as None)

    exports.register(app.server, settings_obj.render_slots)
    files.register(app.server)
    evidence.register(app.server)
    partner.register(app.server)
    access_log.install(app.server.logger)  # no update link in the logs

    @app.server.route("/assets/vendor/plotly.min.js")  # before Dash's /assets/<path>
    def plotly_js() -> Any:
        # The charts' plotly.js (the export server's: only the chart types socplan draws);
        # socplan.js points Dash's Graph at it, which loads it with the first chart.
        return send_file(PLOTLY_JS, mimetype="text/javascript", conditional=True)

    @app.server.route("/health")
    def health() -> Any:
        return jsonify(status="ok", plans=len(store.plans()))

    @app.server.errorhandler(NoPlanChosen)
    def no_plan_chosen(_: NoPlanChosen) -> Any:
        return jsonify(error="this request names no plan; open a plan's page first"), 400

    return app
