"""What every `socplan` command shares: the --db and --period options, the store, who is
acting, failures with exit status 1, and plain-text tables."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    import pandas as pd

    from .config import Settings
    from .periods import Period
    from .store import Store

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = "Database URL (SQLAlchemy form). Default: $SOCPLAN_DB, else data/socplan.db."
PLAN_HELP = (
    "The plan (its slug; see `socplan plans list`). Default: $SOCPLAN_PLAN, else the only one."
)


class Failed(click.ClickException):
    """The command could not do what was asked (invalid input): `error: ...`, exit status 1."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class Invalid(Failed):
    """A workbook with errors: its problems were printed one per line; this is the last line."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.format_message(), err=True)


@contextmanager
def failing(*errors: type[Exception]) -> Iterator[None]:
    """Turn the library's refusals (`errors`) into `Failed`, keeping their message."""
    try:
        yield
    except errors as exc:
        raise Failed(str(exc)) from None


def db_option(func: F) -> F:
    """Add `--db URL` to a command."""
    return click.option("--db", "db", metavar="URL", default=None, help=DB_HELP)(func)


def _keep_plan(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    ctx.meta["socplan_plan"] = value or None


def plan_option(func: F) -> F:
    """Add `--plan SLUG` (or $SOCPLAN_PLAN) to a command that reads or writes a plan's data;
    `open_store` reads it."""
    return click.option(
        "--plan",
        metavar="SLUG",
        envvar="SOCPLAN_PLAN",
        default=None,
        expose_value=False,
        callback=_keep_plan,
        help=PLAN_HELP,
    )(func)


def _keep_published(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    ctx.meta["socplan_published"] = value


def published_option(func: F) -> F:
    """Add `--published`: read the plan as the panel sees it (signed-off periods only) instead
    of with its drafts; `published_wanted` reads it."""
    return click.option(
        "--published",
        is_flag=True,
        expose_value=False,
        callback=_keep_published,
        help="Only what was signed off for the panel (default: drafts too, marked DRAFT).",
    )(func)


def published_wanted() -> bool:
    """True when --published was given."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx.meta.get("socplan_published")) if ctx is not None else False


def period_option(help_text: str, required: bool = False) -> Callable[[F], F]:
    """Add `--period P` to a command."""
    return click.option(
        "--period",
        "-p",
        "period",
        metavar="PERIOD",
        default=None,
        required=required,
        help=help_text,
    )


def output_option(help_text: str, required: bool = True) -> Callable[[F], F]:
    """Add `-o/--output FILE` to a command."""
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        required=required,
        help=help_text,
    )


def public_option(func: F) -> F:
    """Add `--public`: the version for publication, items not for publication left out."""
    return click.option(
        "--public",
        is_flag=True,
        help="Leave out recommendations and milestones not for publication.",
    )(func)


def user_option(doing: str) -> Callable[[F], F]:
    """Add `--user NAME`: who is `doing` it, for the history and the audit log."""
    return click.option(
        "--user", default=None, help=f"Who is {doing} (default: $SOCPLAN_USER or your login)."
    )


def parse_period(text: str | None, param: str = "--period") -> Period | None:
    """A period from the command line (None when not given); a usage error when not a quarter."""
    from .periods import Period, PeriodError

    if text is None or not text.strip():
        return None
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{param}'") from None


def chosen_plan() -> str | None:
    """The plan named by --plan or $SOCPLAN_PLAN, if any."""
    ctx = click.get_current_context(silent=True)
    named = ctx.meta.get("socplan_plan") if ctx is not None else None
    return named or os.environ.get("SOCPLAN_PLAN") or None


def open_store(db: str | None) -> Store:
    """The store named by --db (or the default), working on the plan named by --plan (or the
    only one). A plan that cannot be chosen is a usage error (exit status 2) listing the plans:
    several and none named, or one named that is not there (an empty database is fine: the
    first import makes the plan)."""
    from .store import PlanError, Store, check_slug

    store = Store(db, plan=chosen_plan())
    try:
        if store.plan is not None:
            check_slug(store.plan)
        store.current_plan()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--plan'") from None
    except PlanError as exc:
        raise click.UsageError(str(exc)) from None
    return store


def plan_settings(store: Store) -> Settings:
    """The settings in force for the store's plan (the installation's, with the plan's own)."""
    from .config import for_plan, load_settings

    return for_plan(load_settings(), store.current_plan())


def acting_user(user: str | None = None) -> str:
    """Who is running the command: --user, $SOCPLAN_USER or the login name."""
    if user:
        return user
    if os.environ.get("SOCPLAN_USER"):
        return os.environ["SOCPLAN_USER"]
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def format_table(frame: pd.DataFrame, index: bool = False) -> str:
    """A plain-text table with aligned columns."""
    data = frame.reset_index() if index else frame
    header = [str(c) for c in data.columns]
    rows = [
        ["" if v is None or v != v else str(v) for v in r] for r in data.itertuples(index=False)
    ]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if c.replace(".", "").isdigit() else c.ljust(w)
            for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def echo_table(frame: pd.DataFrame, index: bool = False, **names: str) -> None:
    """Print a frame as a table, its columns renamed by `names` (column=heading)."""
    click.echo(format_table(frame.rename(columns=names), index=index))


def echo_rows(frame: pd.DataFrame, empty: str, when: str, **names: str) -> None:
    """Print a listing as a table (its `when` column as date and time), or `empty` when none."""
    if frame.empty:
        click.echo(empty)
        return
    frame[when] = frame[when].map(lambda t: f"{t:%Y-%m-%d %H:%M}")
    click.echo(format_table(frame.rename(columns=names)))
