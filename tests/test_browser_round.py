"""A whole returns round in Chromium, as the policy officer and two partners live it: the officer
opens the round on the Returns page and sends the invitations (into the outbox: no mail server);
a partner follows their link, uploads an .ods return with a mistake, sees the cell named, fixes
it and submits; another partner's link shows nothing of the first; the officer commits the
return and the Overview changes; once the links have expired they show nothing at all."""

from __future__ import annotations

import email
import io
import os
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from email import policy
from pathlib import Path

import pandas as pd
import pytest
from builders import ods_edit
from conftest import PASSWORD, P, serious_axe_violations, watched_page
from playwright.sync_api import expect

from socplan.accounts import Accounts
from socplan.config import load_settings
from socplan.contacts import Contacts
from socplan.demo import load_demo
from socplan.model import DeliveryPlan
from socplan.rounds import Rounds
from socplan.store import Store

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SOCPLAN_SCREENSHOTS")  # a folder to keep screenshots in, when set
PARTNER = "Community Safety Partnerships"  # prefers OpenDocument
OTHER = "West Mercia Police"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, Store, Path]]:
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    work = tmp_path_factory.mktemp("round")
    url = f"sqlite:///{work / 'plan.db'}"
    store = Store(url)
    load_demo(store)
    Accounts(store).add("officer", "editor", PASSWORD)
    contacts = Contacts(store)
    contacts.set(PARTNER, [("Pat Partner", "pat@csp.example")], workbook_format="ods", by="t")
    contacts.set(OTHER, [("Olu Other", "olu@wmp.example")], by="t")
    app = create_app({"db": url, "state_dir": str(work / "state")})
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}", store, work / "state"
    httpd.shutdown()


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def _at_rest(page) -> list[str]:
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    return serious_axe_violations(page)


def _overview(page) -> str:
    page.goto(f"{P}/")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Overview", timeout=20_000)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    return heading.inner_text()


def test_a_whole_round(browser, site, tmp_path):
    base, store, state = site
    officer_context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    partner_context = browser.new_context(
        base_url=base, viewport={"width": 820, "height": 1180}, accept_downloads=True
    )
    with watched_page(officer_context) as officer, watched_page(partner_context) as partner:
        # The officer signs in and reads the Overview as it stands.
        officer.goto(f"{P}/returns")
        officer.get_by_label("User name").fill("officer")
        officer.get_by_label("Password").fill(PASSWORD)
        officer.get_by_role("button", name="Sign in").click()
        expect(officer.get_by_role("heading", name="Open a returns round")).to_be_visible(
            timeout=20_000
        )
        before = _overview(officer)
        assert "2020/21 Q2" in before

        # Opens the round for the next quarter, due in three weeks.
        officer.goto(f"{P}/returns")
        expect(officer.get_by_label("Period")).to_have_value("2020/21 Q3", timeout=20_000)
        due = date.today() + timedelta(days=21)
        officer.get_by_label("Due date").fill(due.isoformat())
        officer.get_by_role("button", name="Open round").click()
        expect(officer.get_by_text("Opened the 2020/21 Q3 round")).to_be_visible(timeout=30_000)
        mine = officer.get_by_label(f"{PARTNER} (5 milestones, .ods)").input_value()
        theirs = officer.get_by_label(f"{OTHER} (5 milestones, .xlsx)").input_value()
        _shot(officer, "round-1-opened.png")

        # Sends the invitations: with no mail server they go to the outbox.
        officer.get_by_role("link", name="Show the round").click()
        expect(officer.get_by_role("heading", name="Returns for 2020/21 Q3")).to_be_visible(
            timeout=20_000
        )
        officer.get_by_role("button", name="Send what is due today").click()
        expect(officer.get_by_text(f"{PARTNER}: invitation")).to_be_visible(timeout=30_000)
        states = officer.get_by_role("table", name="Each owner's state in the round")
        expect(states.get_by_role("row", name=PARTNER)).to_contain_text("sent")
        assert not _at_rest(officer)
        _shot(officer, "round-2-sent.png")
        outbox = load_settings(state_dir=str(state)).outbox_path
        invitation = next(outbox.glob(f"*{PARTNER.replace(' ', '-')}-invitation.eml"))
        message = email.message_from_bytes(invitation.read_bytes(), policy=policy.default)
        assert mine in message.get_body(("plain",)).get_content()
        assert message["To"] == "Pat Partner <pat@csp.example>"

        # The partner follows the link from the message.
        partner.goto(mine.replace("http://localhost:8050", base))
        expect(partner.locator("h1")).to_contain_text(f"Return for {PARTNER}")
        with partner.expect_download() as download:
            partner.get_by_role("link", name="Download your workbook (.ods)").click()
        workbook = Path(download.value.path()).read_bytes()
        broken = tmp_path / "csp-return.ods"
        broken.write_bytes(ods_edit(workbook, {"Milestones": {"I2": "Nearly done"}}))
        partner.get_by_label("Your completed workbook").set_input_files(broken)
        partner.get_by_role("button", name="Upload and check").click()
        expect(partner.locator("#result")).to_contain_text("Milestones!I2")
        _shot(partner, "round-3-partner-error.png")
        fixed = tmp_path / "csp-return-fixed.ods"
        fixed.write_bytes(ods_edit(workbook, {"Milestones": {"I2": "At risk"}}))
        partner.get_by_label("Your completed workbook").set_input_files(fixed)
        partner.get_by_role("button", name="Upload and check").click()
        expect(partner.locator("#result")).to_contain_text("passes its checks")
        partner.get_by_role("button", name="Submit this return").click()
        expect(partner.locator("#result")).to_contain_text("your return was submitted")
        assert not serious_axe_violations(partner)
        _shot(partner, "round-4-partner-receipt.png")

        # Another owner's link shows nothing of the first.
        partner.goto(theirs.replace("http://localhost:8050", base))
        expect(partner.locator("h1")).to_contain_text(f"Return for {OTHER}")
        text = partner.locator("body").inner_text()
        plan = DeliveryPlan.from_store(store)
        ms = plan.milestones(plan.latest)
        first = ms[ms["owner"] == PARTNER]
        assert PARTNER not in text and "csp-return" not in text
        assert not any(f" {ref} " in f" {text} " for ref in first["ref"])
        assert not any(name in text for name in first["milestone"])

        # The officer reviews and commits the return; the Overview now shows the quarter.
        officer.goto(f"{P}/returns")
        expect(officer.get_by_role("heading", name="Returns to review")).to_be_visible(
            timeout=20_000
        )
        review = officer.get_by_role("article", name=f"The return from {PARTNER}")
        expect(review).to_contain_text("csp-return-fixed.ods")
        expect(review.get_by_label(f"Commit the return from {PARTNER}")).to_be_checked()
        assert not _at_rest(officer)
        _shot(officer, "round-5-review.png")
        officer.get_by_role("button", name="Commit selected").click()
        expect(officer.get_by_text("Committed.")).to_be_visible(timeout=30_000)
        expect(states.get_by_role("row", name=PARTNER)).to_contain_text("committed")
        after = _overview(officer)
        assert "2020/21 Q3" in after and after != before
        expect(officer.get_by_text("DRAFT").first).to_be_visible()
        _shot(officer, "round-6-overview.png")
        changed = pd.read_excel(io.BytesIO(workbook), "Milestones", engine="calamine")["Ref"][0]
        now = DeliveryPlan.from_store(store).milestones("2020/21 Q3").set_index("ref")
        assert now.loc[changed, "status"] == "At risk" and now.loc[changed, "updated"]

        # The partner's page now thanks them and takes no more uploads.
        partner.goto(mine.replace("http://localhost:8050", base))
        expect(partner.locator("main")).to_contain_text("was committed")
        assert partner.get_by_label("Your completed workbook").count() == 0

    # Once the links have expired, they show nothing at all.
    rounds = Rounds(store, load_settings(state_dir=str(state)))
    rounds.set_due(rounds.get(None), date(2020, 1, 1), by="officer")
    late = browser.new_context(base_url=base)
    with watched_page(late) as page:
        for link in (mine, theirs):
            response = page.goto(link.replace("http://localhost:8050", base))
            assert response is not None and response.status == 404
            text = page.locator("body").inner_text()
            assert "This link does not work" in text
            hidden = (PARTNER, OTHER, "2020/21", "Organised Crime")
            assert not any(word in text for word in hidden), text
    for context in (officer_context, partner_context, late):
        context.close()
