"""The words of a returns round's messages: the invitation, the reminder, the due-day message and
the escalation. Pure functions of a `Letter` (the facts of one message), so the wording can be
read and tested without a mail server; `mailing` puts them in an email with the workbook.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import date

from .periods import Period
from .rounds import DUE_TODAY, ESCALATION, INVITE, REMINDER

WIDTH = 72


@dataclass(frozen=True)
class Letter:
    """What one message says: its kind, who it is for and what they are asked to send."""

    kind: str
    owner: str
    strategy: str
    period: Period
    due: date
    as_of: date
    url: str
    workbook: str  # the attached workbook's file name
    milestones: int
    last_day: date  # the last day the link works
    names: tuple[str, ...] = ()  # the contacts' names, for the greeting
    copied: bool = False  # an escalation, copied to escalation contacts and the policy team
    questions: tuple[str, ...] = ()  # who to ask (the `contacts` setting)
    organisation: str = ""


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def subject(letter: Letter) -> str:
    """'Return due 20 December 2026: Serious and Organised Crime Strategy, 2020/21 Q3
    (Local authorities)', with 'Reminder:', 'due today' or 'Late return' as the kind says."""
    # One line whatever the workbook held (a line break in a header is an error).
    what = " ".join(f"{letter.strategy}, {letter.period} ({letter.owner})".split())
    due = _day(letter.due)
    if letter.kind == REMINDER:
        return f"Reminder: return due {due}: {what}"
    if letter.kind == DUE_TODAY:
        return f"Return due today, {due}: {what}"
    if letter.kind == ESCALATION:
        return f"Late return, due {due}: {what}"
    return f"Return due {due}: {what}"


def _lead(letter: Letter) -> str:
    ret = f"the return of {letter.owner} to the {letter.strategy} for {letter.period}"
    due = _day(letter.due)
    if letter.kind == INVITE:
        return f"Please send {ret} by {due}."
    if letter.kind == REMINDER:
        left = (letter.due - letter.as_of).days
        return (
            f"A reminder: {ret} is due in {_days(left)}, on {due}. If you have uploaded your "
            "workbook but not pressed Submit, open your update link and press Submit."
        )
    if letter.kind == DUE_TODAY:
        return (
            f"{ret[0].upper()}{ret[1:]} is due today, {due}. If you have uploaded your workbook "
            "but not pressed Submit, open your update link and press Submit."
        )
    late = (letter.as_of - letter.due).days
    return (
        f"{ret[0].upper()}{ret[1:]} was due on {due} and has not been received: it is "
        f"{_days(late)} late. Please send it as soon as you can."
    )


def _greeting(names: tuple[str, ...]) -> str:
    known = [n for n in names if n]
    if not known:
        return "Hello,"
    if len(known) == 1:
        return f"Dear {known[0]},"
    return f"Dear {', '.join(known[:-1])} and {known[-1]},"


def _fill(paragraph: str) -> str:
    # A numbered step's lines after the first line up under its words.
    indent = "   " if paragraph[:1].isdigit() else ""
    return textwrap.fill(
        paragraph,
        WIDTH,
        subsequent_indent=indent,
        break_long_words=False,  # file names stay whole
        break_on_hyphens=False,
    )


def body(letter: Letter) -> str:
    """The plain-text body: who it is for, the period, the due date, the attached workbook, the
    link and what to do (and, for an escalation, that the return is late and who is copied)."""
    count = f"{letter.milestones} milestone" + ("" if letter.milestones == 1 else "s")
    before = [
        _greeting(letter.names),
        _lead(letter),
        f"Your workbook, {letter.workbook}, is attached. It holds the {count} "
        f"{letter.owner} owns, as they stand in the plan. To make your return:",
        "1. Update each milestone's Status, Progress and Update (and Forecast and Reason if it "
        "will finish late). The workbook's Instructions sheet says how.",
        "2. Open your update link, upload the workbook and press Submit. The page checks the "
        "workbook at once and lists anything to correct:",
    ]
    after = [
        "3. The policy team reviews your return before it is published.",
        f"The link is for {letter.owner} only: please do not forward it. It works until "
        f"{_day(letter.last_day)}.",
    ]
    if letter.copied:
        after.append(
            f"This message is copied to the escalation contacts of {letter.owner} and to the policy "
            "team, because the return is late."
        )
    if letter.questions:
        after.append("Questions: " + "; ".join(letter.questions))
    sender = f"{letter.organisation}'s " if letter.organisation else ""
    after.append(f"This message was sent automatically by {sender}delivery plan monitoring.")
    # The link on a line of its own, never wrapped: a broken link is no link.
    text = [*map(_fill, before), f"   {letter.url}", *map(_fill, after)]
    return "\n\n".join(text) + "\n"
