"""`socplan round remind`: invitations, reminders, the due-day message and escalations, sent to
a real SMTP server started here (aiosmtpd) or written to the outbox, each logged once."""

from __future__ import annotations

import email
import io
import re
import shutil
import socket
from collections.abc import Iterator
from datetime import date, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from python_calamine import CalamineWorkbook

from socplan.cli import main
from socplan.config import for_plan, load_settings
from socplan.contacts import Contacts
from socplan.mail_server import scrub
from socplan.mailing import due_kind
from socplan.periods import Period
from socplan.rounds import (
    DUE_TODAY,
    ESCALATION,
    INVITE,
    REMINDER,
    MailRecord,
    Partner,
    Rounds,
    resolve,
)
from socplan.store import Store

SLUG = "soc-strategy"
PERIOD = "2020/21 Q3"
DUE = date(2026, 12, 20)
BASE = "https://returns.example.org"
TEAM = "policy.team@opcc.example.org"
# Owners of the sample plan with open milestones; the others have no contact kept.
LA, PH, WMP = "Local authorities", "Public health", "West Mercia Police"
ESCALATE = "esme.chief@la.example.org"
CONTACTS = {
    LA: [("Lee Able", "lee@la.example.org")],
    PH: [("Pat Health", "pat@ph.example.org"), ("Quinn Ray", "quinn@ph.example.org")],
    WMP: [("", "returns@wmp.example.org")],
}
ADDRESSES = [e for pairs in CONTACTS.values() for _, e in pairs] + [ESCALATE, TEAM]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plan loaded once for the module; each test works on its own copy."""
    from socplan.demo import load_demo

    path = tmp_path_factory.mktemp("mail") / "sample.db"
    store = Store(f"sqlite:///{path}")
    store.ensure_schema()
    store.add_plan(SLUG, "Serious and Organised Crime Strategy")
    load_demo(store.for_plan(SLUG))
    store.engine.dispose()  # closed, so the file holds everything (no write-ahead log beside it)
    return path


@pytest.fixture
def db(sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the sample plan with contacts for three owners and the 2020/21 Q3 round open,
    due DUE; mail settings for the tests in the environment, no mail server."""
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "PLAN", "DB", "CONFIG"):
        monkeypatch.delenv(f"SOCPLAN_{name}", raising=False)
    monkeypatch.setenv("SOCPLAN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SOCPLAN_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("SOCPLAN_BASE_URL", BASE)
    monkeypatch.setenv("SOCPLAN_MAIL_FROM", "Returns <returns@opcc.example.org>")
    monkeypatch.setenv("SOCPLAN_TEAM_EMAIL", TEAM)
    monkeypatch.setenv("SOCPLAN_SMTP_STARTTLS", "false")
    shutil.copy(sample_db, tmp_path / "plan.db")
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    store = Store(url, plan=SLUG)
    contacts = Contacts(store)
    for owner, pairs in CONTACTS.items():
        contacts.set(owner, pairs, by="test")
    contacts.set(LA, escalation=[("Esme Chief", ESCALATE)], workbook_format="ods", by="test")
    rounds_of(url).open(Period.parse(PERIOD), DUE, by="test")
    return url


def rounds_of(db: str) -> Rounds:
    store = Store(db, plan=SLUG)
    return Rounds(store, for_plan(load_settings(), store.current_plan()))


class Collector:
    """An SMTP handler keeping what it is sent; `refuse` answers DATA with that reply instead,
    after `accept` messages have gone through."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        self.refuse = ""
        self.accept = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse and len(self.received) >= self.accept:
            return self.refuse
        self.received.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(raw, policy=policy.default)  # type: ignore[misc]
            for _, raw in self.received
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Collector]:
    """A mail server on this machine, named in the settings."""
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SOCPLAN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SOCPLAN_SMTP_PORT", str(port))
    try:
        yield handler
    finally:
        controller.stop()


def remind(runner: Any, db: str, *args: str) -> Any:
    return runner.invoke(main, ["round", "remind", "--plan", SLUG, "--db", db, *args])


def day(offset: int) -> str:
    """The date `offset` days from the due date, as --as-of takes it."""
    return (DUE + timedelta(days=offset)).isoformat()


def sent_rows(db: str) -> list[MailRecord]:
    rounds = rounds_of(db)
    return rounds.mail([link.id for link in rounds.links(rounds.get(None))])


def owner_of(message: EmailMessage) -> str:
    found = re.search(r"\(([^)]+)\)$", str(message["Subject"]))
    assert found, message["Subject"]
    return found.group(1)


def link_in(message: EmailMessage) -> str:
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found = re.findall(re.escape(BASE) + r"/r/[A-Za-z0-9_-]+", text)
    assert len(found) == 1, text
    return found[0]


def test_invitations_carry_each_owners_workbook_and_link(runner, db, smtp):
    result = remind(runner, db, "--as-of", day(-30))
    assert result.exit_code == 0, result.output + result.stderr
    messages = smtp.messages()
    assert sorted(owner_of(m) for m in messages) == [LA, PH, WMP]
    rounds = rounds_of(db)
    links = {link.owner: link for link in rounds.links(rounds.get(None))}
    for message, (recipients, _) in zip(messages, smtp.received, strict=True):
        owner = owner_of(message)
        assert message["Subject"].startswith("Return due 20 December 2026: Serious and Organised")
        assert message["From"] == "Returns <returns@opcc.example.org>"
        assert message["Message-ID"] and message["Date"]
        assert message["Cc"] is None  # the policy team is copied on escalations only
        assert sorted(recipients) == sorted(e for _, e in CONTACTS[owner])
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert owner in text and PERIOD in text and "20 December 2026" in text
        # The link opens this owner's page and no one else's.
        token = link_in(message).rsplit("/", 1)[1]
        access = resolve(Store(db), token)
        assert access is not None and access.link.owner == owner
        # The attachment is this owner's workbook: their milestones and only theirs.
        (attachment,) = list(message.iter_attachments())
        fmt = "ods" if owner == LA else "xlsx"
        assert attachment.get_filename().endswith(f".{fmt}")
        assert (
            attachment.get_content_type()
            == {
                "ods": "application/vnd.oasis.opendocument.spreadsheet",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }[fmt]
        )
        data = attachment.get_content()
        assert data == rounds.workbook(links[owner])[1]
        rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Milestones")
        table = rows.to_python()
        header = table[0]
        body = [r for r in table[1:] if r[0]]
        assert sorted(r[0] for r in body) == sorted(links[owner].refs)
        assert {r[header.index("Owner")] for r in body} == {owner}
    assert "Community Safety Partnerships: no contact" in result.output
    assert "3 sent, 6 without a contact" in result.output
    # Logged with counts, never addresses; the owners without a contact logged as skipped.
    rows = sent_rows(db)
    assert sorted((r.kind, r.status, r.recipients) for r in rows if r.status == "sent") == [
        (INVITE, "sent", 1),
        (INVITE, "sent", 1),
        (INVITE, "sent", 2),
    ]
    assert sum(r.status == "skipped" for r in rows) == 6
    states = {s.owner: s.state for s in rounds.states(rounds.get(None), DUE - timedelta(30))}
    assert states[LA] == states[PH] == states[WMP] == "sent"
    assert states["Community Safety Partnerships"] == "not sent"
    audit = rounds.store.engine.connect().exec_driver_sql("SELECT detail FROM audit_log").all()
    text = " ".join(str(r[0]) for r in audit) + " ".join(r.detail for r in rows)
    assert "3 sent" in text and not any(a in text for a in ADDRESSES)


def test_nobody_gets_the_same_message_twice_a_day(runner, db, smtp):
    assert remind(runner, db, "--as-of", day(-30)).exit_code == 0
    again = remind(runner, db, "--as-of", day(-30))
    assert again.exit_code == 0, again.output
    assert len(smtp.received) == 3
    assert "3 owners need nothing today" in again.output
    assert remind(runner, db, "--as-of", day(-20)).exit_code == 0  # invited already
    assert len(smtp.received) == 3


def test_reminder_due_day_and_escalation(runner, db, smtp):
    schedule = [(-30, INVITE), (-8, None), (-7, REMINDER), (-6, None), (-1, None)]
    schedule += [(0, DUE_TODAY), (0, None), (1, ESCALATION), (3, None), (8, ESCALATION)]
    for offset, kind in schedule:
        before = len(smtp.received)
        result = remind(runner, db, "--as-of", day(offset))
        assert result.exit_code == 0, result.output + result.stderr
        new = smtp.messages()[before:]
        assert len(new) == (3 if kind else 0), (offset, result.output)
        if kind is None:
            continue
        today = DUE + timedelta(days=offset)
        kinds = {r.kind for r in sent_rows(db) if r.day == today and r.status == "sent"}
        assert kinds == {kind}
        for message in new:
            subject = str(message["Subject"])
            text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            if kind == REMINDER:
                assert subject.startswith("Reminder: return due 20 December 2026")
                assert "due in 7 days" in text
            elif kind == DUE_TODAY:
                assert subject.startswith("Return due today, 20 December 2026")
            elif kind == ESCALATION:
                assert subject.startswith("Late return, due 20 December 2026")
                assert f"{offset} day" in text and "late" in text
                cc = str(message["Cc"])
                assert TEAM in cc
                assert (ESCALATE in cc) == (owner_of(message) == LA)
            link_in(message)
            assert len(list(message.iter_attachments())) == 1
    escalations = [rcpts for rcpts, _ in smtp.received[-3:]]
    assert any(ESCALATE in r and TEAM in r for r in escalations)  # the Cc is delivered too
    rounds = rounds_of(db)
    assert {s.state for s in rounds.states(rounds.get(None), DUE + timedelta(8))} == {"late"}


def test_an_owner_who_submitted_gets_nothing(runner, db, smtp):
    assert remind(runner, db, "--as-of", day(-30)).exit_code == 0
    rounds = rounds_of(db)
    link = rounds.link(rounds.get(None), PH)
    access = resolve(rounds.store, rounds.url(link).rsplit("/", 1)[1])
    assert access is not None
    partner = Partner(access, rounds.settings)
    name, data = rounds.workbook(link)
    partner.submit(partner.receive(name, data, len(link.refs)).id)
    before = len(smtp.received)
    result = remind(runner, db, "--as-of", day(-7))
    assert result.exit_code == 0
    assert sorted(owner_of(m) for m in smtp.messages()[before:]) == [LA, WMP]
    assert "1 have returned" in result.output
    remind(runner, db, "--as-of", day(2))
    assert PH not in {owner_of(m) for m in smtp.messages()[before:]}


def test_a_refusing_server_marks_nothing_sent_and_the_next_run_sends(runner, db, smtp):
    smtp.refuse = "451 4.3.0 try later"
    result = remind(runner, db, "--as-of", day(-30))
    assert result.exit_code == 1
    assert "451" in result.output and "try later" in result.output
    assert "3 messages were not sent" in result.stderr
    rows = sent_rows(db)
    assert not [r for r in rows if r.status in ("sent", "outbox")]
    assert sum(r.status == "failed" for r in rows) == 3
    assert all(not any(a in r.detail for a in ADDRESSES) for r in rows)
    rounds = rounds_of(db)
    states = {s.owner: s.state for s in rounds.states(rounds.get(None), DUE - timedelta(30))}
    assert states[LA] == states[PH] == states[WMP] == "not sent"
    smtp.refuse = ""
    retried = remind(runner, db, "--as-of", day(-30))
    assert retried.exit_code == 0, retried.output + retried.stderr
    assert sorted(owner_of(m) for m in smtp.messages()) == [LA, PH, WMP]


def test_a_message_accepted_before_a_failure_stays_sent(runner, db, smtp):
    smtp.refuse, smtp.accept = "554 5.7.1 rejected", 1
    result = remind(runner, db, "--as-of", day(-30))
    assert result.exit_code == 1
    assert len(smtp.received) == 1
    first = owner_of(smtp.messages()[0])
    assert sum(r.status == "sent" for r in sent_rows(db)) == 1
    smtp.refuse = ""
    assert remind(runner, db, "--as-of", day(-30)).exit_code == 0
    owners = [owner_of(m) for m in smtp.messages()]
    assert sorted(owners) == [LA, PH, WMP] and owners.count(first) == 1


def test_a_server_that_is_down_stops_the_run(runner, db, monkeypatch):
    monkeypatch.setenv("SOCPLAN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SOCPLAN_SMTP_PORT", str(free_port()))  # nothing listens there
    result = remind(runner, db, "--as-of", day(-30))
    assert result.exit_code == 1
    assert "could not be reached" in result.stderr and "next run" in result.stderr
    rows = sent_rows(db)
    assert sum(r.status == "failed" for r in rows) == 3 and not any(
        r.status == "sent" for r in rows
    )
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        monkeypatch.setenv("SOCPLAN_SMTP_PORT", str(controller.port))
        assert remind(runner, db, "--as-of", day(-30)).exit_code == 0
    finally:
        controller.stop()
    assert sorted(owner_of(m) for m in handler.messages()) == [LA, PH, WMP]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login(runner, db, monkeypatch):
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        good = isinstance(data, LoginPassword) and data == (b"mailer", b"s3cret pass")
        return AuthResult(success=good, handled=False)  # handled=False: aiosmtpd answers 535

    handler = Collector()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=check,
        auth_required=True,
        auth_require_tls=False,  # no TLS in tests; never so in production
    )
    controller.start()
    try:
        monkeypatch.setenv("SOCPLAN_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SOCPLAN_SMTP_PORT", str(controller.port))
        monkeypatch.setenv("SOCPLAN_SMTP_USER", "mailer")
        monkeypatch.setenv("SOCPLAN_SMTP_PASSWORD", "wrong")
        refused = remind(runner, db, "--as-of", day(-30))
        assert refused.exit_code == 1 and "refused the login" in refused.stderr
        assert "wrong" not in refused.output + refused.stderr
        monkeypatch.setenv("SOCPLAN_SMTP_PASSWORD", "s3cret pass")
        assert remind(runner, db, "--as-of", day(-30)).exit_code == 0
    finally:
        controller.stop()
    assert len(handler.received) == 3


def test_outbox_without_a_mail_server(runner, db, tmp_path):
    result = remind(runner, db, "--as-of", day(-7))
    assert result.exit_code == 0, result.output + result.stderr
    outbox = tmp_path / "outbox"
    assert f"Wrote 3 messages to {outbox}" in result.output
    assert "set SOCPLAN_SMTP_HOST" in result.output
    files = sorted(p.name for p in outbox.iterdir())
    assert files == [
        f"20261213-{SLUG}-2020-21-Q3-Local-authorities-invitation.eml",
        f"20261213-{SLUG}-2020-21-Q3-Public-health-invitation.eml",
        f"20261213-{SLUG}-2020-21-Q3-West-Mercia-Police-invitation.eml",
    ]
    for name in files:
        path = outbox / name
        assert path.stat().st_mode & 0o077 == 0  # addresses and a working link: private
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        assert owner_of(message) in name.replace("-", " ")
        assert link_in(message).startswith(BASE + "/r/")
        assert len(list(message.iter_attachments())) == 1
    rows = sent_rows(db)
    assert sorted(r.status for r in rows if r.status != "skipped") == ["outbox"] * 3
    again = remind(runner, db, "--as-of", day(-7))
    assert again.exit_code == 0 and "Wrote" not in again.output
    assert len(list(outbox.iterdir())) == 3


def test_dry_run_sends_writes_and_logs_nothing(runner, db, smtp, tmp_path):
    result = remind(runner, db, "--as-of", day(1), "--dry-run")
    assert result.exit_code == 0, result.output + result.stderr
    assert f"{LA}: would send the escalation to Lee Able <lee@la.example.org>" in result.output
    assert ESCALATE in result.output and TEAM in result.output
    assert "3 to send" in result.output
    assert smtp.received == []
    assert sent_rows(db) == []
    assert not (tmp_path / "outbox").exists()
    rounds = rounds_of(db)
    assert {s.state for s in rounds.states(rounds.get(None), DUE)} == {"not sent"}


def test_one_run_at_a_time(runner, db, smtp, tmp_path):
    import fcntl

    (tmp_path / "state").mkdir(exist_ok=True)
    with (tmp_path / "state" / f"remind-{SLUG}.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        busy = remind(runner, db, "--as-of", day(-30))
        assert busy.exit_code == 1 and "another run" in busy.stderr
        assert remind(runner, db, "--as-of", day(-30), "--dry-run").exit_code == 0
    assert smtp.received == [] and sent_rows(db) == []
    assert remind(runner, db, "--as-of", day(-30)).exit_code == 0
    assert len(smtp.received) == 3


def test_as_of_and_period_are_checked(runner, db):
    assert remind(runner, db, "--as-of", "next tuesday").exit_code == 2
    missing = remind(runner, db, "--period", "2019/20 Q1")
    assert missing.exit_code == 1 and "socplan round open" in missing.stderr


def test_due_kind_schedule():
    def mail(*sent: tuple[str, int]) -> list[MailRecord]:
        return [
            MailRecord(1, kind, DUE + timedelta(days=d), None, "sent", 1, "")  # type: ignore[arg-type]
            for kind, d in sent
        ]

    def kind(offset: int, *sent: tuple[str, int]) -> str | None:
        return due_kind(
            DUE,
            DUE + timedelta(days=offset),
            mail(*sent),
            reminder_days=7,
            escalate_every_days=7,
        )

    assert kind(-30) == INVITE
    assert kind(-29, (INVITE, -30)) is None
    assert kind(-3) == INVITE  # opened late: the invitation stands for the reminder
    assert kind(-2, (INVITE, -3)) is None
    assert kind(-5, (INVITE, -30)) == REMINDER  # the reminder day was missed: sent late
    assert kind(-4, (INVITE, -30), (REMINDER, -5)) is None
    assert kind(0, (INVITE, -30), (REMINDER, -7)) == DUE_TODAY
    assert kind(0) == DUE_TODAY
    assert kind(0, (INVITE, 0)) is None  # one message a day
    assert kind(4) == ESCALATION
    assert kind(10, (ESCALATION, 4)) is None
    assert kind(11, (ESCALATION, 4)) == ESCALATION
    # The due date moved later: what was sent for the old date does not count for the new one.
    assert kind(0, (DUE_TODAY, -14), (ESCALATION, -13)) == DUE_TODAY
    failed = [MailRecord(1, INVITE, DUE, None, "failed", 0, "")]  # type: ignore[arg-type]
    assert due_kind(DUE, DUE, failed, reminder_days=7, escalate_every_days=7) == DUE_TODAY


def test_scrub_keeps_addresses_out_of_logs():
    text = scrub("550 5.1.1 <lee@la.example.org>: Recipient address rejected")
    assert "lee@" not in text and "<address>" in text and "550" in text


def test_one_owner_whose_message_cannot_be_made_does_not_stop_the_others(
    runner, db, smtp, monkeypatch
):
    import socplan.mailing as mailing

    made = mailing._compose

    def compose(rounds, settings, found, job, as_of):
        if job.state.owner == PH:
            raise ValueError("Header values may not contain linefeed or carriage return")
        return made(rounds, settings, found, job, as_of)

    monkeypatch.setattr(mailing, "_compose", compose)
    result = remind(runner, db, "--as-of", day(-30))
    assert result.exit_code == 1
    assert sorted(owner_of(m) for m in smtp.messages()) == [LA, WMP]
    failed = [r for r in sent_rows(db) if r.status == "failed"]
    assert len(failed) == 1 and "could not be made" in failed[0].detail


def test_addresses_outside_ascii_are_refused_when_kept():
    from socplan.contact_rules import ContactError, check_email

    with pytest.raises(ContactError, match="plain ASCII"):
        check_email("zoë@bücher.example", "contact 1")
    assert check_email(" zoe@buecher.example ") == "zoe@buecher.example"


def test_remind_chases_every_round_whose_links_still_work(runner, db, smtp):
    """Opening the next quarter's round does not stop the escalations of the last one."""
    rounds = rounds_of(db)
    rounds.open(Period.parse(PERIOD).next(), DUE + timedelta(days=90), by="test")
    result = remind(runner, db, "--as-of", day(3))  # the first round's owners are late
    assert result.exit_code == 0, result.output + result.stderr
    subjects = [str(m["Subject"]) for m in smtp.messages()]
    assert sum(s.startswith("Late return") for s in subjects) == 3  # the first round's
    assert sum(s.startswith("Return due") for s in subjects) == 3  # the new round's invitations
    only = remind(runner, db, "--as-of", day(4), "--period", PERIOD)
    assert only.exit_code == 0 and str(Period.parse(PERIOD).next()) not in only.output
