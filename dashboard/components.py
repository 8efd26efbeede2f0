"""Shared pieces of page layout: charts with their text alternative, tables, status badges."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html
from dash.development.base_component import Component

from socplan.periods import Period
from socplan.reporting.charts import Chart, draft_note
from socplan.reporting.figures import style_of

from .context import here, plan_slug


def aria(**values: str) -> dict[str, Any]:
    """ARIA attributes for Dash components: aria(label="x") gives {"aria-label": "x"}."""
    return {f"aria-{key}": value for key, value in values.items()}


GRAPH_CONFIG: Any = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return f"{value:%d %b %Y}"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


class _Drawn(Component):
    """A component drawn by assets/socplan.js from plain props (React escapes every string:
    text stays text). Dash's renderer does a component's worth of work for each component it
    is sent, about a quarter of a millisecond, so what comes in quantity (the cells of a table,
    the lines of a commentary) is sent as one of these rather than as html components."""

    _props: tuple[str, ...] = ()

    def __init__(self, **props: Any) -> None:
        self._prop_names = list(self._props)
        self._valid_wildcard_attributes: list[str] = []
        self.available_properties = list(self._props)
        self.available_wildcard_properties: list[str] = []
        super().__init__(**props)


class _Table(_Drawn):
    """A table: `Table` in assets/socplan.js draws the markup html.Table would have."""

    _children_props: list[str] = []  # noqa: RUF012 (Dash reads them off the class)
    _base_nodes: list[str] = []  # noqa: RUF012
    _namespace = "dashboard"  # the renderer finds it at window.dashboard.Table
    _type = "Table"
    _props = ("columns", "rows", "caption", "badges", "status_columns", "note", "className")


class _Commentary(_Drawn):
    """Headed lists of dated, rated lines: `Commentary` in assets/socplan.js."""

    _children_props: list[str] = []  # noqa: RUF012
    _base_nodes: list[str] = []  # noqa: RUF012
    _namespace = "dashboard"
    _type = "Commentary"
    _props = ("groups", "badges")


def table(
    frame: pd.DataFrame,
    caption: str | None = None,
    *,
    index: bool = False,
    limit: int = 100,
    status_columns: Sequence[str] = ("status", "Status", "from", "to", "From", "To"),
) -> html.Div:
    """An accessible HTML table: a caption, header cells with scope, status as words and badges
    (as `status_badge` draws them)."""
    data = frame.reset_index() if index else frame
    more = len(data) - limit
    data = data.iloc[:limit]
    columns = [str(c) for c in data.columns]
    marked = [i for i, column in enumerate(data.columns) if column in status_columns]
    rows = [[_cell(value) for value in record] for record in data.itertuples(index=False)]
    statuses = {row[i] for row in rows for i in marked if row[i]}
    props: dict[str, Any] = {
        "columns": columns,
        "rows": rows,
        "className": "table table-sm table-striped align-top socplan-table",
    }
    if caption:
        props["caption"] = caption
    if statuses:
        props["status_columns"] = marked
        props["badges"] = {status: _badge_style(status) for status in sorted(statuses)}
    if more > 0:
        props["note"] = (
            f"… and {more} more, not shown here: narrow the filters, or export the data."
        )
    return html.Div(_Table(**props), className="table-responsive")


SHAPES = {  # a status's marker symbol as a character
    "circle": "●",
    "circle-open": "○",
    "triangle-up": "▲",
    "x": "✖",
    "square": "■",
    "diamond-open": "◇",
}


def _badge_style(status: str) -> tuple[str, str]:
    """A status's shape (a character) and colour."""
    style = style_of(status)
    return SHAPES.get(style["symbol"], "★"), style["colour"]


def status_badge(status: str) -> html.Span:
    """A status as a word with its colour and a shape, never colour alone."""
    shape, colour = _badge_style(status)
    return html.Span(
        [html.Span(shape, className="status-shape", **aria(hidden="true")), f" {status}"],
        className="status-badge",
        style={"--status-colour": colour},
    )


def commentary(groups: list[tuple[str, list[tuple[str, str, str]]]]) -> _Commentary:
    """Under each heading, its lines (when, status, text): "2020/21 Q1: ▲ At risk. text", each
    status drawn as `status_badge` draws it."""
    statuses = {status for _, lines in groups for _, status, _ in lines}
    return _Commentary(
        groups=[
            {"heading": heading, "lines": [list(line) for line in lines]}
            for heading, lines in groups
        ],
        badges={status: _badge_style(status) for status in sorted(statuses)},
    )


def chart(item: Chart, search: str = "") -> html.Figure:
    """A chart with its text alternative (a caption with the key figures and its data one click
    away) and download links for report authors."""
    name, query = item.name, search
    if name.startswith("timeline-"):  # a ref may hold any character: it goes in the query
        ref = urlencode({"ref": name.removeprefix("timeline-")})
        name, query = "timeline", f"{search}&{ref}" if search else f"?{ref}"
    downloads = html.Div(
        [html.Span("Download:", className="me-1")]
        + [
            html.A(
                fmt.upper(),
                href=here(f"/export/chart/{name}.{fmt}{query}"),
                download="",
                className="btn btn-outline-secondary btn-sm me-1",
                **aria(label=f"Download {item.title} as {fmt.upper()}"),
            )
            for fmt in ("png", "svg", "pdf", "html")
        ],
        className="chart-downloads small",
    )
    return html.Figure(
        [
            dcc.Graph(
                figure=item.figure,
                config=GRAPH_CONFIG,
                className="socplan-graph",
                id={"type": "chart", "name": item.name},
            ),
            html.Figcaption(item.caption, className="chart-caption"),
            downloads,
            html.Details(
                [
                    html.Summary("Show the data as a table"),
                    table(item.data, caption=f"Data: {item.title}"),
                ],
                className="chart-data",
            ),
        ],
        className="socplan-figure",
        role="group",
        **aria(label=item.title),
    )


def headline(counts: pd.DataFrame) -> dbc.Row:
    """One card per status with its word, shape and number."""
    row = counts.iloc[0]
    cards = [
        dbc.Col(
            html.Div(
                [
                    html.Div(status_badge(status), className="headline-label"),
                    html.Div(str(int(row[status])), className="headline-number"),
                ],
                className="headline-card",
                style={"--status-colour": style_of(status)["colour"]},
            ),
            xs=6,
            md=4,
            lg=2,
        )
        for status in counts.columns
        if status != "Total"
    ]
    return dbc.Row(cards, className="g-2 mb-3")


def section(title: str, *children: Any, level: int = 2) -> html.Section:
    """A titled section."""
    heading = html.H2 if level == 2 else html.H3
    return html.Section([heading(title), *children], className="mb-4")


def note(text: str) -> html.P:
    """A muted explanatory line."""
    return html.P(text, className="text-body-secondary small")


def draft_banner(periods: list[Period]) -> html.Div:
    """The DRAFT banner above a page drawn from periods not signed off (only people who edit
    the plan see drafts; the panel sees the signed-off state)."""
    return html.Div(
        [
            html.Strong("DRAFT", className="me-2"),
            f"{draft_note(periods)}: the panel does not see this yet. "
            "Sign it off on the History page.",
        ],
        className="alert alert-danger draft-banner mt-3",
        role="note",
        **aria(label="Draft"),
    )


def no_plan(title: str) -> html.Div:
    """What every page shows before the first import."""
    return html.Div(
        [
            html.H1(title),
            html.P(
                "There is no plan yet. An editor can upload the first workbook on the Upload page, or an "
                "administrator can load the illustrative sample with `socplan demo`."
            ),
        ]
    )


def changes_sections(changes: dict[str, pd.DataFrame], level: int = 2) -> list[html.Section]:
    """Status moves, new and cancelled milestones and date changes, each as a titled table."""
    from socplan.metrics import labelled

    shown = labelled(changes)
    return [
        section("Status moves", table(shown["moves"]), level=level),
        section("New milestones", table(shown["new"]), level=level),
        section("Cancelled", table(shown["cancelled"]), level=level),
        section("Date changes", table(shown["dates"], status_columns=()), level=level),
    ]


def page_callback(*args: Any, **kwargs: Any) -> Any:
    """Mark a page function as a callback, to be registered by `create_app` on each app.

    Dash's own `dash.callback` registers into a process-wide list that the first app built
    takes for itself, so a second app (tests, several apps in one process) would have none.
    """

    def mark(func: Any) -> Any:
        func.dash_callback = (args, kwargs)
        return func

    return mark


def register_page_callbacks(app: Any, module: Any) -> None:
    """Register every function `page_callback` marked in `module` on `app`."""
    for value in vars(module).values():
        spec = getattr(value, "dash_callback", None)
        if spec is not None and callable(value):
            args, kwargs = spec
            app.callback(*args, **kwargs)(value)


def register(
    module: str, path: str, name: str, layout: Any, *, plan: bool = True, **declared: Any
) -> None:
    """Register a page with Dash Pages. A page of a plan lives under /plans/<plan> (its `path`
    within the plan, e.g. "/recommendations", is kept as `subpath`); `plan=False` for pages about
    no plan. Besides Dash's own, a page may declare `permission` (what the navigation and the
    server ask of a reader; default: view), `filters` (the shared filters it uses; default:
    all) and `charts=True` (it draws charts: socplan.js starts plotly.js early on it); a `path`
    with `<name>` in it is a template."""
    full = f"/plans/<plan>{'' if path == '/' else path}" if plan else path
    where = {"path_template": full} if "<" in full else {"path": full}
    extra = {"subpath": path} if plan else {}

    def within_a_plan(**query: Any) -> Any:
        # Dash renders every page once at its first request, with no path and so no plan:
        # a plan's page has nothing to show then (and never any plan's data).
        if plan_slug() is None:
            return html.Div()
        if query.get("plan") != plan_slug():  # a path Dash's wildcards stretched to fit
            return html.Div([html.H1("No such page"), html.P("Check the address.")])
        return layout(**query)

    dash.register_page(
        module,
        **where,
        name=name,
        title=declared.pop("title", f"{name}: delivery plan"),
        layout=within_a_plan if plan else layout,
        **extra,
        **declared,
    )
