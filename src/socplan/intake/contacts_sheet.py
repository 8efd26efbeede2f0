"""The optional Contacts sheet: who to ask for each owner's return (Owner, Name, Email,
Escalation, Format), read with every problem named by sheet and cell. An import with the sheet
replaces the contacts of the owners it lists; owners it does not list keep theirs.

Contacts are personal data: the problems name cells, and quote an address only to say it is not
one (a typing slip the editor uploading the file can see in it anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..contact_rules import ContactError, check_email, check_format, check_name, check_owner
from . import normalise as norm
from .problems import Report, column_letter

CONTACTS = "Contacts"
SYNONYMS = ("contacts", "contact details", "owner contacts", "contact list")
HEADERS: dict[str, tuple[str, ...]] = {
    "owner": ("owner", "organisation", "organization", "owner organisation"),
    "name": ("name", "contact", "contact name"),
    "email": ("email", "e-mail", "email address", "e-mail address"),
    "escalation": ("escalation", "escalate", "escalation contact", "escalate to"),
    "format": ("format", "workbook format", "workbook"),
}
SCAN_ROWS = 30


@dataclass(frozen=True)
class ContactRow:
    """One row of the sheet, checked."""

    owner: str
    name: str
    email: str
    escalation: bool
    workbook_format: str  # "" when the row leaves it blank


def _key(value: Any) -> str:
    return " ".join(norm.text(value).replace("_", " ").split()).lower().rstrip(":*")


def find(sheets: dict[str, list[list[Any]]]) -> str | None:
    """The Contacts sheet's name, in any case or spacing, or None."""
    for sheet in sheets:
        if _key(sheet) in SYNONYMS:
            return sheet
    return None


def read(sheet: str, rows: list[list[Any]], report: Report) -> tuple[ContactRow, ...]:
    """Every row of the Contacts sheet; problems go into `report` by cell."""
    header_at, positions = None, {}
    for r, row in enumerate(rows[:SCAN_ROWS]):
        found = {}
        for c, cell in enumerate(row):
            for key, names in HEADERS.items():
                if _key(cell) in names and key not in found:
                    found[key] = c
        if "owner" in found and "email" in found:
            header_at, positions = r, found
            break
    if header_at is None:
        report.error(
            f"{sheet}!A1",
            "no header row with Owner and Email found; put the column names (Owner, Name, "
            "Email, Escalation, Format) in one row, or remove the sheet",
        )
        return ()
    out: list[ContactRow] = []
    for r in range(header_at + 1, len(rows)):
        row = rows[r]

        def cell(key: str, row: list[Any] = row) -> str:
            at = positions.get(key)
            return norm.text(row[at]) if at is not None and at < len(row) else ""

        def place(key: str, r: int = r) -> str:
            return f"{sheet}!{column_letter(positions[key])}{r + 1}"

        if not any(cell(k) for k in positions):
            continue
        try:
            owner = check_owner(cell("owner"), place("owner"))
            email = check_email(cell("email"), place("email"))
            name = check_name(cell("name"), place("name")) if "name" in positions else ""
            escalation = False
            if "escalation" in positions:
                value = cell("escalation").lower()
                if value in ("yes", "y", "true", "escalation", "escalate", "x", "1"):
                    escalation = True
                elif value not in ("", "no", "n", "false", "0"):
                    raise ContactError(
                        f"{place('escalation')}: '{cell('escalation')[:40]}' is not Yes or No; "
                        "write Yes for an escalation contact"
                    )
            fmt = ""
            if "format" in positions and cell("format"):
                fmt = check_format(cell("format"), place("format"))
        except ContactError as exc:
            where, _, message = str(exc).partition(": ")
            report.error(where, message)
            continue
        out.append(ContactRow(owner, name, email, escalation, fmt))
    if out:
        owners = len({r.owner for r in out})
        report.notice(
            f"{sheet}!A{header_at + 1}",
            f"the contacts of {owners} {'owner' if owners == 1 else 'owners'} will be replaced "
            f"by this sheet's {len(out)} {'row' if len(out) == 1 else 'rows'}",
        )
    return tuple(out)
