"""The frame around every page: the header (brand, plan switcher, account, navigation), the
filters bar and the footer with the status definitions in force.

The frame is the same for every plan: what depends on the plan (its title, its pages' links,
the filters' choices, the definitions in force) is filled in by callbacks from the page's path
(see app.py), so the frame itself carries no plan's data."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import g

from socplan.config import Settings
from socplan.permissions import VIEW
from socplan.reporting.figures import style_of

from . import auth, ids
from .context import accounts, installation_settings


def _ordered() -> list[dict[str, Any]]:
    return sorted(
        (p for p in dash.page_registry.values() if p.get("order") is not None),
        key=lambda p: (p.get("order") or 0, p["path"]),
    )


def plan_nav_items() -> list[tuple[str, str, Any]]:
    """(path within a plan, name, permission) of each page of a plan in the navigation, in the
    pages' order: read from Dash's page registry, where each page says its order and the
    permission it needs."""
    return [
        (p["subpath"], p["name"], p.get("permission", VIEW))
        for p in _ordered()
        if "subpath" in p and "<" not in p["subpath"]
    ]


def other_nav_items() -> list[tuple[str, str]]:
    """(path, name) of each page about no plan that this person may open (accounts, audit)."""
    return [
        (p["path"], p["name"])
        for p in _ordered()
        if "subpath" not in p and p["path"] != "/" and auth.can(p.get("permission", VIEW))
    ]


def visible_plans() -> tuple[Any, ...]:
    """The plans this person may see."""
    user = auth.current_user()
    if user is None:
        return tuple(accounts().store.plans()) if not g.get("require_sign_in", True) else ()
    return accounts().visible_plans(user)


def _aria(label: str) -> dict[str, Any]:
    return {"aria-label": label}


def _account() -> html.Div:
    user = auth.current_user()
    if user is None:
        return html.Div(
            [
                html.Span(
                    "", id=ids.ROLE, className="visually-hidden"
                ),  # the frame's callback sets it
                html.A("Sign in", href="/login", className="account-link"),
            ],
            className="account",
        )
    return html.Div(
        [
            html.Span(user.username, className="me-1"),
            html.Span("", id=ids.ROLE, className="me-2"),
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


def _switcher() -> html.Details:
    """The plans this person may see, each a link to its overview (hidden with only one)."""
    plans = visible_plans()
    return html.Details(
        [
            html.Summary("Plans", className="switcher-summary"),
            html.Ul(
                [
                    html.Li(dcc.Link(p.title, href=f"/plans/{p.slug}", className="switcher-link"))
                    for p in plans
                ]
                + [html.Li(dcc.Link("All plans", href="/", className="switcher-link"))],
                className="switcher-list",
            ),
        ],
        id=ids.SWITCHER,
        className="plan-switcher",
        hidden=len(plans) < 2,
    )


def _header(config: Settings) -> html.Header:
    logo = config.logo or "/assets/logo.svg"
    return html.Header(
        dbc.Container(
            [
                html.Div(
                    [
                        html.Img(
                            src=logo, alt="", className="brand-logo", height="40", id=ids.LOGO
                        ),
                        html.Div(
                            [
                                html.Div(config.organisation, className="brand-org", id=ids.ORG),
                                html.Div("Delivery plans", className="brand-title", id=ids.TITLE),
                            ]
                        ),
                    ],
                    className="brand",
                ),
                html.Div([_switcher(), _account()], className="header-tools"),
                html.Nav(
                    [
                        dcc.Link(
                            label,
                            href="/",
                            id={"type": ids.NAV_LINK, "page": path},
                            className="nav-item-link d-none",
                        )
                        for path, label, _ in plan_nav_items()
                    ]
                    + [
                        dcc.Link(label, href=path, className="nav-item-link")
                        for path, label in other_nav_items()
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


def _checks(
    ident: str, options: list[str], legend: str, legend_class: str, **checklist: Any
) -> html.Fieldset:
    """A filter's tick boxes in a fieldset named by its legend (native controls: see below)."""
    return html.Fieldset(
        [
            html.Legend(legend, className=legend_class),
            dbc.Checklist(id=ident, options=options, value=[], **checklist),
        ]
    )


def _filter_box(name: str, child: Any, classes: str) -> html.Div:
    # A bootstrap column that can be hidden (`hidden` is a Div property; dbc.Col has none).
    return html.Div(child, id=ids.FILTER_BOXES[name], className=classes)


def _filters_bar() -> html.Div:
    # Native controls (select, checkboxes, details) rather than dcc.Dropdown: Dash 4's dropdown
    # puts keyboard focus on an aria-hidden element, which screen readers cannot follow.
    # A page shows only the filters it uses (see `filters_used`); the others stay in the page,
    # hidden, so that every callback still finds them.
    return html.Div(
        dbc.Container(
            dbc.Row(
                [
                    _filter_box(
                        "period",
                        [
                            html.Label("As at", htmlFor=ids.PERIOD, className="form-label"),
                            dbc.Select(id=ids.PERIOD, options=[], value=None),
                        ],
                        "col-12 col-md-3",
                    ),
                    _filter_box(
                        "theme",
                        _checks(
                            ids.THEME,
                            [],
                            "Theme",
                            "form-label",
                            inline=True,
                            className="filter-checks",
                        ),
                        "col-12 col-md-4",
                    ),
                    _filter_box(
                        "owner",
                        html.Details(
                            [
                                html.Summary("Owner", className="form-label"),
                                _checks(
                                    ids.OWNER,
                                    [],
                                    "Owners to show",
                                    "visually-hidden",
                                    className="filter-checks owner-checks",
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


def definitions(config: Settings) -> list[html.Div]:
    """The status definitions (RAG) in force, as a description list's items."""
    return [
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


def _footer(config: Settings) -> html.Footer:
    return html.Footer(
        dbc.Container(
            [
                html.H2("Status definitions (RAG) in force", className="h6"),
                html.Dl(definitions(config), className="rag-list", id=ids.DEFINITIONS),
            ],
            fluid="xl",
        ),
        className="site-footer",
    )


def shell() -> html.Div:
    """The page frame around every page: header, filters, the page, the status definitions."""
    config = installation_settings()
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh="callback-nav"),
            _header(config),
            _filters_bar(),
            html.Main(dbc.Container(dash.page_container, fluid="xl"), id="main", tabIndex="-1"),
            _footer(config),
        ]
    )
