"""Returns rounds: a period opened for returns with a due date; for each owner with open
milestones, a pre-filled workbook holding only that owner's milestones and an update link.

The link is `<base_url>/r/<token>`. The token is an HMAC of the link's row id and a random nonce
under the installation's secret key, so the database keeps only its SHA-256 (`token_hash`): a
copy of the database alone opens no link, and the mail job can still put the link in a message.
A link works for one plan, period and owner until `link_days_after_due` days after the due date,
unless revoked; re-issuing it (a new nonce) ends the old one.

What partners send is kept as a submission: "checked" when it passed its checks, "submitted"
when they pressed Submit (awaiting review), then "committed" (stored as a partial return),
"rejected" (with a message shown to the partner) or "superseded" (they sent a newer one).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .accounts import write_audit
from .config import Settings, secret_key
from .contacts import Contacts, find_contacts
from .periods import Period
from .schema import CLOSED_STATUSES, RECOMMENDATION_FIELDS
from .store import Revision, Store, StoreError
from .tables import (
    evidence_files,
    plans,
    return_evidence,
    return_links,
    return_mail,
    return_rounds,
    return_submissions,
    return_uploads,
)

# An owner's state in a round, as the Returns page and `socplan round status` say it.
NOT_SENT, SENT, REMINDED, SUBMITTED, COMMITTED, LATE = (
    "not sent",
    "sent",
    "reminded",
    "submitted",
    "committed",
    "late",
)
# Mail kinds, in the order an owner may receive them.
INVITE, REMINDER, DUE_TODAY, ESCALATION = "invitation", "reminder", "due", "escalation"
DELIVERED = ("sent", "outbox")  # a message that left (or was written for someone to send)
MESSAGE_MAX = 2000
LINK_PREFIX = "/r/"


class RoundError(StoreError):
    """Something about a round that cannot be done (the message says why and what to do)."""


def _utc(when: Any) -> datetime | None:
    if when is None:
        return None
    if not isinstance(when, datetime):
        when = datetime.fromisoformat(str(when))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@dataclass(frozen=True)
class Round:
    """A period open for returns."""

    id: int
    plan_id: int
    period: Period
    due: date
    opened_by: str
    opened_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Round:
        return cls(
            row.id,
            row.plan_id,
            Period.parse(row.period),
            _day(row.due),
            row.opened_by,
            _utc(row.opened_at) or datetime.now(UTC),
        )


@dataclass(frozen=True)
class Link:
    """One owner's place in a round (never the token itself: see `token_for`)."""

    id: int
    round_id: int
    owner: str
    nonce: str
    token_hash: str
    workbook_format: str
    refs: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    committed_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Link:
        return cls(
            row.id,
            row.round_id,
            row.owner,
            row.nonce,
            row.token_hash,
            row.workbook_format,
            tuple(json.loads(row.refs)),
            _utc(row.created_at) or datetime.now(UTC),
            _utc(row.expires_at) or datetime.now(UTC),
            _utc(row.revoked_at),
            _utc(row.committed_at),
        )

    @property
    def last_day(self) -> date:
        """The last day the link works (it stops at the start of the next)."""
        return (self.expires_at - timedelta(seconds=1)).date()

    def usable(self, now: datetime | None = None) -> bool:
        """True while the link opens its page: not revoked, not expired."""
        return self.revoked_at is None and (now or datetime.now(UTC)) < self.expires_at


@dataclass(frozen=True)
class Submission:
    """What a partner sent through a link (without the bytes unless asked for)."""

    id: int
    link_id: int
    state: str
    received_at: datetime
    submitted_at: datetime | None
    file_name: str
    sha256: str
    size: int
    milestones: int
    decided_by: str | None
    decided_at: datetime | None
    message: str
    import_id: int | None

    @classmethod
    def from_row(cls, row: Any) -> Submission:
        return cls(
            row.id,
            row.link_id,
            row.state,
            _utc(row.received_at) or datetime.now(UTC),
            _utc(row.submitted_at),
            row.file_name,
            row.sha256,
            int(row.size),
            int(row.milestones or 0),
            row.decided_by,
            _utc(row.decided_at),
            row.message or "",
            row.import_id,
        )


@dataclass(frozen=True)
class EvidenceItem:
    """An evidence file a partner attached through their link (without its bytes)."""

    id: int
    link_id: int
    milestone: str
    state: str  # waiting, committed or removed
    name: str
    kind: str
    size: int
    added_at: datetime
    evidence_id: int | None

    @classmethod
    def from_row(cls, row: Any) -> EvidenceItem:
        return cls(
            row.id,
            row.link_id,
            row.milestone,
            row.state,
            row.name,
            row.kind,
            int(row.size),
            _utc(row.added_at) or datetime.now(UTC),
            row.evidence_id,
        )


def _evidence(conn: Connection, link_ids: Iterable[int]) -> list[EvidenceItem]:
    columns = [c for c in return_evidence.c if c.name != "content"]
    rows = conn.execute(
        sa.select(*columns)
        .where(
            return_evidence.c.link_id.in_(list(link_ids)) & (return_evidence.c.state != "removed")
        )
        .order_by(return_evidence.c.id)
    ).all()
    return [EvidenceItem.from_row(r) for r in rows]


@dataclass(frozen=True)
class MailRecord:
    """One message about a link and what became of it."""

    link_id: int
    kind: str
    day: date
    at: datetime
    status: str
    recipients: int
    detail: str


@dataclass(frozen=True)
class Issued:
    """A link just made or re-issued: the only time its token is handed out with the link."""

    owner: str
    token: str
    url: str
    milestones: int
    workbook_format: str


@dataclass(frozen=True)
class OwnerState:
    """An owner's state in a round, for the Returns page and `socplan round status`."""

    link: Link
    state: str
    late: bool
    mail: tuple[MailRecord, ...]
    submission: Submission | None  # the newest submitted, committed or rejected one

    @property
    def owner(self) -> str:
        return self.link.owner

    @property
    def describe(self) -> str:
        """The state with what matters beside it: 'late (reminded)', 'submitted', ..."""
        words = self.state
        if self.late and self.state != LATE:
            words = f"{words}, late"
        if self.link.revoked_at is not None:
            words += " (link revoked)"
        elif self.submission is not None and self.submission.state == "rejected":
            words += " (last return sent back)"
        return words


def summary(found: Round, states: list[OwnerState]) -> str:
    """'2020/21 Q3 round, due 31 January 2021: 2 committed, 1 to review, 3 late, of 9 owners.'"""
    late = sum(1 for s in states if s.late)
    done = sum(1 for s in states if s.state == COMMITTED)
    waiting = sum(1 for s in states if s.state == SUBMITTED)
    return (
        f"{found.period} round, due {found.due:%-d %B %Y}: {done} committed, {waiting} to review, "
        f"{late} late, of {len(states)} owners."
    )


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_for(key: str, link_id: int, nonce: str) -> str:
    """A link's token: 256 bits, URL-safe, derived from the secret key, its id and its nonce."""
    digest = hmac.new(key.encode(), f"socplan-return:{link_id}:{nonce}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def link_url(settings: Settings, token: str) -> str:
    """The address a partner opens."""
    return settings.base_url.rstrip("/") + LINK_PREFIX + token


def expiry(settings: Settings, due: date) -> datetime:
    """When links of a round due on `due` stop working: the end of the due date plus the grace."""
    end = datetime.combine(due + timedelta(days=1), time(0), tzinfo=UTC)
    return end + timedelta(days=settings.link_days_after_due)


def suggested_due(period: Period, today: date | None = None, weeks: int = 4) -> date:
    """A due date to offer when opening a round: `weeks` after the period ends, or after today
    when that end has passed (a round due in the past would be late, its links soon ended)."""
    return max(period.end, today or date.today()) + timedelta(weeks=weeks)


class Rounds:
    """The returns rounds of one plan: the plan of `store` (see `Store.for_plan`)."""

    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.settings = settings

    # -- reading ---------------------------------------------------------------------------

    def _plan_id(self, conn: Connection) -> int:
        plan_id = self.store.plan_id(conn)
        if plan_id is None:
            raise RoundError("there is no plan yet: import a workbook first")
        return plan_id

    def all(self) -> list[Round]:
        """Every round of the plan, newest period first."""
        with self.store.engine.connect() as conn:
            plan_id = self.store.plan_id(conn)
            rows = conn.execute(
                sa.select(return_rounds)
                .where(return_rounds.c.plan_id == plan_id)
                .order_by(return_rounds.c.period_index.desc())
            ).all()
        return [Round.from_row(r) for r in rows]

    def find(self, period: Period | None = None) -> Round | None:
        """The round for `period`, or the newest round when None."""
        for found in self.all():
            if period is None or found.period == period:
                return found
        return None

    def get(self, period: Period | str | None) -> Round:
        """As `find`, raising RoundError (saying what to do) when there is none."""
        chosen = Period.parse(period) if isinstance(period, str) else period
        found = self.find(chosen)
        if found is None:
            which = f"for {chosen}" if chosen else "yet"
            raise RoundError(
                f"no returns round is open {which}; open one with "
                "socplan round open --period P --due DATE"
            )
        return found

    def links(self, found: Round) -> list[Link]:
        """The round's links, by owner."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(*[c for c in return_links.c if c.name != "workbook"])
                .where(return_links.c.round_id == found.id)
                .order_by(return_links.c.owner)
            ).all()
        return [Link.from_row(r) for r in rows]

    def link(self, found: Round, owner: str) -> Link:
        """One owner's link in the round, or RoundError."""
        for item in self.links(found):
            if item.owner == owner:
                return item
        raise RoundError(f"'{owner}' has no place in the {found.period} round")

    def workbook(self, link: Link) -> tuple[str, bytes]:
        """The file name and bytes of the workbook made for this link's owner."""
        with self.store.engine.connect() as conn:
            data, period = conn.execute(
                sa.select(return_links.c.workbook, return_rounds.c.period)
                .join(return_rounds, return_rounds.c.id == return_links.c.round_id)
                .where(return_links.c.id == link.id)
            ).one()
        return workbook_name(link.owner, Period.parse(period), link.workbook_format), bytes(data)

    def token(self, link: Link) -> str:
        """The link's token, made again from the secret key; RoundError when the key changed
        since the link was issued (re-issue the link then)."""
        token = token_for(secret_key(self.settings), link.id, link.nonce)
        if not hmac.compare_digest(token_hash(token), link.token_hash):
            raise RoundError(
                f"the link for {link.owner} was made under another secret key; re-issue it with "
                "socplan round reissue"
            )
        return token

    def url(self, link: Link) -> str:
        """The link's address (see `token`)."""
        return link_url(self.settings, self.token(link))

    def submissions(self, link_ids: Iterable[int] | None = None) -> list[Submission]:
        """Submissions (no bytes) of these links, or of every link of the plan; newest first."""
        columns = [c for c in return_submissions.c if c.name != "content"]
        query = sa.select(*columns).order_by(return_submissions.c.id.desc())
        with self.store.engine.connect() as conn:
            if link_ids is None:
                plan_id = self._plan_id(conn)
                query = (
                    query.join(return_links, return_links.c.id == return_submissions.c.link_id)
                    .join(return_rounds, return_rounds.c.id == return_links.c.round_id)
                    .where(return_rounds.c.plan_id == plan_id)
                )
            else:
                query = query.where(return_submissions.c.link_id.in_(list(link_ids)))
            rows = conn.execute(query).all()
        return [Submission.from_row(r) for r in rows]

    def submission_file(self, submission_id: int) -> tuple[Link, str, bytes]:
        """A submission of this plan with its link, name and bytes; RoundError when none."""
        with self.store.engine.connect() as conn:
            plan_id = self._plan_id(conn)
            row = conn.execute(
                sa.select(
                    return_submissions.c.link_id,
                    return_submissions.c.file_name,
                    return_submissions.c.content,
                )
                .join(return_links, return_links.c.id == return_submissions.c.link_id)
                .join(return_rounds, return_rounds.c.id == return_links.c.round_id)
                .where(
                    (return_submissions.c.id == submission_id)
                    & (return_rounds.c.plan_id == plan_id)
                )
            ).first()
            if row is None:
                raise RoundError(f"there is no submission {submission_id} in this plan")
            link = Link.from_row(
                conn.execute(
                    sa.select(*[c for c in return_links.c if c.name != "workbook"]).where(
                        return_links.c.id == row.link_id
                    )
                ).one()
            )
        return link, row.file_name, bytes(row.content)

    def evidence(self, link_ids: Iterable[int]) -> list[EvidenceItem]:
        """Evidence files partners attached through these links (not those they removed)."""
        with self.store.engine.connect() as conn:
            return _evidence(conn, link_ids)

    def mail(self, link_ids: Iterable[int]) -> list[MailRecord]:
        """Messages about these links, oldest first."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(return_mail)
                .where(return_mail.c.link_id.in_(list(link_ids)))
                .order_by(return_mail.c.id)
            ).all()
        return [
            MailRecord(
                r.link_id,
                r.kind,
                _day(r.day),
                _utc(r.at) or datetime.now(UTC),
                r.status,
                int(r.recipients),
                r.detail,
            )
            for r in rows
        ]

    def states(self, found: Round, today: date | None = None) -> list[OwnerState]:
        """Every owner's state in the round, by owner."""
        today = today or date.today()
        links = self.links(found)
        ids = [item.id for item in links]
        mail = self.mail(ids)
        submissions = self.submissions(ids)
        out = []
        for item in links:
            sent = tuple(m for m in mail if m.link_id == item.id)
            delivered = [m for m in sent if m.status in DELIVERED]
            decided = [
                s
                for s in submissions
                if s.link_id == item.id and s.state in ("submitted", "committed", "rejected")
            ]
            newest = decided[0] if decided else None
            waiting = newest is not None and newest.state == "submitted"
            if item.committed_at is not None:
                state = COMMITTED
            elif waiting:
                state = SUBMITTED
            elif today > found.due:
                state = LATE
            elif any(m.kind != INVITE for m in delivered):
                state = REMINDED
            elif delivered:
                state = SENT
            else:
                state = NOT_SENT
            late = state not in (COMMITTED,) and today > found.due and not waiting
            out.append(OwnerState(item, state, late, sent, newest))
        return out

    # -- opening, re-issuing, revoking -----------------------------------------------------

    def open(
        self, period: Period, due: date, *, by: str, plan: Any | None = None
    ) -> tuple[Round, list[Issued]]:
        """Open `period` for returns, due on `due`: a workbook and a link per owner with open
        milestones, all in one transaction. `plan` is the DeliveryPlan as stored (read when None).
        """
        from .model import DeliveryPlan

        if self.find(period) is not None:
            raise RoundError(
                f"a returns round for {period} is already open; see socplan round status"
            )
        plan = plan or DeliveryPlan.from_store(self.store)
        if plan.latest is None:
            raise RoundError("the plan has no data yet: import a workbook before opening a round")
        if period < plan.periods[0]:
            raise RoundError(
                f"{period} is before the plan's first period ({plan.periods[0]}); choose a later one"
            )
        source = max(p for p in plan.periods if p <= period)
        milestones = plan.milestones(source)
        open_ = milestones[~milestones["status"].isin(list(CLOSED_STATUSES))]
        if open_.empty:
            raise RoundError(f"no milestone is open as at {period}: there is nothing to ask for")
        recs = plan.recommendations_at(source)
        contacts = Contacts(self.store).all()
        made: list[tuple[str, str, bytes, list[str]]] = []
        for key, theirs in open_.groupby("owner", sort=True):
            owner = str(key)
            fmt = find_contacts(contacts, owner).workbook_format
            data = owner_workbook(theirs, recs, period, due, owner, self.settings, fmt)
            made.append((owner, fmt, data, sorted(theirs["ref"])))
        try:
            return self._insert_round(period, due, by, made)
        except sa.exc.IntegrityError as exc:  # opened by someone else a moment ago
            raise RoundError(
                f"a returns round for {period} is already open; see socplan round status"
            ) from exc

    def _insert_round(
        self, period: Period, due: date, by: str, made: list[tuple[str, str, bytes, list[str]]]
    ) -> tuple[Round, list[Issued]]:
        now = datetime.now(UTC)
        issued: list[Issued] = []
        key = secret_key(self.settings)
        with self.store.transaction() as conn:
            plan_id = self._plan_id(conn)
            round_id = conn.execute(
                return_rounds.insert().values(
                    plan_id=plan_id,
                    period=period.label,
                    period_index=period.index,
                    due=due,
                    opened_by=by,
                    opened_at=now,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            for owner, fmt, data, refs in made:
                nonce = secrets.token_urlsafe(24)
                link_id = conn.execute(
                    return_links.insert().values(
                        round_id=round_id,
                        owner=owner,
                        nonce=nonce,
                        # A placeholder until the id is known; replaced in this transaction.
                        token_hash=secrets.token_hex(32),
                        workbook_format=fmt,
                        workbook=data,
                        refs=json.dumps(refs),
                        created_at=now,
                        expires_at=expiry(self.settings, due),
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
                token = token_for(key, link_id, nonce)
                conn.execute(
                    return_links.update()
                    .where(return_links.c.id == link_id)
                    .values(token_hash=token_hash(token))
                )
                issued.append(Issued(owner, token, link_url(self.settings, token), len(refs), fmt))
            write_audit(
                conn,
                by,
                "round-open",
                f"{period} due {due.isoformat()}: {len(made)} owners",
                plan_id=plan_id,
            )
            found = Round(int(round_id), plan_id, period, due, by, now)
        return found, issued

    def reissue(self, found: Round, owner: str, *, by: str) -> Issued:
        """A new link for `owner` (the old one stops working), valid as the round's were."""
        item = self.link(found, owner)
        nonce = secrets.token_urlsafe(24)
        token = token_for(secret_key(self.settings), item.id, nonce)
        with self.store.transaction() as conn:
            conn.execute(
                return_links.update()
                .where(return_links.c.id == item.id)
                .values(
                    nonce=nonce,
                    token_hash=token_hash(token),
                    revoked_at=None,
                    expires_at=expiry(self.settings, found.due),
                )
            )
            write_audit(conn, by, "link-reissue", f"{found.period}: {owner}", plan_id=found.plan_id)
        return Issued(
            owner, token, link_url(self.settings, token), len(item.refs), item.workbook_format
        )

    def revoke(self, found: Round, owner: str, *, by: str) -> None:
        """Stop `owner`'s link working (re-issue to give them a new one)."""
        item = self.link(found, owner)
        with self.store.transaction() as conn:
            conn.execute(
                return_links.update()
                .where(return_links.c.id == item.id)
                .values(revoked_at=datetime.now(UTC))
            )
            write_audit(conn, by, "link-revoke", f"{found.period}: {owner}", plan_id=found.plan_id)

    def set_due(self, found: Round, due: date, *, by: str) -> Round:
        """Move the due date (links then expire as the new date says)."""
        with self.store.transaction() as conn:
            conn.execute(
                return_rounds.update().where(return_rounds.c.id == found.id).values(due=due)
            )
            conn.execute(
                return_links.update()
                .where(return_links.c.round_id == found.id)
                .values(expires_at=expiry(self.settings, due))
            )
            write_audit(
                conn,
                by,
                "round-due",
                f"{found.period} due {due.isoformat()}",
                plan_id=found.plan_id,
            )
        return Round(found.id, found.plan_id, found.period, due, found.opened_by, found.opened_at)

    # -- review ----------------------------------------------------------------------------

    def pending(self, found: Round) -> list[tuple[Link, Submission]]:
        """Submissions awaiting review in the round, oldest first."""
        links = {item.id: item for item in self.links(found)}
        waiting = [s for s in self.submissions(links) if s.state == "submitted"]
        return [(links[s.link_id], s) for s in reversed(waiting)]

    def commit(
        self,
        submission_ids: list[int],
        *,
        by: str,
        check: Callable[[Link, Period, str, bytes], pd.DataFrame],
        expected_last_import: int | None = None,
    ) -> list[Revision]:
        """Store these submitted returns as partial returns of their round's period, all in one
        transaction, and mark them committed (their owners' links then take no more uploads).

        `check(link, period, name, data)` checks a file again and gives its milestones (raising
        ValueError when it no longer passes): the caller's, so the limits and vocabulary in force
        apply. Only the milestones are taken from a partner: the recommendations stay the plan's.
        With `expected_last_import` (the version the reviewer's preview was made against), the
        commit is refused (StalePreview) when anything was imported since. A return that was
        sent back, replaced or committed meanwhile is refused too, and nothing is stored.
        """
        if not submission_ids:
            raise RoundError("choose at least one submission to commit")
        chosen: list[tuple[Link, Submission, str, bytes]] = []
        period: Period | None = None
        for sid in submission_ids:
            link, name, data = self.submission_file(sid)
            sub = next(s for s in self.submissions([link.id]) if s.id == sid)
            if sub.state != "submitted":
                raise RoundError(
                    f"{link.owner}'s return {name} is {sub.state}, not waiting for review"
                )
            found = self._round_of(link)
            if period is not None and found.period != period:
                raise RoundError("commit returns of one period at a time")
            period = found.period
            chosen.append((link, sub, name, data))
        assert period is not None
        empty = pd.DataFrame(columns=list(RECOMMENDATION_FIELDS))
        milestones = {link.id: check(link, period, name, data) for link, _, name, data in chosen}
        returns = [
            (empty, milestones[link.id], data, f"{link.owner}: {name}")
            for link, _, name, data in chosen
        ]

        def mark(conn: Connection, revisions: list[Revision]) -> None:
            now = datetime.now(UTC)
            for (link, sub, name, _), revision in zip(chosen, revisions, strict=True):
                done = conn.execute(
                    return_submissions.update()
                    .where(
                        (return_submissions.c.id == sub.id)
                        & (return_submissions.c.state == "submitted")
                    )
                    .values(
                        state="committed",
                        decided_by=by,
                        decided_at=now,
                        import_id=revision.import_id,
                    )
                ).rowcount
                if done != 1:  # sent back, replaced or committed by someone else meanwhile
                    raise RoundError(
                        f"{link.owner}'s return {name} changed while it was being committed "
                        "(sent back, replaced or committed already); reload the page"
                    )
                conn.execute(
                    return_links.update()
                    .where(return_links.c.id == link.id)
                    .values(committed_at=now)
                )
                recommendation_of = dict(
                    zip(
                        milestones[link.id]["ref"],
                        milestones[link.id]["recommendation"],
                        strict=True,
                    )
                )
                self._keep_evidence(conn, link, period, recommendation_of, now)
                write_audit(
                    conn,
                    by,
                    "return-commit",
                    f"{period}: {link.owner}'s {name} as revision {revision.revision}",
                    plan_id=self._plan_id(conn),
                )

        return self.store.commit_batch(
            returns,
            period,
            imported_by=by,
            partial=True,
            expected_last_import=expected_last_import,
            after=mark,
        )

    def _keep_evidence(
        self,
        conn: Connection,
        link: Link,
        period: Period,
        recommendation_of: dict[str, str],
        now: datetime,
    ) -> None:
        """Copy the evidence `link`'s partner attached into the plan's evidence files (editors'
        only until an editor marks one public), in the commit's transaction."""
        plan_id = self._plan_id(conn)
        waiting = conn.execute(
            sa.select(return_evidence).where(
                (return_evidence.c.link_id == link.id) & (return_evidence.c.state == "waiting")
            )
        ).all()
        for row in waiting:
            recommendation = recommendation_of.get(row.milestone)
            if recommendation is None:
                continue  # a milestone their return no longer holds: left waiting
            new = conn.execute(
                evidence_files.insert().values(
                    plan_id=plan_id,
                    milestone=row.milestone,
                    recommendation=recommendation,
                    period_index=period.index,
                    name=row.name,
                    kind=row.kind,
                    media_type=row.media_type,
                    size=row.size,
                    sha256=row.sha256,
                    content=row.content,
                    public=False,
                    added_by=f"partner: {link.owner}"[:150],
                    added_at=now,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            conn.execute(
                return_evidence.update()
                .where(return_evidence.c.id == row.id)
                .values(state="committed", evidence_id=new, content=b"")
            )

    def reject(self, submission_id: int, message: str, *, by: str) -> Submission:
        """Send a submitted return back with `message` (shown to the partner on their page)."""
        text = " ".join((message or "").split())
        if not text:
            raise RoundError("say why the return is sent back: the partner reads the message")
        if len(text) > MESSAGE_MAX:
            raise RoundError(f"the message is longer than {MESSAGE_MAX} characters; shorten it")
        link, name, _ = self.submission_file(submission_id)
        with self.store.transaction() as conn:
            done = conn.execute(
                return_submissions.update()
                .where(
                    (return_submissions.c.id == submission_id)
                    & (return_submissions.c.state == "submitted")
                )
                .values(state="rejected", decided_by=by, decided_at=datetime.now(UTC), message=text)
            ).rowcount
            if not done:
                raise RoundError(f"{link.owner}'s return {name} is not waiting for review")
            write_audit(
                conn,
                by,
                "return-reject",
                f"{link.owner}'s {name} sent back",
                plan_id=self._plan_id(conn),
            )
        return next(s for s in self.submissions([link.id]) if s.id == submission_id)

    def _round_of(self, link: Link) -> Round:
        with self.store.engine.connect() as conn:
            row = conn.execute(
                sa.select(return_rounds).where(return_rounds.c.id == link.round_id)
            ).one()
        return Round.from_row(row)

    # -- mail log --------------------------------------------------------------------------

    def record_mail(
        self,
        link: Link,
        kind: str,
        day: date,
        status: str,
        recipients: int,
        detail: str = "",
    ) -> None:
        """Log one message about `link` (status sent, outbox or failed)."""
        with self.store.transaction() as conn:
            conn.execute(
                return_mail.insert().values(
                    link_id=link.id,
                    kind=kind,
                    day=day,
                    at=datetime.now(UTC),
                    status=status,
                    recipients=recipients,
                    detail=detail[:2000],
                )
            )


def owner_slug(owner: str) -> str:
    """An owner's name as it goes in a file name: 'Nottingham-City-Council'."""
    safe = "".join(ch if ch.isalnum() else "-" for ch in owner).strip("-")
    while "--" in safe:
        safe = safe.replace("--", "-")
    return safe[:60] or "owner"


def workbook_name(owner: str, period: Period, fmt: str) -> str:
    """'return-2020-21-Q3-Nottingham-City-Council.xlsx'."""
    return f"return-{period.slug}-{owner_slug(owner)}.{fmt}"


def owner_workbook(
    milestones: pd.DataFrame,
    recommendations: pd.DataFrame,
    period: Period,
    due: date,
    owner: str,
    settings: Settings,
    fmt: str,
) -> bytes:
    """A return workbook holding only `owner`'s milestones (and their recommendations, for
    reference), pre-filled as they stand."""
    from .intake.template import write_template

    refs = set(milestones["recommendation"])
    recs = recommendations[recommendations["ref"].isin(refs)]
    buffer = io.BytesIO()
    write_template(
        buffer,
        period,
        recs,
        milestones,
        themes=settings.themes,
        statuses=settings.statuses,
        owners=[owner],
        title=f"{settings.strategy}: {owner}",
        note=(
            f"This return is for {owner}: update only these milestones, and send it back by "
            f"{due.strftime('%-d %B %Y')} through your update link. Fill in Status, Progress, "
            "Update, Forecast and Reason (and Start and Completed when they apply). Ref, "
            "Recommendation, Milestone, Owner, Due and Public are the plan's: ask the policy "
            "team to change them. The Recommendations sheet is there for reference."
        ),
        fmt=fmt,
    )
    return buffer.getvalue()


# -- partners: no account, a link -----------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """What a working link opens: its plan, round and owner's link."""

    store: Store
    plan_slug: str
    plan_title: str
    round: Round
    link: Link


def resolve(store: Store, token: str, now: datetime | None = None) -> Access | None:
    """The link a token opens, or None when it is wrong, expired, revoked or its plan archived
    (the caller says nothing more than that)."""
    if not token or len(token) > 128:
        return None
    wanted = token_hash(token)
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(
                *[c for c in return_links.c if c.name != "workbook"],
                plans.c.slug,
                plans.c.title,
                plans.c.archived_at,
            )
            .join(return_rounds, return_rounds.c.id == return_links.c.round_id)
            .join(plans, plans.c.id == return_rounds.c.plan_id)
            .where(return_links.c.token_hash == wanted)
        ).first()
        if row is None or row.archived_at is not None:
            return None
        found = Round.from_row(
            conn.execute(sa.select(return_rounds).where(return_rounds.c.id == row.round_id)).one()
        )
    link = Link.from_row(row)
    if not hmac.compare_digest(link.token_hash, wanted) or not link.usable(now):
        return None
    return Access(store.for_plan(row.slug), row.slug, row.title, found, link)


class Partner:
    """What a partner may do through their link: nothing but their own return."""

    def __init__(self, access: Access, settings: Settings):
        self.access = access
        self.settings = settings
        self.rounds = Rounds(access.store, settings)

    @property
    def link(self) -> Link:
        return self.access.link

    def _wait(self, conn: Connection, now: datetime) -> int:
        times = [
            _utc(t)
            for (t,) in conn.execute(
                sa.select(return_uploads.c.at)
                .where(
                    (return_uploads.c.link_id == self.link.id)
                    & (return_uploads.c.at > now - timedelta(hours=1))
                )
                .order_by(return_uploads.c.at)
            ).all()
        ]
        limit = self.settings.link_uploads_per_hour
        if len(times) < limit:
            return 0
        oldest = times[len(times) - limit]
        assert oldest is not None
        return max(1, int((oldest + timedelta(hours=1) - now).total_seconds()) + 1)

    def upload_wait(self, now: datetime | None = None) -> int:
        """Seconds until another upload is allowed through this link (0: now)."""
        with self.access.store.engine.connect() as conn:
            return self._wait(conn, now or datetime.now(UTC))

    def claim_upload(self, now: datetime | None = None) -> int:
        """Count one upload against the link's rate limit if it allows one now (returns 0), else
        the seconds to wait (nothing counted). Counting and checking are one transaction that
        holds the link's row, so uploads sent at once cannot slip past the limit together."""
        now = now or datetime.now(UTC)
        with self.access.store.transaction() as conn:
            conn.execute(
                sa.select(return_links.c.id)
                .where(return_links.c.id == self.link.id)
                .with_for_update()  # PostgreSQL; SQLite holds its write lock from BEGIN
            ).first()
            wait = self._wait(conn, now)
            if not wait:
                conn.execute(return_uploads.insert().values(link_id=self.link.id, at=now))
            return wait

    def receive(self, name: str, data: bytes, milestones: int) -> Submission:
        """Keep a return that passed its checks, until the partner submits it."""
        if self.link.committed_at is not None:
            raise RoundError("your return has been committed; ask the policy team to change it")
        now = datetime.now(UTC)
        with self.access.store.transaction() as conn:
            # Only the newest checked upload is kept waiting for Submit.
            conn.execute(
                return_submissions.delete().where(
                    (return_submissions.c.link_id == self.link.id)
                    & (return_submissions.c.state == "checked")
                )
            )
            sid = conn.execute(
                return_submissions.insert().values(
                    link_id=self.link.id,
                    state="checked",
                    received_at=now,
                    file_name=name[:255],
                    sha256=hashlib.sha256(data).hexdigest(),
                    size=len(data),
                    content=data,
                    milestones=milestones,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        return next(s for s in self.submissions() if s.id == sid)

    def submit(self, submission_id: int) -> Submission:
        """Submit a checked return for review; an earlier one still waiting is superseded."""
        if self.link.committed_at is not None:
            raise RoundError("your return has been committed; ask the policy team to change it")
        now = datetime.now(UTC)
        with self.access.store.transaction() as conn:
            committed = conn.execute(
                sa.select(return_links.c.committed_at)
                .where(return_links.c.id == self.link.id)
                .with_for_update()
            ).scalar()
            if committed is not None:
                raise RoundError("your return has been committed; ask the policy team to change it")
            done = conn.execute(
                return_submissions.update()
                .where(
                    (return_submissions.c.id == submission_id)
                    & (return_submissions.c.link_id == self.link.id)
                    & (return_submissions.c.state == "checked")
                )
                .values(state="submitted", submitted_at=now)
            ).rowcount
            if not done:
                raise RoundError("nothing to submit: upload your workbook again")
            conn.execute(
                return_submissions.update()
                .where(
                    (return_submissions.c.link_id == self.link.id)
                    & (return_submissions.c.state == "submitted")
                    & (return_submissions.c.id != submission_id)
                )
                # Only the newest return is kept whole: a link cannot fill the database.
                .values(state="superseded", content=b"")
            )
            write_audit(
                conn,
                f"partner: {self.link.owner}"[:150],
                "return-submit",
                f"{self.access.round.period}: submission {submission_id}",
                plan_id=self.access.round.plan_id,
            )
        return next(s for s in self.submissions() if s.id == submission_id)

    def submissions(self) -> list[Submission]:
        """This link's submissions, newest first."""
        return self.rounds.submissions([self.link.id])

    def evidence(self) -> list[EvidenceItem]:
        """The evidence files attached through this link (not those removed), oldest first."""
        return self.rounds.evidence([self.link.id])

    def attach(
        self, milestone: str, file_name: str, data: bytes, *, max_bytes: int
    ) -> EvidenceItem:
        """Keep an evidence file for one of their milestones, checked by content first
        (AttachmentRefused, with a message for them, when it is not accepted); it joins the plan
        when the policy team commits their return."""
        from .attachments import check_attachment

        if self.link.committed_at is not None:
            raise RoundError(
                "your return has been committed; send further evidence to the policy team"
            )
        if milestone not in self.link.refs:
            raise RoundError("choose one of your milestones for the file")
        checked = check_attachment(file_name, data, max_bytes=max_bytes)
        with self.access.store.transaction() as conn:
            new = conn.execute(
                return_evidence.insert().values(
                    link_id=self.link.id,
                    milestone=milestone,
                    state="waiting",
                    name=checked.name,
                    kind=checked.kind,
                    media_type=checked.media_type,
                    size=checked.size,
                    sha256=checked.sha256,
                    content=data,
                    added_at=datetime.now(UTC),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            write_audit(
                conn,
                f"partner: {self.link.owner}"[:150],
                "return-evidence",
                f"{self.access.round.period}: {checked.name} for {milestone}",
                plan_id=self.access.round.plan_id,
            )
        return next(e for e in self.evidence() if e.id == new)

    def detach(self, evidence_id: int) -> None:
        """Remove a file they attached (only while it waits for the policy team)."""
        with self.access.store.transaction() as conn:
            done = conn.execute(
                return_evidence.update()
                .where(
                    (return_evidence.c.id == evidence_id)
                    & (return_evidence.c.link_id == self.link.id)
                    & (return_evidence.c.state == "waiting")
                )
                .values(state="removed", content=b"")
            ).rowcount
        if not done:
            raise RoundError("that file cannot be removed now")

    def workbook(self) -> tuple[str, bytes]:
        """Their workbook."""
        return self.rounds.workbook(self.link)


def parse_due(text: str, place: str = "--due") -> date:
    """A due date typed as 2021-01-31 or 31/01/2021, or RoundError naming `place`."""
    value = (text or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise RoundError(f"{place}: '{value[:40]}' is not a date; write it like 2021-01-31")
