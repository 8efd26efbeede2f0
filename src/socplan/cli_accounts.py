"""`socplan users ...`: accounts and their roles."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from .cli_common import acting_user, db_option, echo_rows, failing
from .permissions import ROLE_NAMES  # a small table: cheap to import for --help

if TYPE_CHECKING:
    from .accounts import Accounts

PLAN_OPTION = click.option(
    "--plan",
    metavar="SLUG",
    default=None,
    help="The role is on this plan only (default: on every plan).",
)
PASSWORD_STDIN = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of generating one.",
)


def _new_password(from_stdin: bool) -> str:
    """A password typed on standard input, or a generated one."""
    from .accounts import generate_password

    return sys.stdin.readline().rstrip("\n") if from_stdin else generate_password()


def _accounts(db: str | None) -> Accounts:
    from .accounts import Accounts
    from .store import Store

    return Accounts(Store(db))  # accounts belong to the installation, not to one plan


def _refusals() -> type[Exception]:
    from .accounts import AccountError

    return AccountError


@click.group()
def users() -> None:
    """Manage accounts: viewer (panel members), editor (policy team), admin; a role is on
    every plan, or on one plan (--plan SLUG)."""


@users.command(name="add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(ROLE_NAMES),
    default="viewer",
    show_default=True,
    help="What they may do.",
)
@PLAN_OPTION
@PASSWORD_STDIN
@db_option
def users_add(
    username: str, role: str, plan: str | None, password_stdin: bool, db: str | None
) -> None:
    """Create an account with ROLE on every plan (or, with --plan, on that plan only); prints a
    generated password once unless --password-stdin."""
    password = _new_password(password_stdin)
    with failing(_refusals()):
        _accounts(db).add(username, role, password, by=f"cli:{acting_user()}", plan=plan)
    click.echo(f"Added {username} as {role}{f' of {plan}' if plan else ''}.")
    if not password_stdin:
        click.echo(f"Password (shown once; pass it on safely): {password}")


@users.command(name="list")
@db_option
def users_list(db: str | None) -> None:
    """List accounts and their roles."""
    echo_rows(
        _accounts(db).list(),
        "No accounts yet; add one with `socplan users add NAME --role admin`.",
        "created_at",
        username="user",
        created_at="created (UTC)",
    )


@users.command(name="set-role")
@click.argument("username")
@click.argument("role", type=click.Choice([*ROLE_NAMES, "none"]))
@PLAN_OPTION
@db_option
def users_set_role(username: str, role: str, plan: str | None, db: str | None) -> None:
    """Change the role of USERNAME to ROLE on every plan, or with --plan on that plan only
    (ROLE `none` with --plan takes their role on that plan away). Their sessions end."""
    if role == "none" and not plan:
        raise click.BadParameter("'none' is for one plan: name it with --plan", param_hint="ROLE")
    with failing(_refusals()):
        _accounts(db).set_role(username, role, by=f"cli:{acting_user()}", plan=plan)
    click.echo(f"{username} is now {role}{f' of {plan}' if plan else ''}.")


@users.command(name="set-password")
@click.argument("username")
@PASSWORD_STDIN
@db_option
def users_set_password(username: str, password_stdin: bool, db: str | None) -> None:
    """Give USERNAME a new password (generated and shown once unless --password-stdin)."""
    password = _new_password(password_stdin)
    with failing(_refusals()):
        _accounts(db).set_password(username, password, by=f"cli:{acting_user()}")
    click.echo(
        f"New password for {username}" + ("." if password_stdin else f" (shown once): {password}")
    )


@users.command(name="remove")
@click.argument("username")
@db_option
def users_remove(username: str, db: str | None) -> None:
    """Delete the account USERNAME (the audit log keeps what they did)."""
    with failing(_refusals()):
        _accounts(db).remove(username, by=f"cli:{acting_user()}")
    click.echo(f"Removed {username}.")
