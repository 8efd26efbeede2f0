"""Mail for a returns round: an invitation when the round opens, a reminder `reminder_days` before
the due date, a message on it, and after it an escalation (copied to the owner's escalation
contacts and the policy team) every `escalate_every_days` days, each to the owner's contacts with
their workbook attached and their update link.

`remind` works out what each owner who has not returned is due (`due_kind`: a pure function of
the due date, the day and the owner's mail log), then sends the messages through the SMTP server
of the settings or, with none configured, writes them to the outbox folder as .eml files. Every
message is logged in `return_mail` with a count of recipients and the server's answer, never an
address. A message is logged "sent" only once the server has accepted it, so one that failed is
tried again on the next run, and nobody gets a second message the same day: safe to run daily.
"""

from __future__ import annotations

import contextlib
import fcntl
import smtplib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from .accounts import write_audit
from .config import Settings
from .contacts import Contacts, OwnerContacts, find_contacts
from .letters import Letter, body, subject
from .mail_server import MailError, answer, connect, reply_text, scrub, write_eml
from .rounds import (
    COMMITTED,
    DELIVERED,
    DUE_TODAY,
    ESCALATION,
    INVITE,
    REMINDER,
    SUBMITTED,
    MailRecord,
    OwnerState,
    Round,
    Rounds,
    owner_slug,
)
from .store import Store

# What became of a message (the first four are logged in return_mail; the rest only reported).
SENT, OUTBOX, FAILED, SKIPPED = "sent", "outbox", "failed", "skipped"
NO_CONTACT, EXPIRED, WOULD_SEND = "no contact", "link expired", "would send"
MIME_TYPES = {
    "xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "ods": ("application", "vnd.oasis.opendocument.spreadsheet"),
}


def due_kind(
    due: date,
    as_of: date,
    mail: Sequence[MailRecord],
    *,
    reminder_days: int,
    escalate_every_days: int,
) -> str | None:
    """The message an owner who has not returned is due on `as_of`, given the messages about
    their link so far (only those delivered count), or None.

    At most one a day. Before the reminder window, the invitation (once). From `reminder_days`
    before the due date, one message in the window: the reminder, or the invitation when none
    went yet, so a round opened late does not send both. On the due date, the due-day message.
    After it, an escalation on the first run, then again each `escalate_every_days` days. A day
    missed (no run) is made up on the next run; days are compared, never counted, so moving the
    due date moves the schedule.
    """
    delivered = [m for m in mail if m.status in DELIVERED]
    if any(m.day == as_of for m in delivered):
        return None
    if as_of > due:
        escalated = [m.day for m in delivered if m.kind == ESCALATION and m.day > due]
        if escalated and (as_of - max(escalated)).days < escalate_every_days:
            return None
        return ESCALATION
    if as_of == due:
        return None if any(m.kind == DUE_TODAY and m.day == due for m in delivered) else DUE_TODAY
    invited = any(m.kind == INVITE for m in delivered)
    window = due - timedelta(days=reminder_days)
    if as_of >= window:
        if any(window <= m.day <= due for m in delivered):
            return None
        return REMINDER if invited else INVITE
    return None if invited else INVITE


@dataclass(frozen=True)
class Outcome:
    """What a run did for one owner: the kind of message, what became of it, and to whom (the
    addresses are for the editor's screen only, never logged)."""

    owner: str
    kind: str
    status: str
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    detail: str = ""
    path: Path | None = None

    @property
    def recipients(self) -> int:
        return len(self.to) + len(self.cc)

    @property
    def line(self) -> str:
        """One line for the command's output."""
        who = f"{self.recipients} recipient" + ("" if self.recipients == 1 else "s")
        if self.status == SENT:
            return f"{self.owner}: {self.kind} sent to {who}" + (
                f" ({self.detail})" if self.detail else ""
            )
        if self.status == OUTBOX:
            name = self.path.name if self.path else ""
            return f"{self.owner}: {self.kind} for {who} written to {name}"
        if self.status == WOULD_SEND:
            cc = f"; cc {', '.join(self.cc)}" if self.cc else ""
            return f"{self.owner}: would send the {self.kind} to {', '.join(self.to)}{cc}"
        if self.status == FAILED:
            return f"{self.owner}: {self.kind} NOT sent: {self.detail}"
        return f"{self.owner}: {self.status}, so no {self.kind}: {self.detail}"


@dataclass(frozen=True)
class RunResult:
    """What `remind` did, owner by owner, and the counts for its summary."""

    round: Round
    as_of: date
    dry_run: bool
    outcomes: tuple[Outcome, ...] = ()
    quiet: int = 0  # owners who have not returned but are due nothing today
    returned: int = 0  # owners whose return is submitted or committed
    outbox: Path | None = None  # where messages were written, when no server is configured
    problem: str = ""  # why the run stopped early, when it did

    def count(self, status: str) -> int:
        """How many owners' messages ended with `status`."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> int:
        return self.count(FAILED)

    @property
    def summary(self) -> str:
        """'2020/21 Q3 round, due 20 December 2026, as of 13 December 2026: 3 sent, 1 failed; ...'"""
        done = [
            f"{self.count(s)} {words}"
            for s, words in (
                (WOULD_SEND, "to send"),
                (SENT, "sent"),
                (OUTBOX, "written to the outbox"),
                (FAILED, "failed"),
                (NO_CONTACT, "without a contact"),
                (EXPIRED, "with an expired link"),
            )
            if self.count(s)
        ]
        head = (
            f"{self.round.period} round, due {self.round.due.day} {self.round.due:%B %Y}, "
            f"as of {self.as_of.day} {self.as_of:%B %Y}"
        )
        tail = f"{self.quiet} owners need nothing today, {self.returned} have returned"
        return f"{head}: {', '.join(done) or 'no messages'}; {tail}."


@dataclass(frozen=True)
class _Job:
    state: OwnerState
    kind: str
    contacts: OwnerContacts
    to: tuple[str, ...]
    cc: tuple[str, ...]


def remind(
    store: Store,
    settings: Settings,
    found: Round,
    *,
    as_of: date | None = None,
    dry_run: bool = False,
    by: str = "socplan",
) -> RunResult:
    """Send each owner of `found` who has not returned the message they are due on `as_of`
    (today when None; see `due_kind`), through SMTP or into the outbox; with `dry_run`, only
    say what would be sent (nothing is sent, written or logged).

    Owners without contacts are reported (and logged "skipped"), not sent to. A mail server that
    cannot be reached stops the run; one that refuses a message fails that message; either way
    the message is logged "failed" and tried again on the next run. MailError when another run
    for the plan is under way.
    """
    as_of = as_of or date.today()
    rounds = Rounds(store, settings)
    plan = store.current_plan()
    slug = plan.slug if plan is not None else "plan"
    guard = contextlib.nullcontext() if dry_run else _only_run(settings, slug)
    with guard:
        jobs, outcomes, quiet, returned = _plan(rounds, store, settings, found, as_of)
        if dry_run:
            outcomes += [Outcome(j.state.owner, j.kind, WOULD_SEND, j.to, j.cc) for j in jobs]
            outcomes.sort(key=lambda o: o.owner)
            return RunResult(found, as_of, True, tuple(outcomes), quiet, returned)
        for item in outcomes:
            if item.status == NO_CONTACT:
                _log_skipped(rounds, item, found, as_of)
        outbox = None if settings.smtp_host else settings.outbox_path
        sent, problem = _send(rounds, settings, found, slug, as_of, jobs, outbox)
        outcomes = sorted(outcomes + sent, key=lambda o: o.owner)
        result = RunResult(found, as_of, False, tuple(outcomes), quiet, returned, outbox, problem)
        if sent:
            detail = f"{found.period} as of {as_of.isoformat()}: " + ", ".join(
                f"{result.count(s)} {s}" for s in (SENT, OUTBOX, FAILED) if result.count(s)
            )
            with store.transaction() as conn:
                write_audit(conn, by, "round-mail", detail, plan_id=found.plan_id)
        return result


@contextlib.contextmanager
def _only_run(settings: Settings, slug: str) -> Iterator[None]:
    """Hold a lock for the plan's mail while a run works, so two runs (a timer and an editor)
    cannot both send a message neither has logged yet."""
    folder = settings.state_path
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"remind-{slug}.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MailError(
                f"another run is sending {slug}'s reminders; try again when it has finished"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _plan(
    rounds: Rounds, store: Store, settings: Settings, found: Round, as_of: date
) -> tuple[list[_Job], list[Outcome], int, int]:
    """The messages due, the owners who cannot be sent one (no contact, expired link), and
    how many owners are due nothing and how many have returned."""
    kept = Contacts(store).all()
    start = datetime.combine(as_of, time(0), tzinfo=UTC)
    jobs: list[_Job] = []
    outcomes: list[Outcome] = []
    quiet = returned = 0
    for state in rounds.states(found, as_of):
        if state.state in (SUBMITTED, COMMITTED):
            returned += 1
            continue
        kind = due_kind(
            found.due,
            as_of,
            state.mail,
            reminder_days=settings.reminder_days,
            escalate_every_days=settings.escalate_every_days,
        )
        if kind is None or state.link.revoked_at is not None:
            quiet += 1
            continue
        who = find_contacts(kept, state.owner)
        if start >= state.link.expires_at:
            outcomes.append(
                Outcome(
                    state.owner,
                    kind,
                    EXPIRED,
                    detail="it no longer opens; give a new one with: "
                    f"socplan round reissue '{state.owner}'",
                )
            )
        elif not who.contacts:
            outcomes.append(
                Outcome(
                    state.owner,
                    kind,
                    NO_CONTACT,
                    detail=f"add one with: socplan contacts set '{state.owner}' --email ADDRESS",
                )
            )
        else:
            to = tuple(c.address for c in who.contacts)
            cc: tuple[str, ...] = ()
            if kind == ESCALATION:
                cc = _unique([c.address for c in who.escalation] + list(settings.team_email), to)
            jobs.append(_Job(state, kind, who, to, cc))
    return jobs, outcomes, quiet, returned


def _unique(addresses: list[str], besides: Sequence[str]) -> tuple[str, ...]:
    seen = {parseaddr(a)[1].lower() for a in besides}
    out = []
    for item in addresses:
        bare = parseaddr(item)[1].lower()
        if bare and bare not in seen:
            seen.add(bare)
            out.append(item)
    return tuple(out)


def _log_skipped(rounds: Rounds, item: Outcome, found: Round, as_of: date) -> None:
    """Log an owner left out for want of a contact, once a day (`socplan round status` shows it)."""
    link = rounds.link(found, item.owner)
    if any(
        m.status == SKIPPED and m.kind == item.kind and m.day == as_of
        for m in rounds.mail([link.id])
    ):
        return
    rounds.record_mail(link, item.kind, as_of, SKIPPED, 0, "no contact kept for this owner")


def _compose(
    rounds: Rounds, settings: Settings, found: Round, job: _Job, as_of: date
) -> EmailMessage:
    """The message for one owner: the letter as plain text, their workbook attached."""
    link = job.state.link
    name, data = rounds.workbook(link)
    letter = Letter(
        kind=job.kind,
        owner=link.owner,
        strategy=settings.strategy,
        period=found.period,
        due=found.due,
        as_of=as_of,
        url=rounds.url(link),
        workbook=name,
        milestones=len(link.refs),
        last_day=link.last_day,
        names=tuple(c.name for c in job.contacts.contacts),
        copied=bool(job.cc),
        questions=settings.contacts,
        organisation=settings.organisation,
    )
    message = EmailMessage()
    message["Subject"] = subject(letter)
    message["From"] = settings.mail_from
    message["To"] = ", ".join(job.to)
    if job.cc:
        message["Cc"] = ", ".join(job.cc)
    if settings.team_email:
        message["Reply-To"] = ", ".join(settings.team_email)
    message["Date"] = formatdate(localtime=True)
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "socplan.invalid"
    message["Message-ID"] = make_msgid("socplan", domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies, please
    message.set_content(body(letter))
    maintype, subtype = MIME_TYPES.get(link.workbook_format, ("application", "octet-stream"))
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def _send(
    rounds: Rounds,
    settings: Settings,
    found: Round,
    slug: str,
    as_of: date,
    jobs: list[_Job],
    outbox: Path | None,
) -> tuple[list[Outcome], str]:
    """Send (or write) each job's message, logging each as it goes; the outcomes, and why the
    run stopped early ("" when it did not)."""
    outcomes: list[Outcome] = []
    problem = ""

    def log(job: _Job, status: str, count: int, detail: str, path: Path | None = None) -> None:
        rounds.record_mail(job.state.link, job.kind, as_of, status, count, scrub(detail))
        outcomes.append(Outcome(job.state.owner, job.kind, status, job.to, job.cc, detail, path))

    smtp: smtplib.SMTP | None = None
    try:
        for i, job in enumerate(jobs):
            try:
                message = _compose(rounds, settings, found, job, as_of)
            except Exception as exc:  # e.g. a link made under another key; one owner's, not all
                log(job, FAILED, 0, f"the message could not be made: {exc}")
                continue
            count = len(job.to) + len(job.cc)
            if outbox is not None:
                try:
                    path = write_eml(
                        outbox, outbox_name(slug, found, job.state.owner, job.kind, as_of), message
                    )
                except OSError as exc:
                    problem = f"cannot write to the outbox folder {outbox}: {answer(exc)}"
                    for rest in jobs[i:]:
                        log(rest, FAILED, 0, f"not written: {problem}")
                    break
                log(job, OUTBOX, count, "", path)
                continue
            if smtp is None:
                try:
                    smtp = connect(settings)
                except MailError as exc:
                    problem = str(exc)
                    for rest in jobs[i:]:
                        log(rest, FAILED, 0, f"not sent: {problem}")
                    break
            try:
                refused = smtp.send_message(message)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                problem = f"the mail server closed the connection: {answer(exc)}"
                for rest in jobs[i:]:
                    log(rest, FAILED, 0, f"not sent: {problem}")
                break
            except (smtplib.SMTPException, ValueError) as exc:  # ValueError: unsendable address
                log(
                    job,
                    FAILED,
                    0,
                    answer(exc) if isinstance(exc, smtplib.SMTPException) else str(exc),
                )
                continue
            note = ""
            if refused:
                answers = sorted({f"{code} {reply_text(err)}" for code, err in refused.values()})
                note = f"{len(refused)} of {count} recipients refused: " + "; ".join(answers)
            log(job, SENT, count - len(refused), note)
    finally:
        if smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
    return outcomes, problem


def outbox_name(slug: str, found: Round, owner: str, kind: str, as_of: date) -> str:
    """'20261213-soc-strategy-2020-21-Q3-Local-authorities-reminder.eml'."""
    return f"{as_of:%Y%m%d}-{slug}-{found.period.slug}-{owner_slug(owner)}-{kind}.eml"
