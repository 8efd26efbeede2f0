"""The Dash app factory: `create_app(config)` builds the app; nothing happens at import time."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update
from flask import jsonify

from socplan.accounts import Accounts
from socplan.config import Settings, load_settings
from socplan.figures import style_of
from socplan.permissions import VIEW
from socplan.store import Store

from . import auth, exports, files, ids
from .components import register_page_callbacks
from .context import settings, source
from .filters import Filters, clean_search, extra_params, filters_shown
from .skeleton import skeleton
from .source import PlanSource

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"


def nav_items() -> list[tuple[str, str]]:
    """(path, name) of each page this person may open, in the pages' order: read from Dash's
    page registry, where each page says its order and the permission it needs."""
    pages = sorted(
        (p for p in dash.page_registry.values() if not p.get("path_template")),
        key=lambda p: (p.get("order") is None, p.get("order") or 0, p["path"]),
    )
    return [(p["path"], p["name"]) for p in pages if auth.can(p.get("permission", VIEW))]


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


def _aria(label: str) -> dict[str, Any]:
    return {"aria-label": label}


def _account() -> html.Div:
    user = auth.current_user()
    if user is None:
        return html.Div(
            html.A("Sign in", href="/login", className="account-link"), className="account"
        )
    return html.Div(
        [
            html.Span(f"{user.username} ({user.role})", className="me-2"),
            html.Form(
                [
                    dcc.Input(type="hidden", name=auth.CSRF_FIELD, value=auth.csrf_token()),
                    html.Button("Sign out", type="submit", className="btn btn-sm btn-light"),
                ],
                action="/logout",
                method="POST",
                className="d-inline",
            ),
        ],
        className="account",
    )


def _header(config: Settings) -> html.Header:
    logo = config.logo or "/assets/logo.svg"
    return html.Header(
        dbc.Container(
            [
                html.Div(
                    [
                        html.Img(src=logo, alt="", className="brand-logo", height="40"),
                        html.Div(
                            [
                                html.Div(config.organisation, className="brand-org"),
                                html.Div(
                                    config.strategy + ": delivery plan", className="brand-title"
                                ),
                            ]
                        ),
                    ],
                    className="brand",
                ),
                _account(),
                html.Nav(
                    [
                        dcc.Link(
                            label,
                            href=path,
                            id={"type": ids.NAV_LINK, "page": path},
                            className="nav-item-link",
                        )
                        for path, label in nav_items()
                    ],
                    className="main-nav",
                    id=ids.NAV,
                    **_aria("Pages"),
                ),
            ],
            fluid="xl",
            className="header-inner",
        ),
        className="site-header",
        style={"--brand": config.primary_colour},
    )


def _filter_box(name: str, child: Any, classes: str) -> html.Div:
    # A bootstrap column that can be hidden (`hidden` is a Div property; dbc.Col has none).
    return html.Div(child, id=ids.FILTER_BOXES[name], className=classes)


def _filters_bar() -> html.Div:
    # Native controls (select, checkboxes, details) rather than dcc.Dropdown: Dash 4's dropdown
    # puts keyboard focus on an aria-hidden element, which screen readers cannot follow.
    # A page shows only the filters it uses (see `filters_used`); the others stay in the page,
    # hidden, so that every callback still finds them.
    plan = source().plan()
    periods = [p.label for p in reversed(plan.periods)]
    return html.Div(
        dbc.Container(
            dbc.Row(
                [
                    _filter_box(
                        "period",
                        [
                            html.Label("As at", htmlFor=ids.PERIOD, className="form-label"),
                            dbc.Select(
                                id=ids.PERIOD,
                                options=[{"label": p, "value": p} for p in periods],
                                value=periods[0] if periods else None,
                            ),
                        ],
                        "col-12 col-md-3",
                    ),
                    _filter_box(
                        "theme",
                        html.Fieldset(
                            [
                                html.Legend("Theme", className="form-label"),
                                dbc.Checklist(
                                    id=ids.THEME,
                                    options=plan.themes,
                                    value=[],
                                    inline=True,
                                    className="filter-checks",
                                ),
                            ]
                        ),
                        "col-12 col-md-4",
                    ),
                    _filter_box(
                        "owner",
                        html.Details(
                            [
                                html.Summary("Owner", className="form-label"),
                                html.Fieldset(
                                    [
                                        html.Legend("Owners to show", className="visually-hidden"),
                                        dbc.Checklist(
                                            id=ids.OWNER,
                                            options=plan.owners,
                                            value=[],
                                            className="filter-checks owner-checks",
                                        ),
                                    ]
                                ),
                            ],
                            className="owner-filter",
                        ),
                        "col-12 col-md-3",
                    ),
                    dbc.Col(
                        dcc.Link("Clear filters", href="/", id=ids.RESET, className="btn btn-link"),
                        xs=12,
                        md=2,
                        className="d-flex align-items-end",
                    ),
                ],
                className="g-2",
            ),
            fluid="xl",
        ),
        id=ids.FILTERS_BAR,
        className="filters-bar",
        role="search",
        **_aria("Filters"),
    )


def _footer(config: Settings) -> html.Footer:
    items = [
        html.Div(
            [
                html.Dt(
                    html.Span(
                        [
                            html.Span(
                                className="rag-swatch", style={"background": style_of(s)["colour"]}
                            ),
                            s,
                        ]
                    )
                ),
                html.Dd(text),
            ],
            className="rag-item",
        )
        for s, text in config.rag_definitions.items()
    ]
    return html.Footer(
        dbc.Container(
            [
                html.H2("Status definitions (RAG) in force", className="h6"),
                html.Dl(items, className="rag-list"),
            ],
            fluid="xl",
        ),
        className="site-footer",
    )


def shell() -> html.Div:
    """The page frame around every page: header, filters, the page, the status definitions."""
    config = settings()
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh="callback-nav"),
            _header(config),
            _filters_bar(),
            html.Main(dbc.Container(dash.page_container, fluid="xl"), id="main", tabIndex="-1"),
            _footer(config),
        ]
    )


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
    search: str | None, pathname: str | None, pages: list[str]
) -> tuple[list[str], list[Any]]:
    """Nav links carry the filters; the current page is marked for screen readers."""
    kept = Filters.from_search(search).search()
    current = [("page" if (pathname or "/") == p else None) for p in pages]
    return [p + kept for p in pages], current


def _register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(ids.URL, "search"),
        Output(ids.PERIOD, "value"),
        Output(ids.THEME, "value"),
        Output(ids.OWNER, "value"),
        Input(ids.URL, "search"),
        Input(ids.PERIOD, "value"),
        Input(ids.THEME, "value"),
        Input(ids.OWNER, "value"),
        State(ids.PERIOD, "options"),
    )
    def _sync(
        search: str | None,
        period: str | None,
        themes: list[str] | None,
        owners: list[str] | None,
        options: list[dict[str, str]] | None,
    ) -> tuple[Any, ...]:
        periods = [o["value"] for o in options or []]
        search = clean_search(search, source().plan())  # never echo what the plan does not know
        return sync_filters(search, period, themes, owners, periods, callback_context.triggered_id)

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
        Output({"type": ids.NAV_LINK, "page": ALL}, "aria-current"),
        Input(ids.URL, "search"),
        Input(ids.URL, "pathname"),
        State({"type": ids.NAV_LINK, "page": ALL}, "id"),
    )
    def _nav(
        search: str | None, pathname: str | None, link_ids: list[dict[str, str]]
    ) -> tuple[list[str], list[Any]]:
        search = clean_search(search, source().plan())
        return nav_links(search, pathname, [i["page"] for i in link_ids])


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
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.index_string = INDEX_STRING
    # Imported here (registering each page once, as dashboard.pages.NAME) rather than found by
    # Dash in a folder: Dash would import them again as pages.NAME, and a test importing a page
    # module would then register every path twice.
    from .pages import (
        audit,
        changes,
        history,
        overview,
        partners,
        recommendation,
        recommendations,
        returns,
        upload,
    )

    for module in (
        audit,
        changes,
        history,
        overview,
        partners,
        recommendation,
        recommendations,
        returns,
        upload,
    ):
        register_page_callbacks(app, module)

    store = Store(settings_obj.database_url)
    accounts = Accounts(store)
    app.server.extensions["socplan"] = PlanSource(store)
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
    def keep_data_out_of_the_index() -> None:
        # Runs after Dash's own first-request setup, which renders every page into
        # app.validation_layout; replace that with the data-free skeleton.
        if app.validation_layout is not validation:
            setattr(app, "validation_layout", validation)  # noqa: B010 (Dash types it as None)

    exports.register(app.server, settings_obj.render_slots)
    files.register(app.server)

    @app.server.route("/health")
    def health() -> Any:
        version = store.version()
        return jsonify(status="ok", imports=version[0], last_import=version[1])

    return app
