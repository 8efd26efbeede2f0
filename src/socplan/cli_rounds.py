"""`socplan round` (open a returns round, see who has returned, re-issue or revoke a link) and
`socplan contacts` (who to ask for each owner's return: personal data, editors and admins)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import click

from .cli_common import (
    Failed,
    acting_user,
    db_option,
    failing,
    format_table,
    open_store,
    parse_period,
    plan_option,
    plan_settings,
    user_option,
)


@click.group("round")
def round_() -> None:
    """Returns rounds: a pre-filled workbook and an update link per owner, reminders before the
    due date and escalation after it; returns land staged for the policy team to commit."""


@round_.command("open")
@click.option(
    "--period", "-p", required=True, help="The period returns are for, e.g. '2020/21 Q3'."
)
@click.option("--due", required=True, help="The due date, e.g. 2021-01-31.")
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write each owner's workbook into this folder.",
)
@user_option("opening the round")
@plan_option
@db_option
def open_round(period: str, due: str, out: Path | None, user: str | None, db: str | None) -> None:
    """Open PERIOD for returns due on DUE: for each owner with open milestones, a workbook
    holding only their milestones (.ods for owners who prefer it) and an update link. Links
    stop working the `link_days_after_due` setting's days after DUE. Run `socplan round remind`
    to email them (or send the links yourself)."""
    from .rounds import Rounds
    from .store import StoreError

    chosen, due_date = parse_period(period), _date(due, "--due")
    assert chosen is not None
    store = open_store(db)
    settings = plan_settings(store)
    rounds = Rounds(store, settings)
    with failing(StoreError):
        found, issued = rounds.open(chosen, due_date, by=acting_user(user))
    click.echo(
        f"Opened the {found.period} round, due {found.due:%-d %B %Y}: {len(issued)} owners. "
        "Each link opens that owner's return page; keep them private."
    )
    for item in issued:
        click.echo(
            f"  {item.owner} ({item.milestones} milestones, .{item.workbook_format}): {item.url}"
        )
    if out is not None:
        _write_workbooks(rounds, found, out)
    click.echo("Email them with: socplan round remind")


def _date(text: str, param: str) -> date:
    """A date from the command line; a usage error (exit 2) naming `param` when it is not one."""
    from .rounds import RoundError, parse_due

    try:
        return parse_due(text, param)
    except RoundError as exc:
        raise click.UsageError(str(exc)) from None


def _write_workbooks(rounds: object, found: object, out: Path) -> None:
    from .rounds import Round, Rounds

    assert isinstance(rounds, Rounds) and isinstance(found, Round)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Failed(f"--out: cannot make the folder {out}: {exc.strerror}") from exc
    for link in rounds.links(found):
        name, data = rounds.workbook(link)
        (out / name).write_bytes(data)
    click.echo(f"Wrote the workbooks to {out}")


@round_.command("status")
@click.option(
    "--period", "-p", default=None, help="The round's period (default: the newest round)."
)
@click.option(
    "--as-of", "as_of", default=None, help="Judge lateness as on this date (default today)."
)
@click.option("--links", is_flag=True, help="Also print each owner's update link.")
@plan_option
@db_option
def status(period: str | None, as_of: str | None, links: bool, db: str | None) -> None:
    """Who has returned, who has not, and who is late, for the round of PERIOD."""
    import pandas as pd

    from .rounds import RoundError, Rounds, summary

    chosen, today = parse_period(period), _date(as_of, "--as-of") if as_of else date.today()
    store = open_store(db)
    rounds = Rounds(store, plan_settings(store))
    with failing(RoundError):
        found = rounds.get(chosen)
        states = rounds.states(found, today)
    click.echo(summary(found, states))
    rows = []
    for s in states:
        last = s.mail[-1] if s.mail else None
        row = {
            "Owner": s.owner,
            "State": s.describe,
            "Milestones": len(s.link.refs),
            "Last message": f"{last.kind} {last.day:%d %b} ({last.status})" if last else "",
            "Submitted": f"{s.submission.submitted_at:%d %b %H:%M}"
            if s.submission and s.submission.submitted_at
            else "",
        }
        if links:
            with failing(RoundError):
                row["Link"] = rounds.url(s.link)
        rows.append(row)
    click.echo(format_table(pd.DataFrame(rows)))


@round_.command("remind")
@click.option(
    "--period",
    "-p",
    default=None,
    help="Only this round (default: every round whose links still work).",
)
@click.option(
    "--as-of",
    "as_of",
    default=None,
    help="Act as on this date, YYYY-MM-DD (default today): to catch up a day the job missed.",
)
@click.option(
    "--dry-run", is_flag=True, help="Print what would be sent; send, write and log nothing."
)
@user_option("sending the messages")
@plan_option
@db_option
def remind(
    period: str | None, as_of: str | None, dry_run: bool, user: str | None, db: str | None
) -> None:
    """Email each owner who has not returned the message they are due: the invitation, a
    reminder `reminder_days` before the due date, a message on it, and after it an escalation
    copied to their escalation contacts and `team_email`; each with their workbook and link.
    Sends through SMTP (`smtp_host`), else writes .eml files to the outbox folder. Nobody gets
    two messages a day and a message that failed is tried again next run: run it daily (cron,
    a systemd timer). Exit status 1 when a message could not be sent."""
    from . import mailing
    from .rounds import RoundError, Rounds

    chosen = parse_period(period)
    today = _date(as_of, "--as-of") if as_of else date.today()
    store = open_store(db)
    settings = plan_settings(store)
    rounds = Rounds(store, settings)
    with failing(RoundError):
        if chosen is not None:
            live = [rounds.get(chosen)]
        else:  # every round whose links still work: a late owner of last quarter is still chased
            grace = timedelta(days=settings.link_days_after_due)
            live = [r for r in rounds.all() if today <= r.due + grace] or [rounds.get(None)]
    failed, problems = 0, []
    for found in reversed(live):
        with failing(RoundError):
            result = mailing.remind(
                store, settings, found, as_of=today, dry_run=dry_run, by=acting_user(user)
            )
        for item in result.outcomes:
            click.echo(f"  {item.line}")
        click.echo(result.summary)
        if result.outbox is not None and result.count(mailing.OUTBOX):
            click.echo(
                f"Wrote {result.count(mailing.OUTBOX)} messages to {result.outbox} (no mail "
                "server is configured: set SOCPLAN_SMTP_HOST to send them)"
            )
        failed += result.failed
        if result.problem:
            problems.append(result.problem)
    if failed:
        why = f" ({'; '.join(problems)})" if problems else ""
        raise Failed(
            f"{failed} messages were not sent{why}; nothing was marked sent that was not, and "
            "the next run tries them again"
        )


@round_.command("reissue")
@click.argument("owner")
@click.option(
    "--period", "-p", default=None, help="The round's period (default: the newest round)."
)
@user_option("re-issuing the link")
@plan_option
@db_option
def reissue(owner: str, period: str | None, user: str | None, db: str | None) -> None:
    """A new update link for OWNER (the old one stops working at once)."""
    from .rounds import RoundError, Rounds

    chosen = parse_period(period)
    store = open_store(db)
    rounds = Rounds(store, plan_settings(store))
    with failing(RoundError):
        found = rounds.get(chosen)
        issued = rounds.reissue(found, owner, by=acting_user(user))
    click.echo(f"New link for {issued.owner} (the old one no longer works): {issued.url}")


@round_.command("revoke")
@click.argument("owner")
@click.option(
    "--period", "-p", default=None, help="The round's period (default: the newest round)."
)
@user_option("revoking the link")
@plan_option
@db_option
def revoke(owner: str, period: str | None, user: str | None, db: str | None) -> None:
    """Stop OWNER's update link working (`socplan round reissue` gives a new one)."""
    from .rounds import RoundError, Rounds

    chosen = parse_period(period)
    store = open_store(db)
    rounds = Rounds(store, plan_settings(store))
    with failing(RoundError):
        found = rounds.get(chosen)
        rounds.revoke(found, owner, by=acting_user(user))
    click.echo(f"Revoked {owner}'s link for {found.period}.")


@click.group()
def contacts() -> None:
    """Who to ask for each owner's return. Contacts are personal data: only editors and admins
    see them, and they never appear in viewers' pages, public outputs or logs."""


@contacts.command("set")
@click.argument("owner")
@click.option("--email", "emails", multiple=True, help="A contact's address (repeat for more).")
@click.option("--name", "names", multiple=True, help="The contact's name (in --email's order).")
@click.option(
    "--escalate-to",
    "escalate",
    multiple=True,
    help="An escalation contact's address, copied after the due date (repeat for more).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "ods"]),
    default=None,
    help="The workbook format the owner prefers (default xlsx).",
)
@user_option("changing contacts")
@plan_option
@db_option
def set_contacts(
    owner: str,
    emails: tuple[str, ...],
    names: tuple[str, ...],
    escalate: tuple[str, ...],
    fmt: str | None,
    user: str | None,
    db: str | None,
) -> None:
    """Set OWNER's contacts (replacing those kept), escalation contacts and preferred workbook
    format; what is not given is kept."""
    from .contacts import ContactError, Contacts, parse_pairs

    if len(names) > len(emails):
        raise click.UsageError("give an --email for every --name")
    if not (emails or escalate or fmt):
        raise click.UsageError("give --email, --escalate-to or --format")
    store = open_store(db)
    with failing(ContactError):
        kept = Contacts(store).set(
            owner,
            parse_pairs(emails, names) if emails else None,
            escalation=parse_pairs(escalate) if escalate else None,
            workbook_format=fmt,
            by=acting_user(user),
        )
    plan = store.current_plan()
    known = _owners(store)
    click.echo(f"{kept.owner}: {kept.described}; workbook .{kept.workbook_format}.")
    if known and kept.owner not in known and plan is not None:
        click.echo(
            f"Note: no milestone of {plan.slug} is owned by '{kept.owner}' yet; check the "
            "spelling against `socplan contacts list`.",
            err=True,
        )


def _owners(store: object) -> set[str]:
    from .model import DeliveryPlan
    from .store import Store

    assert isinstance(store, Store)
    plan = DeliveryPlan.from_store(store)
    return set(plan.owners) if plan.latest is not None else set()


@contacts.command("list")
@plan_option
@db_option
def list_contacts(db: str | None) -> None:
    """Every owner of the plan with their contacts (owners with none are listed too)."""
    import pandas as pd

    from .contacts import Contacts

    store = open_store(db)
    kept = Contacts(store).all()
    owners = sorted(_owners(store) | set(kept))
    if not owners:
        raise Failed("the plan has no owners yet; run `socplan import` first")
    rows = []
    for owner in owners:
        item = kept.get(owner)
        rows.append(
            {
                "Owner": owner,
                "Contacts": "; ".join(c.address for c in item.contacts) if item else "(none)",
                "Escalation": "; ".join(c.address for c in item.escalation) if item else "",
                "Format": item.workbook_format if item else "xlsx",
            }
        )
    click.echo(format_table(pd.DataFrame(rows)))


@contacts.command("remove")
@click.argument("owner")
@user_option("changing contacts")
@plan_option
@db_option
def remove_contacts(owner: str, user: str | None, db: str | None) -> None:
    """Forget OWNER's contacts and preferred format."""
    from .contacts import Contacts

    store = open_store(db)
    if not Contacts(store).remove(owner, by=acting_user(user)):
        raise Failed(f"'{owner}' has no contacts kept; see `socplan contacts list`")
    click.echo(f"Removed {owner}'s contacts.")
