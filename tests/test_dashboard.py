"""The dashboard in-process: the app factory, every page's layout, callbacks called directly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from builders import basic_milestones, recs
from conftest import P
from dash import no_update

from dashboard import ids
from dashboard.app import create_app, nav_links, sync_filters
from dashboard.filters import Filters
from socplan.periods import Period
from socplan.signoffs import sign_off
from socplan.store import Store


@pytest.fixture
def app(demo_db):
    return create_app({"db": demo_db, "require_sign_in": False})


def text_of(component) -> str:
    """Every string inside a Dash component tree."""
    return json.dumps(
        component.to_plotly_json(),
        default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o),
    )


def render(app, path: str, plan: str = "main", **query):
    """Page `path` (within plan `plan`) as the server renders it for a request about the plan."""
    import dash
    from flask import g

    page = next(
        p
        for p in dash.page_registry.values()
        if p.get("subpath", p["path"]) == path or p.get("path_template") == path
    )
    with app.server.test_request_context(f"/plans/{plan}{path}"):
        g.socplan_plan = plan
        g.require_sign_in = False
        return page["layout"](plan=plan, **query)


def test_health(app):
    response = app.server.test_client().get("/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "plans": 1}


def test_index_has_lang_and_no_cdn(app):
    html = app.server.test_client().get(f"{P}/").get_data(as_text=True)
    assert '<html lang="en-GB">' in html
    assert "cdn." not in html and "unpkg" not in html and "googleapis" not in html
    assert "01_bootstrap.min.css" in html


def test_overview_shows_counts_and_exceptions(app):
    page = text_of(render(app, "/"))
    assert "Overview as at 30 September 2020 (2020/21 Q2)" in page
    assert "Off track (1)" in page and "R4.3" in page
    assert "Show the data as a table" in page


def test_filters_narrow_the_overview(app):
    page = text_of(render(app, "/", theme="Pursue", period="2020/21 Q1"))
    assert "2020/21 Q1" in page
    caption = page.split("Milestones by theme and status as at")[1].split(".")[0]
    assert "Pursue:" in caption and "Prevent" not in caption


def test_recommendations_grid_rows(app):
    page = render(app, "/recommendations", owner="Public health")
    grid = next(c for c in page.children if getattr(c, "id", None) == ids.GRID)
    refs = {row["sort_ref"] for row in grid.rowData}
    assert refs and all(row["ref"] == row["sort_ref"] for row in grid.rowData)  # text, no markup
    assert all(
        row["href"] == f"{P}/recommendation/{row['ref']}?owner=Public+health"
        for row in grid.rowData
    )


def test_recommendation_page(app):
    page = text_of(render(app, "/recommendation/<ref>", ref="R8"))
    assert "R8:" in page and "Status period by period" in page and "Date changes" in page
    assert '"Progress"' in page and '"100%"' in page and "100.0" not in page  # as people write it
    missing = text_of(render(app, "/recommendation/<ref>", ref="R99"))
    assert "Recommendation not found" in missing


def test_partners_lists_missing_updates(app):
    page = text_of(render(app, "/partners", period="2020/21 Q1"))
    assert "Prisons and probation" in page and "no update for 2020/21 Q1" in page


def test_changes_page_compares_periods(app):
    page = text_of(render(app, "/changes", period="2020/21 Q2", since="2019/20 Q3"))
    assert "Changes from 2019/20 Q3 to 2020/21 Q2" in page and "Status moves" in page
    first = text_of(render(app, "/changes", period="2019/20 Q3"))
    assert "nothing to compare with" in first


def test_sync_filters_from_url_and_from_dropdowns():
    periods = ["2020/21 Q2", "2020/21 Q1"]
    out = sync_filters("?period=2020%2F21+Q1&theme=Pursue", None, None, None, periods, ids.URL)
    assert out == (no_update, "2020/21 Q1", ["Pursue"], [])
    out = sync_filters("", "2020/21 Q2", ["Protect"], [], periods, ids.THEME)
    assert out[0] == "?theme=Protect"
    out = sync_filters("?theme=Protect", "2020/21 Q2", ["Protect"], [], periods, ids.THEME)
    assert out == (no_update,) * 4  # nothing changed: no loop
    out = sync_filters("?since=2019%2F20+Q3", "2020/21 Q1", [], [], periods, ids.PERIOD)
    assert out[0] == "?period=2020%2F21+Q1&since=2019%2F20+Q3"


def test_nav_links_carry_filters(app):
    with app.server.test_request_context(f"{P}/partners"):
        from flask import g

        g.socplan_plan, g.require_sign_in = "main", False
        hrefs, labels, shown = nav_links(
            "?theme=Pursue&since=x", f"{P}/partners", ["/", "/partners", "/upload"], P
        )
        assert hrefs == [
            f"{P}?theme=Pursue",
            f"{P}/partners?theme=Pursue",
            f"{P}/upload?theme=Pursue",
        ]
        assert labels[0] == "Overview" and "this page" in text_of(labels[1][1])
        assert shown == ["nav-item-link", "nav-item-link current", "nav-item-link d-none"]
        hrefs, _, shown = nav_links("", "/", ["/", "/partners"], None)  # no plan: none shown
        assert all("d-none" in c for c in shown)


def test_pages_show_only_the_filters_they_use(app):
    """History, Upload and Audit use none of the shared filters, Returns only the period; the
    bar hides the rest (still in the page, so their callbacks keep working)."""
    import dash

    from dashboard.filters import FILTERS, filters_shown, filters_used

    pages = list(dash.page_registry.values())
    expected = {
        P: FILTERS,
        f"{P}/recommendations": FILTERS,
        f"{P}/recommendation/R8": FILTERS,
        f"{P}/partners": FILTERS,
        f"{P}/changes": FILTERS,
        f"{P}/returns": ("period",),
        f"{P}/history": (),
        f"{P}/upload": (),
        "/admin/audit": (),
        "/": (),  # the list of plans
        "/no-such-page": FILTERS,
    }
    for path, used in expected.items():
        assert filters_used(path, pages) == used, path
    assert filters_shown(f"{P}/history") == (True, True, True, True)  # no bar at all
    assert filters_shown(f"{P}/returns") == (False, False, True, True)
    assert filters_shown(P) == (False, False, False, False)
    payload = {
        "output": "..filters-bar.hidden...filter-period-box.hidden...filter-theme-box.hidden..."
        "filter-owner-box.hidden...filter-reset.href..",
        "outputs": [
            {"id": ids.FILTERS_BAR, "property": "hidden"},
            *({"id": box, "property": "hidden"} for box in ids.FILTER_BOXES.values()),
            {"id": ids.RESET, "property": "href"},
        ],
        "inputs": [{"id": ids.URL, "property": "pathname", "value": f"{P}/returns"}],
        "changedPropIds": [f"{ids.URL}.pathname"],
    }
    client = app.server.test_client()
    client.get(f"{P}/returns")  # as a browser does: the page first, which sets the CSRF cookie
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 200, response.get_data(as_text=True)
    hidden = response.get_json()["response"]
    assert hidden[ids.FILTERS_BAR]["hidden"] is False
    assert [hidden[box]["hidden"] for box in ids.FILTER_BOXES.values()] == [False, True, True]
    assert hidden[ids.RESET]["href"] == f"{P}/returns"  # clearing the filters stays on the page
    with app.server.test_request_context("/"):
        shell = text_of(app.layout())
    for component in (
        ids.FILTERS_BAR,
        ids.PERIOD,
        ids.THEME,
        ids.OWNER,
        *ids.FILTER_BOXES.values(),
    ):
        assert f'"{component}"' in shell


def test_filters_round_trip():
    f = Filters("2019/20 Q3", ("Pursue", "Prevent"), ("NHS",))
    assert Filters.from_search(f.search()) == f


def test_callback_endpoint(app):
    payload = {
        "output": "..url.search...filter-period.value...filter-theme.value...filter-owner.value..",
        "outputs": [
            {"id": ids.URL, "property": "search"},
            {"id": ids.PERIOD, "property": "value"},
            {"id": ids.THEME, "property": "value"},
            {"id": ids.OWNER, "property": "value"},
        ],
        "inputs": [
            {"id": ids.URL, "property": "search", "value": ""},
            {"id": ids.PERIOD, "property": "value", "value": "2020/21 Q2"},
            {"id": ids.THEME, "property": "value", "value": ["Pursue"]},
            {"id": ids.OWNER, "property": "value", "value": []},
            {"id": ids.URL, "property": "pathname", "value": P},
        ],
        "changedPropIds": [f"{ids.THEME}.value"],
    }
    client = app.server.test_client()
    client.get(P)  # as a browser does: the page first, which sets the CSRF cookie
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["response"][ids.URL]["search"] == "?theme=Pursue"


def one_quarter(tmp_path):
    """A database holding one import (2019/20 Q3) and an open app on it: (url, app)."""
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    Store(url).commit_import(
        recs(), basic_milestones(), Period(2019, 3), data=b"a", file_name="a", imported_by="x"
    )
    sign_off(Store(url), Period(2019, 3), "lead")
    return url, create_app({"db": url, "require_sign_in": False})


def test_new_import_is_seen_on_next_request(tmp_path):
    url, app = one_quarter(tmp_path)
    assert "2019/20 Q3" in text_of(render(app, "/"))
    Store(url).commit_import(
        recs(), basic_milestones(), Period(2019, 4), data=b"b", file_name="b", imported_by="y"
    )
    assert "2019/20 Q4" not in text_of(render(app, "/"))  # a draft: not for the panel yet
    sign_off(Store(url), Period(2019, 4), "lead")
    assert "2019/20 Q4" in text_of(render(app, "/"))


def test_library_never_imports_dash():
    code = (
        "import sys, socplan.cli, socplan.model, socplan.reporting.figures, socplan.store, socplan.reporting.export, "
        "socplan.intake.template, socplan.intake.importer; assert not any(m == 'dash' or m.startswith(('dash.', 'flask')) "
        "for m in sys.modules), sorted(m for m in sys.modules if m.startswith(('dash', 'flask')))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_page_works_before_the_first_import(tmp_path):
    import dash

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    Store(url).ensure_schema()
    Store(url).add_plan("new", "A new plan")
    app = create_app({"db": url, "require_sign_in": False})
    client = app.server.test_client()
    assert client.get("/").status_code == 302  # one plan: straight to it
    assert client.get("/plans/new").status_code == 200
    for page in dash.page_registry.values():
        subpath = page.get("subpath")
        if subpath is None or "<" in subpath or subpath.startswith(("/upload", "/history")):
            continue
        text = text_of(render(app, subpath, plan="new"))
        assert "There is no plan yet" in text or "Not available" in text, page["path"]
    with app.server.test_request_context("/"):
        from flask import g

        g.require_sign_in = False
        home = next(p for p in dash.page_registry.values() if p["path"] == "/")
        assert "No data yet" in text_of(home["layout"]())


def test_rendered_pages_are_kept_until_the_next_import(tmp_path):
    url, app = one_quarter(tmp_path)
    first = render(app, "/")
    assert render(app, "/") is first  # the same view is not rendered twice
    assert render(app, "/", theme="Pursue") is not first
    Store(url).commit_import(
        recs(), basic_milestones(), Period(2019, 4), data=b"b", file_name="b", imported_by="y"
    )
    assert "2019/20 Q4" not in text_of(render(app, "/"))  # a draft: the panel sees no change...
    sign_off(Store(url), Period(2019, 4), "lead")
    again = render(app, "/")  # ... until it is signed off
    assert again is not first and "2019/20 Q4" in text_of(again)


def test_every_app_gets_the_page_callbacks(tmp_path):
    apps = [
        create_app({"db": f"sqlite:///{tmp_path / f'{i}.db'}", "require_sign_in": False})
        for i in range(2)
    ]
    for app in apps:
        app.server.test_client().get("/")  # Dash gathers its callbacks on the first request
        outputs = " ".join(app.callback_map)
        assert "edit-result.children" in outputs and "admin-user-message.children" in outputs
        assert "recommendations-grid.dashGridOptions" in outputs and "url.search" in outputs


def test_returns_ignores_the_filters_it_hides():
    f = Filters("2020/21 Q1", ("Pursue",), ("NHS",))
    assert f.only(("period",)) == Filters("2020/21 Q1")
    assert f.only(()) == Filters() and f.only(("period", "theme", "owner")) == f


def test_recommendations_grid_keeps_row_virtualisation(app):
    """No auto-height rows or grid (AG Grid would draw every row); heights come from each row's
    estimated lines, so long text is not cut."""
    page = render(app, "/recommendations")
    grid = next(c for c in page.children if getattr(c, "id", None) == ids.GRID)
    assert "domLayout" not in grid.dashGridOptions
    assert not any(c.get("autoHeight") for c in grid.columnDefs)
    assert grid.dashGridOptions["getRowHeight"] == {"function": "rowHeight(params)"}
    long_row = max(grid.rowData, key=lambda r: len(r["text"]))
    assert long_row["lines"] * 40 >= len(long_row["text"])


def test_a_table_sends_its_cells_as_text_and_says_what_it_left_out():
    import pandas as pd

    from dashboard.components import table

    frame = pd.DataFrame(
        {
            "Ref": ["R1", "R2", "R3"],
            "Due": pd.to_datetime(["2024-03-31", None, "2024-06-30"]),
            "Status": ["On track", "", "Off track"],
            "Note": ["=1+1", "<b>x</b>", None],
        }
    )
    props = table(frame, caption="Three", limit=2).children.to_plotly_json()["props"]
    assert props["columns"] == ["Ref", "Due", "Status", "Note"]
    assert props["rows"] == [["R1", "31 Mar 2024", "On track", "=1+1"], ["R2", "", "", "<b>x</b>"]]
    assert props["caption"] == "Three" and props["status_columns"] == [2]
    assert props["badges"] == {"On track": ("●", "#009E73")}
    assert props["note"].startswith("… and 1 more")
    empty = table(frame.iloc[:0]).children.to_plotly_json()["props"]
    assert empty["rows"] == [] and "note" not in empty and "badges" not in empty
