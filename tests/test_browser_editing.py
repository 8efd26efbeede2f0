"""Browser tests of the quarterly cycle behind sign-in: an editor uploads a workbook saved by
LibreOffice, reads the errors of a broken one, commits and sees the overview change, restores a
revision; a viewer finds no way to upload."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import edit
from conftest import P, serious_axe_violations, watched_page
from playwright.sync_api import expect
from test_libreoffice import libreoffice_resave

from socplan.accounts import Accounts
from socplan.demo import load_demo
from socplan.intake.template import write_template
from socplan.model import DeliveryPlan
from socplan.schema import MILESTONE_FIELDS
from socplan.signoffs import sign_off
from socplan.store import Store

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, Store, Path]]:
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    work = tmp_path_factory.mktemp("editing")
    url = f"sqlite:///{work / 'plan.db'}"
    store = Store(url)
    load_demo(store)
    accounts = Accounts(store)
    accounts.add("editor1", "editor", PASSWORD)
    accounts.add("viewer1", "viewer", PASSWORD)
    app = create_app({"db": url, "state_dir": str(work / "state")})
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}", store, work
    httpd.shutdown()


@pytest.fixture
def page(browser, site):
    base, _, _ = site
    context = browser.new_context(
        base_url=base, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    with watched_page(context) as page:
        page.on("dialog", lambda dialog: dialog.accept())
        yield page
    context.close()


def sign_in(page, username: str) -> None:
    page.goto(f"{P}/upload")
    page.wait_for_url(f"**/login?next={P}/upload")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("h1", timeout=20_000)


def workbook(store: Store, folder: Path, name: str, **changes) -> Path:
    plan = DeliveryPlan.from_store(store)
    buffer = io.BytesIO()
    period = plan.latest.next()
    write_template(buffer, period, plan.recommendations_at(), plan.milestones())
    data = edit(buffer.getvalue(), changes) if changes else buffer.getvalue()
    path = folder / name
    path.write_bytes(data)
    return path


def test_sign_out_button_ends_the_session(page):
    sign_in(page, "viewer1")
    page.get_by_role("button", name="Sign out").click()  # a form POST with its CSRF token
    page.wait_for_url("**/login", timeout=10_000)
    page.goto(f"{P}/partners")
    page.wait_for_url(f"**/login?next={P}/partners", timeout=10_000)


def test_viewer_finds_no_way_to_upload(page):
    sign_in(page, "viewer1")
    assert "Not available" in page.locator("main").inner_text()
    nav = page.locator(".main-nav").inner_text()
    assert "Upload" not in nav and "History" not in nav
    assert "Overview" in nav


def test_editor_sees_the_errors_of_a_broken_workbook(page, site):
    _, store, work = site
    broken = workbook(store, work, "broken.xlsx", Milestones={"I3": "Compelte", "F4": "31/02/2020"})
    sign_in(page, "editor1")
    page.wait_for_selector("#edit-upload")
    page.locator("#edit-upload input[type=file]").set_input_files(str(broken))
    page.wait_for_selector("text=broken.xlsx: cannot be imported", timeout=30_000)
    body = page.locator("main").inner_text()
    assert "Milestones!I3: 'Compelte' is not a status" in body and "Milestones!F4" in body
    assert page.locator("#edit-actions").is_hidden()


def test_editor_uploads_libreoffice_workbook_commits_and_sees_the_overview_change(page, site):
    _, store, work = site
    edited = workbook(
        store,
        work,
        "q3-return.xlsx",
        Milestones={"I2": "Complete", "L2": "15/10/2020", "J2": 100, "K2": "Delivered in October."},
    )
    saved = libreoffice_resave(edited, work / "lo")
    next_period = DeliveryPlan.from_store(store).latest.next()
    sign_in(page, "editor1")
    page.wait_for_selector("#edit-upload")
    page.locator("#edit-upload input[type=file]").set_input_files(str(saved))
    page.wait_for_selector(f"text=Preview: {next_period}", timeout=30_000)
    assert page.locator("#edit-actions").is_visible()
    serious = serious_axe_violations(page)
    assert not serious, serious
    page.get_by_role("button", name="Commit").click()
    page.wait_for_selector("text=Committed.", timeout=30_000)
    page.get_by_role("link", name="Overview").click()
    expect(page.locator("h1")).to_contain_text(str(next_period), timeout=20_000)
    assert store.history().iloc[-1]["file_name"] == "q3-return.xlsx"


def test_editor_restores_a_revision(page, site):
    _, store, _ = site
    before = store.history()
    q2 = before[before["period"] == "2020/21 Q2"]
    sign_in(page, "editor1")
    page.goto(f"{P}/history")
    page.wait_for_selector("h1:has-text('History of imports')")
    row = page.locator("tr", has_text="2020-21-Q2-full.xlsx")
    row.get_by_role("button", name="Restore").click()  # the confirm dialog is accepted
    page.wait_for_selector("text=Restored 2020/21 Q2 revision 1", timeout=20_000)
    after = store.history()
    restored = after[after["period"] == "2020/21 Q2"]
    assert len(restored) == len(q2) + 1 and restored.iloc[-1]["kind"] == "restore"


def test_signed_in_pages_pass_axe_and_show_only_the_filters_they_use(page):
    sign_in(page, "editor1")
    shown = {"/upload": [], "/history": [], "/returns": ["As at"], "": ["As at", "Theme", "Owner"]}
    for path, filters in shown.items():
        page.goto(P + path)
        page.wait_for_selector("h1")
        page.wait_for_load_state("networkidle")
        bar = page.locator(".filters-bar")
        if filters:
            expect(bar).to_be_visible()
            visible = [
                label
                for label in ("As at", "Theme", "Owner")
                if bar.get_by_text(label, exact=True).first.is_visible()
            ]
            assert visible == filters, path
        else:
            expect(bar).to_be_hidden()
        serious = serious_axe_violations(page)
        assert not serious, (path, serious)


def test_html_in_commentary_shows_as_text(page, site):
    _, store, _ = site
    hostile = "<img src=x onerror=window.__xss=1><b>bold</b>"
    plan = DeliveryPlan.from_store(store)
    ms = plan.milestones()
    ms.loc[0, "status"] = "Off track"
    ms.loc[0, "update"] = hostile
    store.commit_import(
        plan.recommendations_at(),
        ms[list(MILESTONE_FIELDS)],
        plan.latest,
        data=b"x",
        file_name="x.xlsx",
        imported_by="t",
    )
    sign_off(store, plan.latest, "lead")  # the panel sees it once signed off
    sign_in(page, "viewer1")
    page.goto(P)
    page.wait_for_selector("text=Off track (")
    assert page.get_by_text(hostile).count() >= 1
    assert page.evaluate("window.__xss") is None
