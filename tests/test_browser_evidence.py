"""Browser tests of evidence files: an editor attaches a PDF on a recommendation page and it is
listed (a hostile file gets its message); a viewer does not see it until it is marked public."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PASSWORD, P, serious_axe_violations, watched_page
from test_attachments import PE, pdf

from socplan.accounts import Accounts
from socplan.demo import load_demo
from socplan.evidence_store import EvidenceStore
from socplan.store import Store

pytestmark = pytest.mark.browser
PAGE = f"{P}/recommendation/R8"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, Store, Path]]:
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    work = tmp_path_factory.mktemp("evidence")
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


def open_signed_in(page, username: str) -> None:
    page.goto(PAGE)
    page.wait_for_url(f"**/login?next={PAGE}")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("h1:has-text('R8')", timeout=20_000)


def test_an_editor_attaches_a_pdf_and_a_viewer_sees_it_only_once_public(browser, site):
    base, store, work = site
    minutes = work / "JAG minutes.pdf"
    minutes.write_bytes(pdf())
    program = work / "minutes2.pdf"
    program.write_bytes(PE)
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    with watched_page(context) as page:
        open_signed_in(page, "editor1")
        control = page.locator("label", has_text="Attach evidence to R8.1")
        control.locator("input[type=file]").set_input_files(str(program))
        page.wait_for_selector("text=Not attached:", timeout=30_000)
        assert "its content is a Windows program" in page.locator("main").inner_text()
        control.locator("input[type=file]").set_input_files(str(minutes))
        page.wait_for_selector("text=Attached JAG minutes.pdf to R8.1", timeout=30_000)
        link = page.get_by_role("link", name="JAG minutes.pdf")
        assert "/files/evidence/" in (link.get_attribute("href") or "")
        with page.expect_download() as download:
            link.click()
        assert Path(download.value.path()).read_bytes() == pdf()
        page.get_by_role("button", name="Public: JAG minutes.pdf").click()
        page.wait_for_selector("text=JAG minutes.pdf made public.", timeout=20_000)
        page.get_by_role("button", name="Editors only: JAG minutes.pdf").click()
        page.wait_for_selector("text=JAG minutes.pdf made editors-only.", timeout=20_000)
        # The pointer off the button just pressed, and its colour transition (0.15 s) done:
        # axe must judge the page at rest, not a colour halfway between two states.
        page.mouse.move(0, 0)
        page.wait_for_timeout(500)
        assert serious_axe_violations(page) == []
    context.close()
    [stored] = EvidenceStore(store).list()

    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    with watched_page(context) as page:
        open_signed_in(page, "viewer1")
        page.wait_for_selector("text=Date changes")
        body = page.locator("main").inner_text()
        assert "JAG minutes.pdf" not in body and "Attach evidence" not in body
        EvidenceStore(store).set_public(stored.id, True, by="editor1")
        page.reload()
        page.wait_for_selector("text=JAG minutes.pdf", timeout=20_000)
        href = page.get_by_role("link", name="JAG minutes.pdf").get_attribute("href")
        assert href == f"{P}/evidence/{stored.id}"
        assert "Attach evidence" not in page.locator("main").inner_text()
    context.close()
