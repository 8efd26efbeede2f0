"""Returns rounds in the library and the CLI: each owner's workbook holds only their milestones,
links are kept as hashes and open only their owner's return until they expire or are revoked,
partners may send only their own milestones, and committing several returns is one
transaction."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from socplan.cli import main
from socplan.config import load_settings
from socplan.contacts import ContactError, Contacts
from socplan.demo import load_demo
from socplan.intake.safety import Limits
from socplan.intake.uploads import check_partner_return
from socplan.model import DeliveryPlan
from socplan.periods import Period
from socplan.rounds import Partner, RoundError, Rounds, resolve
from socplan.store import Store

DUE = date.today() + timedelta(days=20)
ROUND = Period.parse("2020/21 Q3")


@pytest.fixture
def opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The sample plan with the 2020/21 Q3 round open: (store, settings, round, issued)."""
    monkeypatch.setenv("SOCPLAN_STATE_DIR", str(tmp_path / "state"))
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    store = Store(url)
    load_demo(store)
    settings = load_settings(db=url)
    Contacts(store).set(
        "Local authorities", [("Ann Lee", "ann@example.org")], workbook_format="ods", by="t"
    )
    found, issued = Rounds(store, settings).open(ROUND, DUE, by="editor1")
    return store, settings, found, issued


def _sheet(data: bytes, name: str, fmt: str) -> pd.DataFrame:
    return pd.read_excel(io.BytesIO(data), sheet_name=name, engine="calamine")


def test_each_owner_gets_a_workbook_of_only_their_open_milestones(opened):
    store, settings, found, issued = opened
    rounds = Rounds(store, settings)
    plan = DeliveryPlan.from_store(store)
    ms = plan.milestones(plan.latest)
    open_ = ms[~ms["status"].isin(["Complete", "Cancelled"])]
    assert {i.owner for i in issued} == set(open_["owner"])
    for link in rounds.links(found):
        name, data = rounds.workbook(link)
        fmt = "ods" if link.owner == "Local authorities" else "xlsx"
        assert name.endswith(f".{fmt}") and link.workbook_format == fmt
        sheet = _sheet(data, "Milestones", fmt)
        expected = set(open_[open_["owner"] == link.owner]["ref"])
        assert set(sheet["Ref"]) == expected == set(link.refs)
        assert set(sheet["Owner"]) == {link.owner}


def test_links_are_kept_only_as_hashes_and_open_only_their_owner(opened, tmp_path):
    store, _settings, _found, issued = opened
    raw = (tmp_path / "plan.db").read_bytes()
    for item in issued:
        assert item.token.encode() not in raw  # the database holds no token
        access = resolve(Store(store.url), item.token)
        assert access is not None
        assert (access.plan_slug, access.round.period, access.link.owner) == (
            "main",
            ROUND,
            item.owner,
        )
    assert len({i.token for i in issued}) == len(issued)
    assert all(len(i.token) >= 43 for i in issued)  # 256 bits
    for wrong in ("", "x", issued[0].token[:-1], issued[0].token + "A", "A" * 500):
        assert resolve(store, wrong) is None


def test_links_expire_after_the_grace_and_can_be_revoked_and_reissued(opened):
    store, settings, found, issued = opened
    rounds = Rounds(store, settings)
    first = issued[0]
    grace = datetime.combine(DUE, datetime.min.time(), tzinfo=UTC) + timedelta(
        days=1 + settings.link_days_after_due
    )
    assert resolve(store, first.token, now=grace - timedelta(seconds=1)) is not None
    assert resolve(store, first.token, now=grace) is None
    rounds.revoke(found, first.owner, by="editor1")
    assert resolve(store, first.token) is None
    again = rounds.reissue(found, first.owner, by="editor1")
    assert again.token != first.token
    assert resolve(store, first.token) is None
    assert resolve(store, again.token).link.owner == first.owner
    assert rounds.url(rounds.link(found, first.owner)) == again.url


def test_a_new_secret_key_means_links_must_be_reissued(opened):
    store, settings, found, _ = opened
    other = Rounds(store, replace(settings, secret_key="k" * 40))
    with pytest.raises(RoundError, match="re-issue"):
        other.url(other.links(found)[0])


def test_a_round_is_opened_once_and_only_on_a_plan_with_data(opened, tmp_path):
    store, settings, _found, _ = opened
    with pytest.raises(RoundError, match="already open"):
        Rounds(store, settings).open(ROUND, DUE, by="e")
    with pytest.raises(RoundError, match="before the plan's first period"):
        Rounds(store, settings).open(Period.parse("2001/02 Q1"), DUE, by="e")
    empty = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    empty.add_plan("empty", "Empty")
    with pytest.raises(RoundError, match="no data"):
        Rounds(empty.for_plan("empty"), settings).open(ROUND, DUE, by="e")


def _edited(data: bytes, fmt: str, change) -> bytes:
    """The workbook with its Milestones sheet changed by `change(frame)`, written as `fmt`."""
    from socplan.intake.template import write_template

    book = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="calamine")
    from socplan.schema import MS_COLUMNS, REC_COLUMNS

    def frame(sheet: str, columns) -> pd.DataFrame:
        f = book[sheet].rename(columns={c.name: c.key for c in columns})
        return f[[c.key for c in columns]]

    ms = change(frame("Milestones", MS_COLUMNS).copy())
    out = io.BytesIO()
    write_template(out, ROUND, frame("Recommendations", REC_COLUMNS), ms, fmt=fmt)
    return out.getvalue()


def _check(store, settings, link, data, name="return.xlsx"):
    plan = DeliveryPlan.from_store(store)
    return check_partner_return(
        store, plan, link.owner, link.refs, name, data, ROUND, limits=Limits(isolate=False)
    )


def test_a_partner_may_send_only_their_own_milestones(opened):
    store, settings, found, _ = opened
    rounds = Rounds(store, settings)
    mine, other = rounds.links(found)[:2]
    _, data = rounds.workbook(mine)
    plan = DeliveryPlan.from_store(store)
    theirs = plan.milestones(plan.latest)
    stranger = theirs[theirs["owner"] == other.owner].iloc[0]

    def add_other(ms: pd.DataFrame) -> pd.DataFrame:
        row = ms.iloc[0].copy()
        row["ref"], row["owner"] = stranger["ref"], mine.owner
        ms = pd.concat([ms, row.to_frame().T], ignore_index=True)
        ms.loc[0, "owner"] = other.owner
        return ms

    checked = _check(store, settings, mine, _edited(data, "xlsx", add_other))
    errors = [str(p) for p in checked.outcomes[0][1].report.errors]
    last = len(mine.refs) + 2  # the added row, under the header
    assert any(e.startswith(f"Milestones!A{last}:") and stranger["ref"] in e for e in errors), (
        errors
    )
    assert any(e.startswith("Milestones!") and "must stay" in e for e in errors), errors
    assert checked.preview is None
    ok = _check(store, settings, mine, data)
    assert ok.ok and ok.preview is not None
    # The preview compares the partner's own milestones only.
    assert set(ok.preview.no_update["owner"]) <= {mine.owner}


def _submitted(store, settings, found, owner, data):
    access = resolve(store, _token(store, settings, found, owner))
    partner = Partner(access, settings)
    sub = partner.receive("return.xlsx", data, 1)
    return partner.submit(sub.id)


def _token(store, settings, found, owner) -> str:
    rounds = Rounds(store, settings)
    return rounds.token(rounds.link(found, owner))


def test_committing_several_returns_is_one_transaction(opened):
    store, settings, found, _ = opened
    rounds = Rounds(store, settings)
    a, b = rounds.links(found)[:2]
    subs = []
    for link in (a, b):
        _, data = rounds.workbook(link)

        def progress(ms: pd.DataFrame) -> pd.DataFrame:
            ms["update"] = "Updated by the partner"
            ms["rag"] = "On track"
            return ms

        subs.append(_submitted(store, settings, found, link.owner, _edited(data, "xlsx", progress)))
    before = store.version()

    def check(link, period, name, data):
        if link.id == b.id:
            raise ValueError(f"{name} no longer passes its checks")
        return _check(store, settings, link, data).outcomes[0][1].parsed.milestones

    with pytest.raises(ValueError):
        rounds.commit([s.id for s in subs], by="editor1", check=check)
    assert store.version() == before
    assert [s.state for s in rounds.states(found)[:2]] == ["submitted", "submitted"]

    def good(link, period, name, data):
        return _check(store, settings, link, data).outcomes[0][1].parsed.milestones

    revisions = rounds.commit([s.id for s in subs], by="editor1", check=good)
    assert [r.kind for r in revisions] == ["partial", "partial"]
    states = {s.owner: s.state for s in rounds.states(found)}
    assert states[a.owner] == states[b.owner] == "committed"
    plan = DeliveryPlan.from_store(store)
    now = plan.milestones(ROUND)
    theirs = now[now["ref"].isin(a.refs + b.refs)]
    assert set(theirs["update"]) == {"Updated by the partner"} and theirs["updated"].all()
    # Everyone else's milestones were carried forward, not updated.
    assert not now[~now["ref"].isin(a.refs + b.refs)]["updated"].any()
    # A committed return takes no more uploads.
    access = resolve(store, _token(store, settings, found, a.owner))
    with pytest.raises(RoundError, match="committed"):
        Partner(access, settings).receive("again.xlsx", b"x", 1)


def test_recommendation_text_from_a_partner_is_not_taken(opened):
    store, settings, found, _ = opened
    rounds = Rounds(store, settings)
    link = rounds.links(found)[0]
    _name, data = rounds.workbook(link)
    book = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="calamine")
    rec = book["Recommendations"]["Ref"].iloc[0]
    plan = DeliveryPlan.from_store(store)
    text = plan.recommendations_at(plan.latest).set_index("ref")["text"][rec]
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    wb["Recommendations"]["B2"] = "Rewritten by a partner"
    out = io.BytesIO()
    wb.save(out)
    sub = _submitted(store, settings, found, link.owner, out.getvalue())
    rounds.commit(
        [sub.id],
        by="editor1",
        check=lambda lk, p, n, d: _check(store, settings, lk, d).outcomes[0][1].parsed.milestones,
    )
    after = DeliveryPlan.from_store(store).recommendations_at(ROUND).set_index("ref")["text"]
    assert after[rec] == text


def test_rejecting_sends_the_message_back_and_the_partner_may_resubmit(opened):
    store, settings, found, _ = opened
    rounds = Rounds(store, settings)
    link = rounds.links(found)[0]
    _, data = rounds.workbook(link)
    sub = _submitted(store, settings, found, link.owner, data)
    with pytest.raises(RoundError, match="say why"):
        rounds.reject(sub.id, "  ", by="editor1")
    rejected = rounds.reject(sub.id, "Please add the corrective action for R1.1", by="editor1")
    assert rejected.state == "rejected" and "corrective" in rejected.message
    state = next(s for s in rounds.states(found) if s.owner == link.owner)
    assert state.state == "not sent" and "sent back" in state.describe
    with pytest.raises(RoundError, match="not waiting"):
        rounds.reject(sub.id, "again", by="editor1")
    again = _submitted(store, settings, found, link.owner, data)
    assert [p.id for _, p in rounds.pending(found)] == [again.id]


def test_resubmitting_supersedes_the_waiting_return(opened):
    store, settings, found, _ = opened
    rounds = Rounds(store, settings)
    link = rounds.links(found)[0]
    _, data = rounds.workbook(link)
    first = _submitted(store, settings, found, link.owner, data)
    second = _submitted(store, settings, found, link.owner, data)
    states = {s.id: s.state for s in rounds.submissions([link.id])}
    assert states == {first.id: "superseded", second.id: "submitted"}


def test_uploads_through_a_link_are_rate_limited(opened):
    store, settings, _found, issued = opened
    partner = Partner(resolve(store, issued[0].token), replace(settings, link_uploads_per_hour=3))
    for _ in range(3):
        assert partner.upload_wait() == 0
        assert partner.claim_upload() == 0
    wait = partner.upload_wait()
    assert 0 < wait <= 3600 and 0 < partner.claim_upload() <= wait  # refused: nothing counted
    with partner.access.store.engine.connect() as conn:
        from socplan.tables import return_uploads

        assert len(conn.execute(return_uploads.select()).all()) == 3
    assert partner.upload_wait(now=datetime.now(UTC) + timedelta(hours=1, seconds=1)) == 0


def test_lateness_is_judged_by_the_due_date(opened):
    store, settings, found, _ = opened
    rounds = Rounds(store, settings)
    assert {s.state for s in rounds.states(found, DUE)} == {"not sent"}
    late = rounds.states(found, DUE + timedelta(days=1))
    assert {s.state for s in late} == {"late"} and all(s.late for s in late)


def test_contacts_are_checked_and_kept_per_owner(store):
    load_demo(store)
    contacts = Contacts(store)
    with pytest.raises(ContactError, match="contact 2: 'not an address'"):
        contacts.set("Public health", [("A", "a@example.org"), ("B", "not an address")], by="t")
    with pytest.raises(ContactError, match="not a workbook format"):
        contacts.set("Public health", workbook_format="csv", by="t")
    assert contacts.all() == {}  # nothing written by a refused change
    kept = contacts.set(
        "Public health",
        [("Ann", "ann@example.org"), ("", "ANN@example.org")],
        escalation=[("Boss", "boss@example.org")],
        by="t",
    )
    assert [c.email for c in kept.contacts] == ["ann@example.org"]  # one per address
    contacts.set("Public health", workbook_format="ods", by="t")
    got = contacts.get("Public health")
    assert got.workbook_format == "ods" and len(got.contacts) == len(got.escalation) == 1
    from socplan.accounts import Accounts

    log = Accounts(store).audit_log()
    assert not log["detail"].str.contains("@").any()  # counts only: no personal data


def test_round_commands(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("SOCPLAN_STATE_DIR", str(tmp_path / "state"))
    db = f"sqlite:///{tmp_path / 'plan.db'}"
    load_demo(Store(db))
    out = tmp_path / "books"
    result = runner.invoke(
        main,
        [
            "round",
            "open",
            "--period",
            "2020/21 Q3",
            "--due",
            DUE.isoformat(),
            "-o",
            str(out),
            "--db",
            db,
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("/r/") == len(list(out.iterdir())) > 3
    status = runner.invoke(main, ["round", "status", "--db", db])
    assert status.exit_code == 0 and "not sent" in status.output and "/r/" not in status.output
    bad = runner.invoke(
        main, ["round", "open", "--period", "2020/21 Q4", "--due", "31/02/2021", "--db", db]
    )
    assert bad.exit_code == 2 and "--due" in bad.output
    again = runner.invoke(
        main, ["round", "open", "--period", "2020/21 Q3", "--due", "2021-01-31", "--db", db]
    )
    assert again.exit_code == 1 and "already open" in again.output
    none = runner.invoke(main, ["round", "status", "--period", "2019/20 Q1", "--db", db])
    assert none.exit_code == 1 and "no returns round" in none.output
    c = runner.invoke(main, ["contacts", "set", "Public health", "--email", "x@", "--db", db])
    assert c.exit_code == 1 and "contact 1" in c.output


def _with_contacts_sheet(data: bytes, rows: list[list[str]]) -> bytes:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    ws = wb.create_sheet("Contacts")
    for row in [["Owner", "Name", "Email", "Escalation", "Format"], *rows]:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_contacts_sheet_sets_the_owners_it_lists_in_the_import(runner, tmp_path, monkeypatch):
    from socplan.intake.template import write_plan_template

    monkeypatch.setenv("SOCPLAN_STATE_DIR", str(tmp_path / "state"))
    db = f"sqlite:///{tmp_path / 'plan.db'}"
    store = Store(db)
    load_demo(store)
    Contacts(store).set("West Mercia Police", [("Old", "old@example.org")], by="t")
    Contacts(store).set("NHS and clinical commissioning groups", [("K", "k@example.org")], by="t")
    buffer = io.BytesIO()
    write_plan_template(buffer, DeliveryPlan.from_store(store), load_settings(db=db), ROUND)
    bad = _with_contacts_sheet(
        buffer.getvalue(),
        [
            ["West Mercia Police", "Jo Bloggs", "jo@example.org", "No", ""],
            ["West Mercia Police", "Chief", "not-an-address", "Yes", ""],
            ["Public health", "", "ph@example.org", "maybe", "ods"],
        ],
    )
    path = tmp_path / "return.xlsx"
    path.write_bytes(bad)
    before = store.version()
    result = runner.invoke(main, ["import", str(path), "--period", "2020/21 Q3", "--db", db])
    assert result.exit_code == 1, result.output
    assert "Contacts!C3" in result.output and "Contacts!D4" in result.output, result.output
    assert store.version() == before
    assert Contacts(store).get("West Mercia Police").contacts[0].email == "old@example.org"
    good = _with_contacts_sheet(
        buffer.getvalue(),
        [
            ["West Mercia Police", "Jo Bloggs", "jo@example.org", "No", ""],
            ["West Mercia Police", "Chief", "chief@example.org", "Yes", ""],
            ["Public health", "", "ph@example.org", "", "ods"],
        ],
    )
    path.write_bytes(good)
    result = runner.invoke(main, ["import", str(path), "--period", "2020/21 Q3", "--db", db])
    assert result.exit_code == 0, result.output
    kept = Contacts(store).all()
    police = kept["West Mercia Police"]
    assert [c.email for c in police.contacts] == ["jo@example.org"]
    assert [c.email for c in police.escalation] == ["chief@example.org"]
    assert kept["Public health"].workbook_format == "ods"
    # Owners the sheet does not list keep theirs.
    assert kept["NHS and clinical commissioning groups"].contacts[0].email == "k@example.org"
    assert "@" not in result.output  # the import's messages name no one


def test_a_partner_may_not_change_what_the_plan_fixes(opened):
    """Recommendation, wording, Public and the agreed due date are the policy team's: a
    partner's change to any is an error at its cell, and no recommendation of their own counts."""
    store, settings, found, _ = opened
    rounds = Rounds(store, settings)
    link = rounds.links(found)[0]
    _, data = rounds.workbook(link)
    plan = DeliveryPlan.from_store(store)
    other_rec = next(r for r in plan.recommendations_at(plan.latest)["ref"] if r != "R1")

    def meddle(ms: pd.DataFrame) -> pd.DataFrame:
        ms.loc[0, "recommendation"] = other_rec
        ms.loc[1, "milestone"] = "Something easier"
        ms.loc[2, "public"] = "No" if ms.loc[2, "public"] in (True, "Yes") else "Yes"
        ms.loc[3, "due"] = pd.Timestamp("2030-01-01")
        return ms

    checked = _check(store, settings, link, _edited(data, "xlsx", meddle))
    errors = [str(p) for p in checked.outcomes[0][1].report.errors]
    for cell, words in (
        ("Milestones!B2", "recommendation must stay"),
        ("Milestones!C3", "milestone's wording must stay"),
        ("Milestones!M4", "Public flag must stay"),
        ("Milestones!F5", "Forecast"),
    ):
        assert any(e.startswith(cell) and words in e for e in errors), (cell, errors)

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    wb["Recommendations"].append(["R99", "A recommendation of our own", "Pursue", link.owner])
    wb["Milestones"]["B2"] = "R99"
    out = io.BytesIO()
    wb.save(out)
    errors = [
        str(p) for p in _check(store, settings, link, out.getvalue()).outcomes[0][1].report.errors
    ]
    assert any(e.startswith("Milestones!B2") and "R99" in e for e in errors), errors


def test_a_return_sent_back_while_it_is_being_committed_is_not_stored(opened):
    store, settings, found, _ = opened
    rounds = Rounds(store, settings)
    link = rounds.links(found)[0]
    _, data = rounds.workbook(link)
    sub = _submitted(store, settings, found, link.owner, data)
    before = store.version()

    def check_while_another_editor_sends_it_back(lk, period, name, d):
        milestones = _check(store, settings, lk, d).outcomes[0][1].parsed.milestones
        rounds.reject(sub.id, "Please add the corrective action", by="editor2")
        return milestones

    with pytest.raises(RoundError, match="changed while it was being committed"):
        rounds.commit([sub.id], by="editor1", check=check_while_another_editor_sends_it_back)
    assert store.version() == before
    assert rounds.submissions([link.id])[0].state == "rejected"


def test_a_commit_made_against_an_old_preview_is_refused(opened):
    from socplan.store import StalePreview

    store, settings, found, _ = opened
    rounds = Rounds(store, settings)
    link = rounds.links(found)[0]
    _, data = rounds.workbook(link)
    sub = _submitted(store, settings, found, link.owner, data)
    seen = store.version()[1] - 1  # the preview was made before the newest import
    with pytest.raises(StalePreview):
        rounds.commit(
            [sub.id],
            by="editor1",
            check=lambda lk, p, n, d: (
                _check(store, settings, lk, d).outcomes[0][1].parsed.milestones
            ),
            expected_last_import=seen,
        )
    assert rounds.submissions([link.id])[0].state == "submitted"


def test_a_whole_round_on_each_backend(backend_url, tmp_path, monkeypatch):
    """Open, submit, send back, submit again, attach evidence, commit, log mail: on SQLite and
    PostgreSQL alike (times with their zone, dates, bytes, locks)."""
    from test_attachments import pdf

    from socplan.evidence_store import EvidenceStore

    monkeypatch.setenv("SOCPLAN_STATE_DIR", str(tmp_path / "state"))
    store = Store(backend_url)
    load_demo(store)
    settings = load_settings(db=backend_url)
    rounds = Rounds(store, settings)
    found, issued = rounds.open(ROUND, DUE, by="editor1")
    assert rounds.find(ROUND) == found and found.due == DUE
    first = issued[0]
    access = resolve(Store(backend_url), first.token)
    assert access is not None and access.link.owner == first.owner
    assert resolve(store, first.token, now=access.link.expires_at) is None
    partner = Partner(access, settings)
    assert partner.claim_upload() == 0
    _, data = rounds.workbook(access.link)
    sub = partner.submit(partner.receive("r.xlsx", data, 1).id)
    rounds.reject(sub.id, "Add the corrective action", by="editor1")
    again = partner.submit(partner.receive("r2.xlsx", data, 1).id)
    partner.attach(access.link.refs[0], "minutes.pdf", pdf(), max_bytes=10**6)
    rounds.record_mail(access.link, "invitation", date.today(), "sent", 1)
    revisions = rounds.commit(
        [again.id],
        by="editor1",
        check=lambda lk, p, n, d: _check(store, settings, lk, d).outcomes[0][1].parsed.milestones,
    )
    assert len(revisions) == 1
    states = {s.owner: s for s in rounds.states(found)}
    assert states[first.owner].state == "committed" and states[first.owner].mail
    assert [s.state for s in rounds.submissions([access.link.id])] == ["committed", "rejected"]
    assert [f.name for f in EvidenceStore(store.for_plan("main")).list()] == ["minutes.pdf"]
    with pytest.raises(RoundError, match="already open"):
        rounds.open(ROUND, DUE, by="editor2")
