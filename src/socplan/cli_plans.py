"""`socplan plans ...`: the plans this installation holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .cli_common import db_option, echo_table, failing


def _store(db: str | None) -> Any:
    from .store import Store

    return Store(db)


def _refusals() -> tuple[type[Exception], ...]:
    from .store import StoreError

    return (StoreError, ValueError)


def _settings_file(path: Path | None) -> dict[str, Any]:
    """A plan's own settings from a TOML file (the same names as the installation's)."""
    if path is None:
        return {}
    import tomllib

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="'--settings'") from None


SETTINGS_OPTION = click.option(
    "--settings",
    "settings_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A TOML file of the settings where this plan differs from the installation "
    "(themes, statuses, rag_definitions, organisation, strategy, panel, logo, ...).",
)


@click.group()
def plans() -> None:
    """The plans in this installation: each has a slug (in links and --plan) and a title."""


@plans.command(name="list")
@click.option("--all", "everything", is_flag=True, help="Include archived plans.")
@db_option
def plans_list(everything: bool, db: str | None) -> None:
    """List the plans: slug, title, periods with data, the newest import."""
    import pandas as pd

    store = _store(db)
    found = store.plans(archived=everything)
    if not found:
        click.echo("No plans yet; `socplan import FILE` makes one, or `socplan plans add`.")
        return
    rows = []
    for plan in found:
        history = store.for_plan(plan.slug).history() if not plan.archived else pd.DataFrame()
        rows.append(
            {
                "slug": plan.slug,
                "title": plan.title + (" (archived)" if plan.archived else ""),
                "periods": history["period"].nunique() if not history.empty else 0,
                "last import": (
                    f"{history['imported_at'].max():%Y-%m-%d %H:%M}" if not history.empty else ""
                ),
            }
        )
    echo_table(pd.DataFrame(rows))


@plans.command(name="add")
@click.argument("slug")
@click.option("--title", required=True, help="The plan's title, as pages and reports show it.")
@SETTINGS_OPTION
@db_option
def plans_add(slug: str, title: str, settings_file: Path | None, db: str | None) -> None:
    """Add an empty plan SLUG (lower-case letters, digits and hyphens, e.g. pcc-plan)."""
    with failing(*_refusals()):
        store = _store(db)
        store.ensure_schema()
        store.add_plan(slug, title, _settings_file(settings_file))
    click.echo(f"Added the plan {slug}: {title}. Import into it with --plan {slug}.")


@plans.command(name="rename")
@click.argument("slug")
@click.option("--title", required=True, help="The new title (the slug, in links, stays).")
@db_option
def plans_rename(slug: str, title: str, db: str | None) -> None:
    """Give the plan SLUG a new title."""
    with failing(*_refusals()):
        _store(db).rename_plan(slug, title)
    click.echo(f"The plan {slug} is now called {title}.")


@plans.command(name="configure")
@click.argument("slug")
@SETTINGS_OPTION
@db_option
def plans_configure(slug: str, settings_file: Path | None, db: str | None) -> None:
    """Set the settings where the plan SLUG differs from the installation (from --settings;
    without it, the plan goes back to the installation's)."""
    with failing(*_refusals()):
        _store(db).configure_plan(slug, _settings_file(settings_file))
    click.echo(f"Settings of {slug} saved.")


@plans.command(name="archive")
@click.argument("slug")
@db_option
def plans_archive(slug: str, db: str | None) -> None:
    """Hide the plan SLUG from pages and commands; nothing of it is deleted."""
    with failing(*_refusals()):
        _store(db).archive_plan(slug)
    click.echo(f"Archived {slug}: hidden from pages and commands, its data kept.")
