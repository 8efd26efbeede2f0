"""Browser tests of many plans: someone with roles on two plans switches between them and sees
each plan's own overview; a viewer of one plan finds no trace of the other."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from conftest import PASSWORD, serious_axe_violations, watched_page
from playwright.sync_api import expect

from socplan.accounts import Accounts
from socplan.demo import load_demo_plans
from socplan.store import Store

pytestmark = pytest.mark.browser
SOC, HMIC = "soc-strategy", "hmicfrs-inspections"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    work = tmp_path_factory.mktemp("plans-browser")
    url = f"sqlite:///{work / 'plans.db'}"
    store = Store(url)
    load_demo_plans(store)
    accounts = Accounts(store)
    accounts.add("both", "viewer", PASSWORD, plan=SOC)
    accounts.set_role("both", "editor", plan=HMIC)
    accounts.add("socviewer", "viewer", PASSWORD, plan=SOC)
    app = create_app({"db": url, "state_dir": str(work / "state")})
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
    with watched_page(context) as page:
        yield page
    context.close()


def sign_in(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("h1", timeout=20_000)


def test_someone_on_two_plans_switches_between_them(page):
    sign_in(page, "both")
    expect(page.locator("h1")).to_have_text("Delivery plans")  # the home page: both plans
    cards = page.locator(".plan-card")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("As at 2024/25 Q2")
    assert not serious_axe_violations(page)
    page.get_by_role("link", name="Serious and Organised Crime Strategy").click()
    page.wait_for_url(f"**/plans/{SOC}")
    expect(page.locator("h1")).to_contain_text("(2020/21 Q2)", timeout=20_000)
    expect(page.locator("#brand-title")).to_contain_text("Serious and Organised Crime Strategy")
    expect(page.locator("#filter-theme")).to_contain_text("Pursue")
    upload = page.locator(".main-nav").get_by_role("link", name="Upload")
    expect(upload).to_be_hidden()  # a viewer here
    page.locator("#plan-switcher summary").click()
    page.locator("#plan-switcher").get_by_role(
        "link", name="HMICFRS inspection recommendations"
    ).click()
    page.wait_for_url(f"**/plans/{HMIC}")
    expect(page.locator("h1")).to_contain_text("(2024/25 Q2)", timeout=20_000)
    expect(page.locator("#brand-title")).to_contain_text("HMICFRS inspection recommendations")
    expect(page.locator("#filter-theme")).to_contain_text("PEEL 2023-25")
    expect(page.locator("#filter-theme")).not_to_contain_text("Pursue")
    expect(upload).to_be_visible()  # an editor here
    expect(page.locator(".rag-list")).to_contain_text("inspectorate")  # its own definitions
    expect(page.locator("#plan-switcher")).not_to_have_attribute("open", "")  # closed again
    page.get_by_role("link", name="Recommendations", exact=True).click()
    page.wait_for_url(f"**/plans/{HMIC}/recommendations")
    page.wait_for_selector(".ag-row", timeout=20_000)
    assert "PEEL-R1" in page.locator(".ag-row").all_inner_texts().__str__()


def test_a_viewer_of_one_plan_finds_no_trace_of_the_other(page, server):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    sign_in(page, "socviewer")
    page.wait_for_url(f"**/plans/{SOC}")  # straight to their plan
    page.wait_for_selector(".js-plotly-plot", timeout=20_000)
    expect(page.locator("#plan-switcher")).to_be_hidden()
    html = page.content()
    for word in ("HMICFRS", "hmicfrs", "PEEL", "Crime data integrity"):
        assert word not in html, word
    links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    plan_links = [h for h in links if h.startswith("/plans/")]
    assert plan_links and all(h.startswith(f"/plans/{SOC}") for h in plan_links)
    assert not [u for u in requests if HMIC in u]
    response = page.goto(f"/plans/{HMIC}")
    assert response is not None and response.status == 403
    assert "HMICFRS" not in page.content() and "PEEL" not in page.content()
    response = page.goto(f"/plans/{HMIC}/export/data.csv")
    assert response is not None and response.status == 403
