"""Browser tests: Playwright driving the system Chromium against a live dashboard, with axe-core."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest
from conftest import P, serious_axe_violations, watched_page
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGES = [
    P,
    f"{P}/recommendations",
    f"{P}/recommendation/R8",
    f"{P}/partners",
    f"{P}/changes",
    "/login",
]


@pytest.fixture(scope="module")
def server(demo_db) -> Iterator[str]:
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    app = create_app({"db": demo_db, "require_sign_in": False})
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
    outside: list[str] = []
    context.route(
        "**/*",
        lambda route: (
            (outside.append(route.request.url), route.abort())
            if not route.request.url.startswith(server)
            and not route.request.url.startswith("data:")
            else route.continue_()
        ),
    )
    with watched_page(context) as page:
        yield page
    context.close()
    assert not outside, f"requests left the machine: {outside}"


def loaded(page) -> None:
    page.wait_for_selector("h1", timeout=20_000)
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_and_passes_axe(page, path):
    page.goto(path)
    loaded(page)
    assert page.locator("html").get_attribute("lang") == "en-GB"
    if path not in (f"{P}/recommendations", "/login"):
        page.wait_for_selector(".js-plotly-plot", timeout=20_000)
    serious = serious_axe_violations(page)
    assert not serious, "\n".join(serious)


@pytest.mark.parametrize("path", [P, f"{P}/recommendation/R8", f"{P}/partners", f"{P}/changes"])
def test_every_chart_is_drawn_by_the_dashboards_own_plotly_js(page, path):
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(urlparse(r.url).path) if "plotly" in r.url else 0)
    page.goto(path)
    loaded(page)
    graphs = page.locator(".socplan-graph")
    expect(graphs.first).to_be_visible()
    for i in range(graphs.count()):  # each chart has its plot area, not an empty box
        expect(graphs.nth(i).locator(".main-svg").first).to_be_attached()
    assert scripts == ["/assets/vendor/plotly.min.js"], scripts


def test_plotly_js_starts_while_the_pages_content_is_on_its_way(page):
    """On a page with charts, plotly.js and Dash's Graph code are asked for with the page's
    first callback rather than once the charts are there, each once; on the grid, which has
    no charts, neither is asked for."""
    events: list[str] = []

    def asked(request) -> None:
        for name in ("plotly", "async-graph"):
            if name in request.url:
                events.append(name)

    page.on("request", asked)
    page.on("response", lambda r: events.append("content") if "update-component" in r.url else 0)
    page.goto(P)
    loaded(page)
    expect(page.locator(".socplan-graph .main-svg").first).to_be_attached()
    assert events.index("plotly") < events.index("content"), events
    assert events.index("async-graph") < events.index("content"), events
    assert events.count("plotly") == 1 and events.count("async-graph") == 1, events
    events.clear()
    page.goto(f"{P}/recommendations")
    loaded(page)
    expect(page.locator(".ag-row").first).to_be_visible()
    assert "content" in events and "plotly" not in events and "async-graph" not in events, events
    events.clear()  # and on to the Overview within the page, as a reader goes
    page.locator(".main-nav").get_by_role("link", name="Overview", exact=True).click()
    expect(page.locator(".socplan-graph .main-svg").first).to_be_attached()
    assert events.index("plotly") < events.index("content"), events
    assert events.count("plotly") == 1, events


def test_filters_live_in_the_url_and_back_works(page):
    page.goto("/")  # one plan: straight to it
    page.wait_for_url(f"**{P}", timeout=10_000)
    loaded(page)
    page.locator("#filter-theme").get_by_label("Pursue").check()
    page.wait_for_url(f"**{P}?theme=Pursue", timeout=10_000)
    # Playwright's expect, not wait_for_function: the page's CSP forbids evaluating strings.
    expect(page.locator("body")).to_contain_text("Pursue")
    expect(page.locator("#_dash-global-error-container .dash-fe-error")).to_have_count(0)
    link = page.locator(".main-nav").get_by_role("link", name="Recommendations", exact=True)
    expect(link).to_have_attribute("href", re.compile(r"theme=Pursue"), timeout=20_000)
    link.click()
    page.wait_for_url("**/recommendations?theme=Pursue", timeout=20_000)
    page.wait_for_selector(".ag-row", timeout=20_000)
    themes = set(page.locator(".ag-cell[col-id='theme']").all_inner_texts())
    assert themes == {"Pursue"}
    page.locator(".ag-row a").first.click()
    page.wait_for_url("**/recommendation/R*", timeout=10_000)
    loaded(page)
    assert "theme=Pursue" in page.url
    assert page.locator("h1").inner_text().startswith("R")
    page.go_back()
    page.wait_for_url("**/recommendations?theme=Pursue", timeout=10_000)
    page.go_back()
    page.wait_for_url(f"**{P}?theme=Pursue", timeout=10_000)
    page.go_back()
    page.wait_for_url(lambda url: urlparse(url).query == "", timeout=10_000)
    expect(page.locator("#filter-theme input[value=Pursue]")).not_to_be_checked(timeout=10_000)


def test_link_reproduces_the_view(page):
    page.goto(f"{P}/partners?period=2020%2F21+Q1&owner=Prisons+and+probation")
    loaded(page)
    assert "Partners as at 30 June 2020 (2020/21 Q1)" in page.locator("h1").inner_text()
    assert page.locator("#filter-owner").get_by_label("Prisons and probation").is_checked()
    assert page.locator("#filter-period").input_value() == "2020/21 Q1"
    assert "no update for 2020/21 Q1" in page.locator("main").inner_text()


def test_keyboard_reaches_navigation_and_focus_is_visible(page):
    page.goto(P)
    loaded(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Partners":
            break
    else:
        pytest.fail("Tab never reached the Partners link")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    page.wait_for_url("**/partners", timeout=10_000)


def test_chart_data_table_one_click_away(page):
    page.goto(P)
    loaded(page)
    details = page.locator("details.chart-data").first
    details.locator("summary").click()
    assert details.locator("table").is_visible()


def test_changes_period_picker_updates_url(page):
    page.goto(f"{P}/changes")
    loaded(page)
    page.locator("#changes-since").select_option("2019/20 Q3")
    page.wait_for_url("**/changes?since=2019%2F20+Q3", timeout=20_000)
    expect(page.locator("h1")).to_contain_text("from 2019/20 Q3", timeout=10_000)


def test_changes_page_is_drawn_once(page):
    """The comparison list reports its value when drawn: that must not put it in the URL, which
    would draw the whole page (its tables and chart) a second time."""
    drawn: list[str] = []
    page.on(
        "request",
        lambda r: (
            drawn.append(r.url)
            if "_dash-update-component" in r.url and "_pages_content" in (r.post_data or "")
            else None
        ),
    )
    page.goto(f"{P}/changes")
    loaded(page)
    expect(page.locator("#changes-since")).to_have_value("2020/21 Q1")
    page.wait_for_load_state("networkidle")
    assert len(drawn) == 1, drawn
    assert "since" not in page.url


def test_usable_at_768_wide_and_prints_without_chrome(page):
    page.set_viewport_size({"width": 768, "height": 1000})
    page.goto(P)
    loaded(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"page is {overflow}px wider than a 768px screen"
    page.emulate_media(media="print")
    assert page.locator(".main-nav").is_hidden() and page.locator(".filters-bar").is_hidden()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_tables_are_drawn_with_their_headers_rows_and_status_badges(page):
    """A table is one Dash component (assets/socplan.js draws it): the markup is still a
    table's, with a header cell per column, a row per line, and statuses as shape and word."""
    page.goto(P)
    loaded(page)
    slipped = page.locator("section", has=page.get_by_role("heading", name=re.compile("Slipped")))
    expected = int(re.search(r"\((\d+)\)", slipped.locator("h3").last.inner_text())[1])
    table = slipped.locator("table").last
    headers = table.locator("thead th[scope=col]")
    assert headers.all_inner_texts()[:3] == ["Ref", "Milestone", "Owner"]
    assert table.locator("tbody tr").count() == expected > 0
    assert table.locator("tbody tr").first.locator("td").count() == headers.count()
    badge = page.locator("td .status-badge").first
    expect(badge.locator(".status-shape[aria-hidden=true]")).to_have_count(1)
    assert badge.inner_text().strip().split(" ", 1)[1] in {"On track", "At risk", "Off track"}
    data = page.locator("details.chart-data").first
    data.locator("summary").click()
    expect(data.locator("table caption")).to_contain_text("Data: ")


@contextmanager
def drawn_alone(browser, component: str, *props: dict) -> Iterator:
    """A blank page holding React and assets/socplan.js, with `component` (one that socplan.js
    draws) rendered once for each of `props`, into the divs #c0, #c1, ... in turn."""
    import dash

    deps = Path(dash.__file__).parent / "deps"
    page = browser.new_page()
    try:
        page.set_content("".join(f"<div id='c{i}'></div>" for i in range(len(props))))
        for script in ("react@18.3.1.min.js", "react-dom@18.3.1.min.js"):
            page.add_script_tag(path=str(deps / script))
        page.add_script_tag(path=str(Path(__file__).parents[1] / "assets" / "socplan.js"))
        page.evaluate(
            """([name, all]) => all.forEach((props, i) => {
                const root = ReactDOM.createRoot(document.getElementById('c' + i));
                ReactDOM.flushSync(() => root.render(React.createElement(window.dashboard[name], props)));
            })""",
            [component, list(props)],
        )
        yield page
    finally:
        page.close()


def test_the_table_component_draws_a_tables_markup(browser):
    """`Table` in assets/socplan.js, given what `dashboard.components.table` sends: a caption,
    a header cell with scope per column, a row per line with each cell's text as text, status
    badges in the status columns, the note on what was left out, and "None" for no rows."""
    from dashboard.components import table

    frame = pd.DataFrame(
        {
            "Ref": ["R1", "R2", "R3"],
            "Status": ["At risk", "", "On track"],
            "Note": ["<b>x</b>", "y", "z"],
        }
    )
    sent = table(frame, caption="Two of three", limit=2).children.to_plotly_json()["props"]
    empty = table(frame.iloc[:0]).children.to_plotly_json()["props"]
    # A cell whose text is one of JavaScript's own property names is not a status.
    odd = {"columns": ["Status"], "rows": [["constructor"]], "status_columns": [0]}
    with drawn_alone(browser, "Table", sent, empty, odd) as page:
        a = page.locator("#c0 table")
        assert a.get_attribute("class") == "table table-sm table-striped align-top socplan-table"
        expect(a.locator("caption")).to_have_text("Two of three")
        assert a.locator("thead th[scope=col]").all_inner_texts() == ["Ref", "Status", "Note"]
        rows = a.locator("tbody tr")
        expect(rows).to_have_count(3)
        assert rows.nth(0).locator("td").all_inner_texts() == ["R1", "▲ At risk", "<b>x</b>"]
        expect(rows.nth(0).locator("td b")).to_have_count(0)  # text, never markup
        badge = rows.nth(0).locator("td .status-badge")
        expect(badge.locator(".status-shape[aria-hidden=true]")).to_have_text("▲")
        assert "--status-colour" in badge.get_attribute("style")
        expect(rows.nth(1).locator(".status-badge")).to_have_count(0)  # a blank status
        note = rows.nth(2).locator("td.fst-italic")
        expect(note).to_have_attribute("colspan", "3")
        expect(note).to_have_text(
            "… and 1 more, not shown here: narrow the filters, or export the data."
        )
        none = page.locator("#c1 tbody td")
        expect(none).to_have_text("None")
        expect(none).to_have_attribute("colspan", "3")
        expect(page.locator("#c2 tbody td")).to_have_text("constructor")
        expect(page.locator("#c2 .status-badge")).to_have_count(0)


def test_the_commentary_component_draws_headed_lists(browser):
    """`Commentary` in assets/socplan.js, given what `dashboard.components.commentary` sends:
    a heading per milestone, a line per period with its date in bold, its status as a badge,
    and its text as text."""
    from dashboard.components import commentary

    sent = commentary(
        [
            (
                "R1.1: Train staff",
                [("2020/21 Q1", "At risk", "<i>late</i>"), ("2020/21 Q2", "Complete", "done")],
            ),
            ("R1.2: Audit", [("2020/21 Q2", "On track", "fine")]),
        ]
    ).to_plotly_json()["props"]
    with drawn_alone(browser, "Commentary", sent) as page:
        assert page.locator("#c0 h3.h6").all_inner_texts() == ["R1.1: Train staff", "R1.2: Audit"]
        lines = page.locator("#c0 ul").first.locator("li")
        expect(lines).to_have_count(2)
        assert lines.nth(0).inner_text() == "2020/21 Q1: ▲ At risk. <i>late</i>"
        expect(lines.nth(0).locator("strong")).to_have_text("2020/21 Q1:")
        shape = lines.nth(0).locator(".status-badge .status-shape[aria-hidden=true]")
        expect(shape).to_have_text("▲")
        expect(page.locator("#c0 i")).to_have_count(0)  # text, never markup


def test_recommendation_commentary_lists_each_update(page):
    page.goto(f"{P}/recommendation/R8")
    loaded(page)
    said = page.locator(
        "section", has=page.get_by_role("heading", name="Commentary period by period")
    )
    expect(said.locator("h3.h6").first).to_contain_text("R8.")
    assert said.locator("li").count() >= said.locator("h3").count() > 0
    expect(said.locator("li .status-badge").first).to_be_visible()
