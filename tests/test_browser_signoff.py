"""Browser test of sign-off: an editor sees a draft quarter marked DRAFT (banner and charts); a
viewer sees the quarter as signed off, with no DRAFT anywhere; a lead signs it off on History."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import P, serious_axe_violations, watched_page
from playwright.sync_api import expect
from test_signoff import SECRET, _reopen_and_add

from socplan.accounts import Accounts
from socplan.demo import load_demo
from socplan.signoffs import period_states
from socplan.store import Store

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
SHOTS = os.environ.get("SOCPLAN_SCREENSHOTS")  # a folder to keep screenshots in, when set


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, Store]]:
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    work = tmp_path_factory.mktemp("signoff")
    url = f"sqlite:///{work / 'plan.db'}"
    store = Store(url)
    load_demo(store)
    _reopen_and_add(store)  # 2020/21 Q2 re-opened with a secret, 2020/21 Q3 new: both drafts
    accounts = Accounts(store)
    for name, role in (("editor1", "editor"), ("viewer1", "viewer"), ("lead1", "lead")):
        accounts.add(name, role, PASSWORD)
    app = create_app({"db": url, "state_dir": str(work / "state")})
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}", store
    httpd.shutdown()


def _signed_in(browser, base: str, username: str, path: str = P):
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(path)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("h1", timeout=20_000)
    page.close()
    return context


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / name), full_page=False)


def test_editor_sees_draft_viewer_does_not_and_a_lead_signs_off(browser, site):
    base, store = site
    editor = _signed_in(browser, base, "editor1")
    with watched_page(editor) as page:
        page.goto(P)
        banner = page.locator(".draft-banner")
        expect(banner).to_contain_text("DRAFT", timeout=20_000)
        expect(banner).to_contain_text("2020/21 Q2, 2020/21 Q3 are not signed off")
        page.wait_for_selector(".js-plotly-plot .annotation-text", timeout=20_000)
        marks = page.locator(".js-plotly-plot .annotation-text", has_text="DRAFT")
        assert marks.count() >= 1
        _shot(page, "editor-overview.png")
        assert serious_axe_violations(page) == []
    editor.close()

    viewer = _signed_in(browser, base, "viewer1")
    with watched_page(viewer) as page:
        page.goto(P)
        page.wait_for_selector(".js-plotly-plot", timeout=20_000)
        expect(page.locator("main")).to_contain_text("2020/21 Q2")
        text = page.locator("body").inner_text()
        assert "DRAFT" not in text and SECRET not in text and "2020/21 Q3" not in text
        assert page.locator(".draft-banner").count() == 0
        _shot(page, "viewer-overview.png")
    viewer.close()

    lead = _signed_in(browser, base, "lead1")
    with watched_page(lead) as page:
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(f"{P}/history")
        expect(page.get_by_text("draft (revision 3; the panel sees revision 2)")).to_be_visible(
            timeout=20_000
        )
        _shot(page, "lead-history.png")
        assert serious_axe_violations(page) == []
        page.get_by_role("button", name="Sign off revision 1").click()
        expect(page.get_by_text("Signed off 2020/21 Q3 revision 1")).to_be_visible(timeout=20_000)
    lead.close()
    assert not period_states(store)[-1].draft
