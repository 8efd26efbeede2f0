"""Who to ask for each owner's return: one or more contacts (name, email), escalation contacts
and the workbook format the owner prefers, per plan.

Contacts are personal data. Only editors and admins reach them (the Contacts page, `socplan
contacts`, the mail of a returns round); nothing here is written to the audit log or to any
log but a count, and no viewer's page, public output or export reads this table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .accounts import write_audit
from .contact_rules import FORMATS as FORMATS
from .contact_rules import ContactError as ContactError
from .contact_rules import check_email, check_format, check_name, check_owner
from .store import Store, StoreError
from .tables import owner_contacts, owner_preferences


@dataclass(frozen=True)
class Contact:
    """One person to ask (or to escalate to)."""

    name: str
    email: str

    @property
    def address(self) -> str:
        """For a mail header: 'Name <email>' or the bare address."""
        from email.utils import formataddr

        return formataddr((self.name, self.email)) if self.name else self.email


@dataclass(frozen=True)
class OwnerContacts:
    """An owner organisation's contacts, escalation contacts and preferred workbook format."""

    owner: str
    contacts: tuple[Contact, ...] = ()
    escalation: tuple[Contact, ...] = ()
    workbook_format: str = "xlsx"

    @property
    def described(self) -> str:
        """'2 contacts, 1 escalation' (no names: for messages that may be logged)."""
        return f"{len(self.contacts)} contacts, {len(self.escalation)} escalation"


class Contacts:
    """The contacts of one plan: the plan of `store` (see `Store.for_plan`)."""

    def __init__(self, store: Store):
        self.store = store

    def _plan_id(self, conn: Connection) -> int:
        plan_id = self.store.plan_id(conn)
        if plan_id is None:
            raise StoreError("there is no plan yet: import a workbook first")
        return plan_id

    def all(self) -> dict[str, OwnerContacts]:
        """Every owner with contacts or a preference, by owner name."""
        with self.store.engine.connect() as conn:
            return self.read(conn)

    def read(self, conn: Connection) -> dict[str, OwnerContacts]:
        """`all`, in `conn`."""
        plan_id = self.store.plan_id(conn)
        if plan_id is None:
            return {}
        rows = conn.execute(
            sa.select(owner_contacts)
            .where(owner_contacts.c.plan_id == plan_id)
            .order_by(owner_contacts.c.owner, owner_contacts.c.id)
        ).all()
        prefs = dict(
            conn.execute(
                sa.select(owner_preferences.c.owner, owner_preferences.c.workbook_format).where(
                    owner_preferences.c.plan_id == plan_id
                )
            ).all()
        )
        found: dict[str, tuple[list[Contact], list[Contact]]] = {}
        for row in rows:
            ordinary, escalation = found.setdefault(row.owner, ([], []))
            (escalation if row.escalation else ordinary).append(Contact(row.name, row.email))
        owners = sorted(set(found) | set(prefs))
        return {
            owner: OwnerContacts(
                owner,
                tuple(found.get(owner, ([], []))[0]),
                tuple(found.get(owner, ([], []))[1]),
                str(prefs.get(owner, "xlsx")),
            )
            for owner in owners
        }

    def get(self, owner: str) -> OwnerContacts:
        """One owner's (empty when none are kept)."""
        return self.all().get(owner, OwnerContacts(owner))

    def set(
        self,
        owner: str,
        contacts: Iterable[tuple[str, str]] | None = None,
        *,
        escalation: Iterable[tuple[str, str]] | None = None,
        workbook_format: str | None = None,
        by: str,
    ) -> OwnerContacts:
        """Replace what is given (contacts, escalation contacts, format) for `owner`; what is
        None is kept. Every value is checked before anything is written."""
        name = check_owner(owner)
        current = self.get(name)
        chosen = OwnerContacts(
            name,
            _checked(contacts, "contact") if contacts is not None else current.contacts,
            _checked(escalation, "escalation contact")
            if escalation is not None
            else current.escalation,
            check_format(workbook_format) if workbook_format else current.workbook_format,
        )
        self.write([chosen], by=by)
        return chosen

    def write(
        self, owners: Iterable[OwnerContacts], *, by: str, conn: Connection | None = None
    ) -> None:
        """Replace these owners' contacts and preferences, in one transaction (or in `conn`)."""
        chosen = list(owners)
        if conn is None:
            with self.store.transaction() as own:
                self._write(own, chosen, by)
        else:
            self._write(conn, chosen, by)

    def _write(self, conn: Connection, owners: list[OwnerContacts], by: str) -> None:
        plan_id = self._plan_id(conn)
        for item in owners:
            conn.execute(
                owner_contacts.delete().where(
                    (owner_contacts.c.plan_id == plan_id) & (owner_contacts.c.owner == item.owner)
                )
            )
            rows = [(c, False) for c in item.contacts] + [(c, True) for c in item.escalation]
            if rows:
                conn.execute(
                    owner_contacts.insert(),
                    [
                        {
                            "plan_id": plan_id,
                            "owner": item.owner,
                            "name": c.name,
                            "email": c.email,
                            "escalation": esc,
                        }
                        for c, esc in rows
                    ],
                )
            conn.execute(
                owner_preferences.delete().where(
                    (owner_preferences.c.plan_id == plan_id)
                    & (owner_preferences.c.owner == item.owner)
                )
            )
            conn.execute(
                owner_preferences.insert().values(
                    plan_id=plan_id, owner=item.owner, workbook_format=item.workbook_format
                )
            )
        if owners:
            # Counts only: contacts are personal data and stay out of the audit log.
            detail = "; ".join(f"{o.owner}: {o.described}, {o.workbook_format}" for o in owners)
            write_audit(conn, by, "contacts", detail, plan_id=plan_id)

    def write_rows(self, conn: Connection, rows: Iterable[Any], *, by: str) -> None:
        """Replace the contacts of the owners a Contacts sheet lists (its checked rows), in
        `conn`; a row's blank format keeps the owner's preference."""
        current = self.read(conn)
        grouped: dict[str, tuple[list[Contact], list[Contact], str]] = {}
        for row in rows:
            ordinary, escalation, _ = grouped.setdefault(
                row.owner,
                ([], [], current.get(row.owner, OwnerContacts(row.owner)).workbook_format),
            )
            (escalation if row.escalation else ordinary).append(Contact(row.name, row.email))
            if row.workbook_format:
                grouped[row.owner] = (ordinary, escalation, row.workbook_format)
        self._write(
            conn,
            [OwnerContacts(o, tuple(a), tuple(b), f) for o, (a, b, f) in grouped.items()],
            by,
        )

    def remove(self, owner: str, *, by: str) -> bool:
        """Forget an owner's contacts and preference; False when there were none."""
        with self.store.transaction() as conn:
            plan_id = self._plan_id(conn)
            gone = conn.execute(
                owner_contacts.delete().where(
                    (owner_contacts.c.plan_id == plan_id) & (owner_contacts.c.owner == owner)
                )
            ).rowcount
            gone += conn.execute(
                owner_preferences.delete().where(
                    (owner_preferences.c.plan_id == plan_id) & (owner_preferences.c.owner == owner)
                )
            ).rowcount
            if gone:
                write_audit(conn, by, "contacts", f"{owner}: removed", plan_id=plan_id)
            return bool(gone)


def find_contacts(kept: dict[str, OwnerContacts], owner: str) -> OwnerContacts:
    """An owner's contacts from `kept` (Contacts.all()), however its name is spaced in the plan
    (contacts are kept under the name with its spaces collapsed)."""
    return kept.get(" ".join(owner.split()), OwnerContacts(owner))


def _checked(pairs: Iterable[tuple[str, str]], what: str) -> tuple[Contact, ...]:
    out: list[Contact] = []
    for i, (name, email) in enumerate(pairs, start=1):
        address = check_email(email, f"{what} {i}")
        if any(c.email.lower() == address.lower() for c in out):
            continue
        out.append(Contact(check_name(name, f"{what} {i}"), address))
    return tuple(out)


def parse_pairs(emails: Iterable[str], names: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(name, email) pairs from parallel lists; names may run short (those contacts have none)."""
    given = list(names)
    return [(given[i] if i < len(given) else "", e) for i, e in enumerate(emails)]


# One contact typed on a line: 'Name <email>' (the name may be quoted) or a bare address.
_LINE = re.compile(r"^(?P<name>.*?)\s*<(?P<email>[^<>]*)>$")


def parse_lines(text: str | None, what: str = "contacts") -> list[tuple[str, str]]:
    """(name, email) pairs from text holding one contact a line, 'Name <email>' or a bare
    address; blank lines are skipped. ContactError names `what` and the line of the first one
    that is not a contact."""
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = _LINE.match(line)
        name, email = (match["name"].strip().strip('"'), match["email"]) if match else ("", line)
        place = f"{what}, line {number}"
        pairs.append((check_name(name, place), check_email(email, place)))
    return pairs


def format_lines(contacts: Iterable[Contact]) -> str:
    """Contacts as `parse_lines` reads them: one a line, 'Name <email>' or the bare address."""
    return "\n".join(f"{c.name} <{c.email}>" if c.name else c.email for c in contacts)
