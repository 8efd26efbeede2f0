"""Browser test of the partner's side of a returns round, on a tablet with JavaScript off: open
the link, download the .ods workbook, upload it with a mistake, see the cell named, fix it, see
what would change, submit, see the receipt; an expired link shows nothing of the plan."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from builders import ods_edit
from conftest import serious_axe_violations, watched_page
from playwright.sync_api import expect

from socplan.config import load_settings
from socplan.contacts import Contacts
from socplan.demo import load_demo
from socplan.periods import Period
from socplan.rounds import Rounds
from socplan.store import Store

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SOCPLAN_SCREENSHOTS")  # a folder to keep screenshots in, when set
OWNER = "Community Safety Partnerships"
OTHER = "West Mercia Police"
TABLET = {"width": 820, "height": 1180}


@dataclass
class Site:
    base: str
    rounds: Rounds
    found: object
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    work = tmp_path_factory.mktemp("partner")
    url = f"sqlite:///{work / 'plan.db'}"
    store = Store(url)
    load_demo(store)
    Contacts(store).set(OWNER, [("A Partner", "a@example.org")], workbook_format="ods", by="t")
    config = {"state_dir": str(work / "state")}
    app = create_app({"db": url, **config})
    rounds = Rounds(store, load_settings(db=url, **config))
    found, issued = rounds.open(Period(2020, 3), date.today() + timedelta(days=21), by="officer")
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield Site(
        f"http://127.0.0.1:{httpd.server_port}",
        rounds,
        found,
        {item.owner: item.token for item in issued},
    )
    httpd.shutdown()


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def _judged(browser, site: Site, path: str, name: str) -> None:
    """axe's verdict on the page at `path` as it stands (GET), with JavaScript on for axe."""
    context = browser.new_context(base_url=site.base, viewport=TABLET)
    with watched_page(context) as page:
        page.goto(path)
        assert serious_axe_violations(page) == [], name
    context.close()


def test_a_partner_downloads_fixes_uploads_and_submits(browser, site, tmp_path):
    token = site.tokens[OWNER]
    context = browser.new_context(
        base_url=site.base, viewport=TABLET, java_script_enabled=False, accept_downloads=True
    )
    with watched_page(context) as page:
        page.goto(f"/r/{token}")
        expect(page.locator("h1")).to_have_text(
            f"Return for {OWNER}: Serious and Organised Crime Strategy, 2020/21 Q3"
        )
        expect(page.locator("main")).to_contain_text("5 milestones asked of")
        _shot(page, "partner-1-opened.png")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download your workbook (.ods)").click()
        assert download.value.suggested_filename.endswith(".ods")
        workbook = Path(download.value.path()).read_bytes()

        broken = tmp_path / "our-return.ods"
        broken.write_bytes(ods_edit(workbook, {"Milestones": {"I2": "Nearly there"}}))
        page.get_by_label("Your completed workbook").set_input_files(broken)
        page.get_by_role("button", name="Upload and check").click()
        result = page.locator("#result")
        expect(result).to_contain_text("our-return.ods has 1 problem to fix")
        expect(result).to_contain_text("Milestones!I2: 'Nearly there' is not a status")
        _shot(page, "partner-2-errors.png")

        fixed = tmp_path / "our-return-fixed.ods"
        fixed.write_bytes(ods_edit(workbook, {"Milestones": {"I2": "At risk"}}))
        page.get_by_label("Your completed workbook").set_input_files(fixed)
        page.get_by_role("button", name="Upload and check").click()
        expect(result).to_contain_text("our-return-fixed.ods passes its checks")
        moves = page.get_by_role("table", name="Status changes")
        expect(moves).to_contain_text("On track")
        expect(moves).to_contain_text("At risk")
        text = page.locator("body").inner_text()
        assert OTHER not in text
        _shot(page, "partner-3-preview.png")

        page.get_by_role("button", name="Submit this return").click()
        receipt = page.locator("#result")
        expect(receipt).to_contain_text("Thank you: your return was submitted")
        expect(receipt).to_contain_text("our-return-fixed.ods")
        expect(receipt).to_contain_text("you may send a corrected one until they commit it")
        _shot(page, "partner-4-receipt.png")
    context.close()
    states = [s.state for s in site.rounds.submissions([site.rounds.link(site.found, OWNER).id])]
    assert states == ["submitted"]
    _judged(browser, site, f"/r/{token}", "the page with a receipt")


def test_the_page_is_accessible_with_problems_shown(browser, site, tmp_path):
    token = site.tokens[OTHER]
    context = browser.new_context(base_url=site.base, viewport=TABLET)
    with watched_page(context) as page:
        page.goto(f"/r/{token}")
        assert serious_axe_violations(page) == []
        with page.expect_download() as download:
            page.get_by_role("link", name="Download your workbook (.xlsx)").click()
        bad = tmp_path / "wmp.ods"
        bad.write_bytes(b"not a workbook")
        page.get_by_label("Your completed workbook").set_input_files(bad)
        page.get_by_role("button", name="Upload and check").click()
        expect(page.locator("#result")).to_contain_text("problem to fix")
        expect(
            page.locator("#result")
        ).to_be_focused()  # read out first (autofocus: applied after load)
        assert serious_axe_violations(page) == []
        assert download.value.suggested_filename.endswith(".xlsx")
    context.close()


def test_an_expired_link_shows_nothing_of_the_plan(browser, site):
    due = site.rounds.get(None).due
    site.rounds.set_due(site.found, date(2020, 1, 1), by="officer")  # every link expires
    context = browser.new_context(base_url=site.base, viewport=TABLET)
    try:
        expired(context, site)
    finally:
        context.close()
        site.rounds.set_due(site.found, due, by="officer")


def expired(context, site: Site) -> None:
    with watched_page(context) as page:
        response = page.goto(f"/r/{site.tokens[OTHER]}")
        assert response is not None and response.status == 404
        expect(page.locator("h1")).to_have_text("This link does not work")
        text = page.locator("body").inner_text()
        assert OTHER not in text and "2020/21" not in text
        expect(page.locator(".brand-title")).to_have_text("Update link")  # not the plan's title
        assert "ask the policy team for a new one" in text
        _shot(page, "partner-5-expired.png")
        assert serious_axe_violations(page) == []
