"""The rules a contact must meet, with messages naming the field (pure: the workbook checks
use them in the child process that parses a file)."""

from __future__ import annotations

import re

FORMATS = ("xlsx", "ods")
NAME_MAX = 255
EMAIL_MAX = 320
# One address, as people type it: no spaces, separators or quotes, a dot in the domain.
_EMAIL = re.compile(r"^[^@\s<>,;:\"'()\[\]\\]+@[^@\s<>,;:\"'()\[\]\\]+\.[^@\s<>,;:\"'()\[\]\\]+$")


class ContactError(ValueError):
    """A contact that cannot be kept (the message names the field and says what to do)."""


def check_email(email: str, place: str = "email") -> str:
    """The address trimmed, or ContactError naming `place`."""
    value = (email or "").strip()
    if not value:
        raise ContactError(f"{place}: the email address is empty; enter one like name@example.org")
    if not value.isascii():
        raise ContactError(
            f"{place}: '{value[:80]}' has letters outside plain ASCII, which mail servers may "
            "not take; use the organisation's plain address"
        )
    if len(value) > EMAIL_MAX or not _EMAIL.match(value):
        raise ContactError(
            f"{place}: '{value[:80]}' is not an email address; enter one like name@example.org"
        )
    return value


def check_name(name: str, place: str = "name") -> str:
    """The name trimmed (it may be empty), or ContactError naming `place`."""
    value = " ".join((name or "").split())
    if len(value) > NAME_MAX:
        raise ContactError(f"{place}: the name is longer than {NAME_MAX} characters; shorten it")
    return value


def check_owner(owner: str, place: str = "owner") -> str:
    """The owner's name trimmed, or ContactError naming `place`."""
    value = " ".join((owner or "").split())
    if not value:
        raise ContactError(f"{place}: the owner is empty; give the organisation's name")
    if len(value) > NAME_MAX:
        raise ContactError(f"{place}: the owner is longer than {NAME_MAX} characters")
    return value


def check_format(fmt: str, place: str = "format") -> str:
    """xlsx or ods, or ContactError naming `place`."""
    value = (fmt or "").strip().lower().lstrip(".")
    if value not in FORMATS:
        raise ContactError(f"{place}: '{fmt}' is not a workbook format; use xlsx or ods")
    return value
