"""Browser tests of a returns round behind sign-in: an editor opens a round from the Returns
page and sees each owner's state, then keeps an owner's contacts on the Contacts page; both
pages pass axe at each step."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from conftest import PASSWORD, P, serious_axe_violations, watched_page
from playwright.sync_api import expect

from socplan.accounts import Accounts
from socplan.contacts import Contacts
from socplan.demo import load_demo
from socplan.store import Store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, Store]]:
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    work = tmp_path_factory.mktemp("returns")
    url = f"sqlite:///{work / 'plan.db'}"
    store = Store(url)
    load_demo(store)
    Accounts(store).add("editor1", "editor", PASSWORD)
    app = create_app({"db": url, "state_dir": str(work / "state")})
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}", store
    httpd.shutdown()


@pytest.fixture
def page(browser, site):
    base, _ = site
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    with watched_page(context) as page:
        yield page
    context.close()


def sign_in(page, path: str) -> None:
    page.goto(path)
    page.wait_for_url(f"**/login?next={path}")
    page.get_by_label("User name").fill("editor1")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("h1", timeout=20_000)


def axe_clean(page) -> None:
    page.mouse.move(0, 0)  # judged at rest: no hover or transition on the button just pressed
    page.wait_for_timeout(300)
    serious = serious_axe_violations(page)
    assert not serious, serious


def test_an_editor_opens_a_round_and_keeps_contacts(page, site):
    _, store = site
    sign_in(page, f"{P}/returns")
    expect(page.get_by_role("heading", name="Open a returns round")).to_be_visible()
    expect(page.get_by_label("Period")).to_have_value("2020/21 Q3")
    axe_clean(page)

    page.get_by_role("button", name="Open round").click()
    opened = page.get_by_text("Opened the 2020/21 Q3 round")
    expect(opened).to_be_visible(timeout=30_000)
    link = page.get_by_label("West Mercia Police (5 milestones, .xlsx)")
    url = link.input_value()
    assert "/r/" in url
    axe_clean(page)

    page.get_by_role("link", name="Show the round").click()
    expect(page.get_by_role("heading", name="Returns for 2020/21 Q3")).to_be_visible(timeout=20_000)
    states = page.get_by_role("table", name="Each owner's state in the round")
    expect(states.get_by_role("row", name="West Mercia Police")).to_contain_text("not sent")
    expect(page.get_by_text("No return is waiting for review.")).to_be_visible()
    assert url not in page.content()  # each link is shown once only
    axe_clean(page)

    page.get_by_role("link", name="Contacts", exact=True).click()
    expect(page.get_by_role("heading", name="Contacts", exact=True)).to_be_visible(timeout=20_000)
    # Choosing the owner fills the form from what is kept (a callback): type after it answers,
    # as a person would, or the answer overwrites what was typed.
    with page.expect_response(
        lambda r: (
            "_dash-update-component" in r.url
            and "edit-contacts-owner" in (r.request.post_data or "")
        )
    ):
        page.get_by_label("Owner").select_option("West Mercia Police")
    page.wait_for_timeout(200)  # the answer drawn into the form
    page.get_by_label("Contacts", exact=True).fill("Jane Smith <jane@wmp.example>\nnot an address")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Contacts, line 2")).to_be_visible(timeout=20_000)
    axe_clean(page)

    page.get_by_label("Contacts", exact=True).fill("Jane Smith <jane@wmp.example>")
    page.get_by_label("Escalation contacts").fill("chief@wmp.example")
    page.get_by_label("OpenDocument (.ods)").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved West Mercia Police")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("table")).to_contain_text("Jane Smith <jane@wmp.example>")
    axe_clean(page)
    kept = Contacts(store.for_plan("main")).get("West Mercia Police")
    assert [c.email for c in kept.contacts] == ["jane@wmp.example"]
    assert kept.workbook_format == "ods"
