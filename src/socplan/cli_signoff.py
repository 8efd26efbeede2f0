"""`socplan signoff`: publish a period to the panel, take it back, or list each period's state."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .cli_common import (
    Failed,
    acting_user,
    db_option,
    failing,
    open_store,
    parse_period,
    plan_option,
    user_option,
)

if TYPE_CHECKING:
    from .signoffs import PeriodState


@click.command()
@click.argument("period", required=False)
@click.option("--withdraw", is_flag=True, help="Take PERIOD back from the panel (needs --reason).")
@click.option("--reason", default=None, help="Why PERIOD is withdrawn (kept with the withdrawal).")
@click.option(
    "--revision",
    "-r",
    type=int,
    default=None,
    help="Sign off only if this is still PERIOD's current revision.",
)
@user_option("signing off")
@plan_option
@db_option
def signoff(
    period: str | None,
    withdraw: bool,
    reason: str | None,
    revision: int | None,
    user: str | None,
    db: str | None,
) -> None:
    """Sign off PERIOD: the panel sees its current revision from now on, until a later one is
    signed off. With --withdraw --reason R, the panel no longer sees PERIOD. With no PERIOD,
    list every period's state (draft or published, by whom, when)."""
    from . import signoffs
    from .accounts import Accounts
    from .store import StoreError

    store = open_store(db)
    if period is None:
        if withdraw or reason or revision is not None:
            raise click.UsageError("name the PERIOD to sign off or withdraw")
        _list(signoffs.period_states(store))
        return
    chosen = parse_period(period, "PERIOD")
    assert chosen is not None
    if withdraw and revision is not None:
        raise click.UsageError("--revision is for signing off, not --withdraw")
    if reason and not withdraw:
        raise click.UsageError("--reason goes with --withdraw")
    if withdraw and not (reason or "").strip():
        raise click.UsageError("--withdraw needs --reason: say why the period is taken back")
    who = acting_user(user)
    with failing(StoreError, ValueError):
        if withdraw:
            state = signoffs.withdraw(store, chosen, who, reason or "")
            detail = f"{chosen} withdrawn: {' '.join((reason or '').split())}"
        else:
            state = signoffs.sign_off(store, chosen, who, revision=revision)
            detail = f"{chosen} revision {state.published_revision} signed off"
    plan = store.current_plan()
    Accounts(store).audit(
        who, "withdraw" if withdraw else "sign-off", detail, plan=plan.slug if plan else None
    )
    if withdraw:
        click.echo(f"Withdrew {chosen}: the panel no longer sees it.")
    else:
        click.echo(
            f"Signed off {chosen} revision {state.published_revision}: the panel sees it now."
        )


def _list(states: list[PeriodState]) -> None:
    if not states:
        raise Failed("the plan has no periods yet; run `socplan import` first")
    for state in states:
        when = f" by {state.by}, {state.at:%d %b %Y %H:%M} UTC" if state.at else ""
        why = f" ({state.reason})" if state.reason else ""
        click.echo(f"{state.period}: {state.describe}; last {state.action or 'none'}{when}{why}")
