"""The partner's page behind an update link (/r/<token>), through Flask's test client: no
account, their workbook, checks naming sheet and cell, a preview of their milestones only,
Submit and a receipt, the policy team's decisions, links that do not work, the rate limit and
the request checks."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta

import openpyxl
import pytest
from builders import edit
from conftest import PASSWORD
from flask.testing import FlaskClient

from socplan.accounts import Accounts
from socplan.config import load_settings
from socplan.demo import load_demo
from socplan.intake.uploads import check_partner_return
from socplan.model import DeliveryPlan
from socplan.periods import Period
from socplan.rounds import Rounds
from socplan.store import Store

Q3 = Period(2020, 3)
OWNER = "Community Safety Partnerships"
NO_LINK = "This link does not work. It may have expired or been replaced"


@dataclass
class Opened:
    app: object
    store: Store
    rounds: Rounds
    found: object
    tokens: dict[str, str]

    def client(self) -> FlaskClient:
        """A browser with no JavaScript: a plain client (forms carry the CSRF field)."""
        return FlaskClient(self.app.server, use_cookies=True)  # type: ignore[attr-defined]

    def link(self, owner: str = OWNER):
        return self.rounds.link(self.found, owner)

    def submissions(self, owner: str = OWNER):
        return self.rounds.submissions([self.link(owner).id])


def open_round(tmp_path, **config) -> Opened:
    from dashboard.app import create_app

    url = f"sqlite:///{tmp_path / 'plan.db'}"
    store = Store(url)
    load_demo(store)
    Accounts(store).add("editor1", "editor", PASSWORD)
    values = {"state_dir": str(tmp_path / "state"), **config}
    app = create_app({"db": url, **values})
    rounds = Rounds(store, load_settings(db=url, **values))
    found, issued = rounds.open(Q3, date.today() + timedelta(days=30), by="officer")
    return Opened(app, store, rounds, found, {item.owner: item.token for item in issued})


@pytest.fixture
def opened(tmp_path) -> Opened:
    return open_round(tmp_path, link_uploads_per_hour=4)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF field"
    return found[1]


def upload(client: FlaskClient, token: str, data: bytes, name: str = "return.xlsx", **headers):
    page = client.get(f"/r/{token}").get_data(as_text=True)
    form = {"csrf": csrf_of(page), "workbook": (io.BytesIO(data), name)}
    return client.post(
        f"/r/{token}", data=form, content_type="multipart/form-data", headers=headers
    )


def submit(client: FlaskClient, token: str, page: str):
    sid = re.search(r'name="submission" value="(\d+)"', page)
    assert sid, "no Submit button"
    return client.post(f"/r/{token}/submit", data={"csrf": csrf_of(page), "submission": sid[1]})


def their_workbook(opened: Opened, owner: str = OWNER) -> bytes:
    return opened.rounds.workbook(opened.link(owner))[1]


def good_return(opened: Opened) -> bytes:
    """Their workbook with a status moved (row 2) and a new expected date (row 3)."""
    return edit(
        their_workbook(opened),
        {"Milestones": {"I2": "At risk", "G3": date(2021, 2, 27), "H3": "Staff shortages"}},
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_page_says_whose_return_it_is_and_when_it_is_due(opened):
    response = opened.client().get(f"/r/{opened.tokens[OWNER]}")
    page = text(response)
    assert response.status_code == 200
    assert f"Return for {OWNER}: Serious and Organised Crime Strategy, 2020/21 Q3" in page
    due = date.today() + timedelta(days=30)
    assert due.strftime("%-d %B %Y") in page and "late" not in page
    assert "5 milestones asked of" in page
    assert "Download your workbook (.xlsx)" in page and 'accept=".xlsx,.ods"' in page
    assert 'lang="en-GB"' in page and 'enctype="multipart/form-data"' in page
    assert "/plans/" not in page and "Sign in" not in page  # nothing of the dashboard


def test_a_late_return_is_marked_late(opened):
    opened.rounds.set_due(opened.found, date.today() - timedelta(days=2), by="officer")
    page = text(opened.client().get(f"/r/{opened.tokens[OWNER]}"))
    assert ">late<" in page


def test_the_workbook_holds_their_milestones_only(opened):
    response = opened.client().get(f"/r/{opened.tokens[OWNER]}/workbook")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Referrer-Policy"] == "strict-origin"
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    refs = {row[0] for row in book["Milestones"].iter_rows(min_row=2, values_only=True) if row[0]}
    owners = {row[3] for row in book["Milestones"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert refs == set(opened.link().refs) and owners == {OWNER}


def test_an_upload_with_errors_names_sheet_and_cell_and_keeps_nothing(opened):
    bad = edit(their_workbook(opened), {"Milestones": {"I2": "Wibble", "F3": None}})
    response = upload(opened.client(), opened.tokens[OWNER], bad, "mine.xlsx")
    page = text(response)
    assert response.status_code == 422
    assert "mine.xlsx has 2 problems to fix" in page
    assert "<strong>Milestones!I2</strong>: &#39;Wibble&#39; is not a status" in page
    assert "<strong>Milestones!F3</strong>: the due date is empty" in page
    assert "Fix them in your workbook and upload it again" in page
    assert 'role="alert"' in page and "<title>Problem: " in page
    assert 'name="submission"' not in page and opened.submissions() == []


def test_a_passing_upload_shows_what_would_change_and_submit(opened):
    response = upload(opened.client(), opened.tokens[OWNER], good_return(opened))
    page = text(response)
    assert response.status_code == 200
    assert "return.xlsx passes its checks" in page
    assert "1 status change, 1 date change" in page
    assert "<caption" in page and "Status changes" in page and "Date changes" in page
    assert "<td>On track</td><td>At risk</td>" in page
    assert "<td>27 Feb 2021</td><td>Staff shortages</td>" in page
    assert "Submit this return" in page
    assert [s.state for s in opened.submissions()] == ["checked"]


def test_submit_gives_a_receipt_and_a_resubmission_supersedes(opened):
    client, token = opened.client(), opened.tokens[OWNER]
    first = good_return(opened)
    response = submit(client, token, text(upload(client, token, first)))
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "Thank you: your return was submitted" in page
    sub = opened.submissions()[0]
    assert sub.state == "submitted"
    assert sub.sha256[:12] in page and "return.xlsx" in page and "16 KB" in page
    assert "you may send a corrected one until they commit it" in page

    second = edit(first, {"Milestones": {"J2": 60}})
    page = text(upload(client, token, second, "corrected.xlsx"))
    assert "Your submitted return" in page and "Submit this return" in page  # both shown
    submit(client, token, page)
    assert [s.state for s in opened.submissions()] == ["submitted", "superseded"]
    assert "corrected.xlsx" in text(client.get(f"/r/{token}"))


def test_a_rejected_return_shows_the_teams_message(opened):
    client, token = opened.client(), opened.tokens[OWNER]
    submit(client, token, text(upload(client, token, good_return(opened))))
    opened.rounds.reject(
        opened.submissions()[0].id, "Please give a reason for <R6.2>'s new status", by="officer"
    )
    page = text(client.get(f"/r/{token}"))
    assert "Your return was sent back" in page
    assert "Please give a reason for &lt;R6.2&gt;&#39;s new status" in page
    assert "Upload your corrected return" in page


def test_after_the_commit_the_page_thanks_them_and_takes_no_more_uploads(opened):
    client, token = opened.client(), opened.tokens[OWNER]
    submit(client, token, text(upload(client, token, good_return(opened))))

    def check(link, period, name, data):
        plan = DeliveryPlan.from_store(opened.store)
        checked = check_partner_return(
            opened.store, plan, link.owner, link.refs, name, data, period
        )
        assert checked.ok
        return checked.outcomes[0][1].parsed.milestones

    opened.rounds.commit([opened.submissions()[0].id], by="officer", check=check)
    page = text(client.get(f"/r/{token}"))
    assert "Your return was committed on" in page and "thank you" in page
    assert 'type="file"' not in page and "Download your workbook" not in page
    csrf = csrf_of(text(client.get("/login")))  # the session's token, from any form
    refused = client.post(
        f"/r/{token}",
        data={"csrf": csrf, "workbook": (io.BytesIO(good_return(opened)), "again.xlsx")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 409 and "committed" in text(refused)
    assert [s.state for s in opened.submissions()] == ["committed"]


def test_the_page_shows_nothing_of_other_owners(opened):
    plan = DeliveryPlan.from_store(opened.store)
    milestones = plan.milestones()
    others = milestones[milestones["owner"] != OWNER]
    client, token = opened.client(), opened.tokens[OWNER]
    pages = [text(client.get(f"/r/{token}"))]
    pages.append(text(upload(client, token, good_return(opened))))
    pages.append(text(client.get(submit(client, token, pages[-1]).headers["Location"])))
    for page in pages:
        for owner in set(plan.owners) - {OWNER}:
            assert owner not in page
        for ref, words in zip(others["ref"], others["milestone"], strict=True):
            assert not re.search(rf"\b{re.escape(ref)}\b", page), ref
            assert words not in page


def test_links_that_do_not_work_get_one_plain_page(opened):
    client = opened.client()
    token = opened.tokens[OWNER]
    expected = text(client.get("/r/not-a-token"))
    assert NO_LINK in expected and OWNER not in expected and ">main" not in expected
    assert "2020/21" not in expected and "due" not in expected.lower()

    def refused(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 404 and text(response) == expected, path

    for path in ("/r/not-a-token", "/r/" + "x" * 5000, "/r/%00%ff", f"/r/{token[:-1]}"):
        refused(path)
        refused(f"{path}/workbook")
    opened.rounds.revoke(opened.found, OWNER, by="officer")
    refused(f"/r/{token}")
    refused(f"/r/{token}/workbook")
    # Expired: every link of the round, the due date long past.
    other = opened.tokens["West Mercia Police"]
    assert client.get(f"/r/{other}").status_code == 200
    opened.rounds.set_due(opened.found, date(2020, 1, 1), by="officer")
    refused(f"/r/{other}")
    page = text(client.get("/login"))
    response = client.post(f"/r/{other}/submit", data={"csrf": csrf_of(page), "submission": "1"})
    assert response.status_code == 404 and text(response) == expected


def test_an_archived_plans_links_do_not_work(opened):
    opened.store.archive_plan("main")
    response = opened.client().get(f"/r/{opened.tokens[OWNER]}")
    assert response.status_code == 404 and NO_LINK in text(response)


def test_uploads_are_limited_per_link(opened):
    client, token = opened.client(), opened.tokens[OWNER]
    bad = edit(their_workbook(opened), {"Milestones": {"I2": "Wibble"}})
    for _ in range(4):  # link_uploads_per_hour
        assert upload(client, token, bad).status_code == 422
    response = upload(client, token, bad)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    assert "wait 60 minutes" in text(response) or "wait 59 minutes" in text(response)
    other = opened.tokens["West Mercia Police"]  # another link is not held back
    assert upload(client, other, bad, "x.xlsx").status_code == 422


def test_state_changes_need_the_csrf_token_and_this_site(opened):
    token = opened.tokens[OWNER]
    stranger = opened.client()
    response = stranger.post(
        f"/r/{token}",
        data={"csrf": "made-up", "workbook": (io.BytesIO(good_return(opened)), "x.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "The form had expired" in text(response)
    response = stranger.post(f"/r/{token}/submit", data={"submission": "1"})
    assert response.status_code == 400
    client = opened.client()
    evil = upload(client, token, good_return(opened), Origin="https://evil.example")
    assert evil.status_code == 403
    assert opened.submissions() == []


@pytest.mark.parametrize(
    "data, words",
    [
        (b"%PDF-1.4 not a workbook at all" * 20, "xlsx"),
        ("bomb", "expand"),
    ],
)
def test_hostile_files_get_a_clear_message_and_nothing_is_kept(opened, data, words):
    if data == "bomb":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
        data = buffer.getvalue()
    response = upload(opened.client(), opened.tokens[OWNER], data, "return.xlsx")
    page = text(response)
    assert response.status_code == 422 and "problem to fix" in page
    assert words in page.lower()
    assert opened.submissions() == []


def test_a_file_over_the_size_limit_is_refused_with_a_page(tmp_path):
    opened = open_round(tmp_path, max_upload_mb=1)
    client, token = opened.client(), opened.tokens[OWNER]
    # Over the viewers' 512 KB body cap and within the upload limit: the checks see it.
    response = upload(client, token, b"junk" * (200 * 1024))
    assert response.status_code == 422 and "problem to fix" in text(response)
    for size in (1024 * 1024 + 10, 3 * 1024 * 1024):  # the view refuses; the body cap refuses
        response = upload(client, token, b"x" * size)
        assert response.status_code == 413
        assert "The file is over the 1 MB limit" in text(response), size
    assert opened.submissions() == []
    page = text(client.get(f"/r/{token}"))
    big = client.post(
        f"/r/{token}/submit",
        data={"csrf": csrf_of(page), "submission": "1", "pad": "x" * (600 * 1024)},
    )
    assert big.status_code == 413  # only the upload takes a large body


def test_someone_signed_in_sees_the_same_partner_page(opened):
    client = opened.client()
    page = text(client.get("/login"))
    client.post("/login", data={"username": "editor1", "password": PASSWORD, "csrf": csrf_of(page)})
    page = text(client.get(f"/r/{opened.tokens[OWNER]}"))
    assert f"Return for {OWNER}" in page and "editor1" not in page and "/plans/" not in page


def test_the_pages_headers_keep_the_token_in(opened):
    client = opened.client()
    for path in (f"/r/{opened.tokens[OWNER]}", "/r/nothing"):
        headers = client.get(path).headers
        assert headers["Referrer-Policy"] == "strict-origin"
        assert headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Robots-Tag"] == "noindex, nofollow"


def test_uploads_and_submissions_are_audited_as_the_partner_without_the_token(opened):
    client, token = opened.client(), opened.tokens[OWNER]
    upload(client, token, edit(their_workbook(opened), {"Milestones": {"I2": "Wibble"}}))
    submit(client, token, text(upload(client, token, good_return(opened))))
    log = Accounts(opened.store).audit_log()
    mine = log[log["username"] == f"partner: {OWNER}"]
    assert {"return-upload-refused", "return-upload", "return-submit"} <= set(mine["action"])
    assert set(mine["plan"]) == {"main"}
    assert not log.apply(lambda row: token in " ".join(map(str, row)), axis=1).any()


def attach(client: FlaskClient, token: str, ref: str, data: bytes, name: str):
    page = client.get(f"/r/{token}").get_data(as_text=True)
    form = {"csrf": csrf_of(page), "milestone": ref, "evidence": (io.BytesIO(data), name)}
    return client.post(f"/r/{token}/evidence", data=form, content_type="multipart/form-data")


def test_a_partner_attaches_evidence_that_joins_the_plan_when_their_return_is_committed(tmp_path):
    from test_attachments import pdf

    from socplan.evidence_store import EvidenceStore

    opened = open_round(tmp_path)  # attachments count against the link's uploads too
    client, token = opened.client(), opened.tokens[OWNER]
    ref = opened.link().refs[0]
    page = text(client.get(f"/r/{token}"))
    assert "Evidence (optional)" in page and f'<option value="{ref}">' in page
    # Another owner's milestone, or a file that is not what it says, is refused; nothing kept.
    other = opened.link("West Mercia Police").refs[0]
    refused = attach(client, token, other, pdf(), "minutes.pdf")
    assert refused.status_code == 422 and "Choose one of your milestones" in text(refused)
    renamed = attach(client, token, ref, b"MZ\x90\x00 a program" * 50, "minutes.pdf")
    assert renamed.status_code == 422 and "minutes.pdf" in text(renamed)
    assert opened.rounds.evidence([opened.link().id]) == []
    kept = attach(client, token, ref, pdf(), "JAG minutes.pdf")
    assert kept.status_code == 303
    page = text(client.get(kept.headers["Location"]))
    assert f"Attached JAG minutes.pdf to {ref}" in page and "Remove" in page
    # One they attached by mistake is removed; another link cannot remove theirs.
    mistake = attach(client, token, ref, pdf(), "wrong.pdf")
    wrong = next(e for e in opened.rounds.evidence([opened.link().id]) if e.name == "wrong.pdf")
    stranger = opened.client()
    strange_page = text(stranger.get(f"/r/{opened.tokens['West Mercia Police']}"))
    taken = stranger.post(
        f"/r/{opened.tokens['West Mercia Police']}/evidence/{wrong.id}/remove",
        data={"csrf": csrf_of(strange_page)},
    )
    assert taken.status_code == 409 and mistake.status_code == 303
    gone = client.post(f"/r/{token}/evidence/{wrong.id}/remove", data={"csrf": csrf_of(page)})
    assert gone.status_code == 303
    assert [e.name for e in opened.rounds.evidence([opened.link().id])] == ["JAG minutes.pdf"]

    submit(client, token, text(upload(client, token, good_return(opened))))

    def check(link, period, name, data):
        plan = DeliveryPlan.from_store(opened.store)
        checked = check_partner_return(
            opened.store, plan, link.owner, link.refs, name, data, period
        )
        return checked.outcomes[0][1].parsed.milestones

    opened.rounds.commit([opened.submissions()[0].id], by="officer", check=check)
    files = EvidenceStore(opened.store.for_plan("main")).list()
    assert [(f.milestone, f.name, f.public, f.added_by) for f in files] == [
        (ref, "JAG minutes.pdf", False, f"partner: {OWNER}")
    ]
    assert files[0].period == Q3
    after = text(client.get(f"/r/{token}"))
    assert "JAG minutes.pdf" in after and "/remove" not in after and 'type="file"' not in after
