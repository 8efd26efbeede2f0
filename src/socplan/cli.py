"""The `socplan` command: thin wrappers that parse options, call the library and print.

Heavy libraries (pandas, SQLAlchemy, openpyxl) are imported inside commands so `--help` is quick.
Exit status: 0 success, 1 invalid input (validation errors), 2 usage errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .cli_accounts import users
from .cli_common import (
    Failed,
    Invalid,
    db_option,
    echo_rows,
    echo_table,
    failing,
    open_store,
    output_option,
    parse_period,
    period_option,
    plan_option,
    plan_settings,
    public_option,
    published_option,
    published_wanted,
    user_option,
)
from .cli_common import acting_user as _user
from .cli_evidence import evidence
from .cli_plans import plans
from .cli_rounds import contacts, round_
from .cli_signoff import signoff
from .serve import serve

EXPORT_FORMATS = ["csv", "xlsx", "ods"]


def _plan(db: str | None, need_data: bool = True, published: bool | None = None) -> tuple[Any, Any]:
    """The plan named by --plan (or the only one) and the settings in force for it: with its
    drafts (the policy team's view), or as the panel sees it with `published` (default:
    --published)."""
    from .model import DeliveryPlan

    store = open_store(db)
    published = published_wanted() if published is None else published
    plan = DeliveryPlan.from_store(store, published=published)
    if need_data and plan.latest is None:
        if published and not store.is_empty():
            raise Failed("no period is signed off yet; sign one off with `socplan signoff PERIOD`")
        raise Failed("the database holds no plan yet; run `socplan import` or `socplan demo`")
    for period in plan.draft_periods() if need_data else []:
        click.echo(f"DRAFT: {period} is not signed off for the panel.", err=True)
    return plan, plan_settings(store)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="socplan")
def main() -> None:
    """Monitor the delivery of a strategy's recommendations.

    Keep the delivery plan in Excel, import a workbook each quarter, and read progress on the
    dashboard or in the panel report. Every command takes --db URL (or $SOCPLAN_DB); those that
    read or write a plan's data take --plan SLUG (or $SOCPLAN_PLAN), which may be left out while
    the database holds one plan.
    """


@main.command()
@output_option("Where to write the template: FILE.xlsx (Excel) or FILE.ods (OpenDocument).")
@period_option("Period the template is for. Default: the one after the newest in the database.")
@click.option(
    "--blank", is_flag=True, help="Write an empty template even if the database has a plan."
)
@plan_option
@db_option
def template(output: Path, period: str | None, blank: bool, db: str | None) -> None:
    """Write the workbook template, pre-filled with the current plan when there is one."""
    from .intake.template import template_format, write_plan_template

    plan, settings = _plan(db, need_data=False)
    chosen, count = write_plan_template(
        output, plan, settings, parse_period(period), blank=blank, fmt=template_format(output)
    )
    if count:
        click.echo(f"Wrote {output}: {count} milestones pre-filled for {chosen}.")
    else:
        click.echo(f"Wrote {output}: an empty template for {chosen}.")


def _print_report(report: Any, err: bool = False) -> None:
    for line in report.lines():
        click.echo(line, err=err)


def _limits() -> Any:
    from .config import load_settings
    from .intake.safety import Limits

    return Limits.from_settings(load_settings())


def _read_input(file: Path, limits: Any) -> bytes:
    """The file's bytes, up to the size cap; its content is checked (in a child) by the importer."""
    from .intake.safety import UnsafeFile, read_workbook_file

    with failing(UnsafeFile):
        return read_workbook_file(file, limits)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@period_option("Reporting period the workbook is for, e.g. '2019/20 Q3'.")
@click.option("--partial", is_flag=True, help="The workbook holds only some milestones.")
@plan_option
@db_option
def validate(file: Path, period: str | None, partial: bool, db: str | None) -> None:
    """Print every error and warning in a workbook; write nothing."""
    from .intake.importer import check
    from .intake.workbook import Vocabulary

    chosen = parse_period(period)
    limits = _limits()
    data = _read_input(file, limits)
    store = open_store(db)
    settings = plan_settings(store)
    known = store.known_recommendations() if partial else set()
    outcome = check(
        data,
        file.name,
        period=chosen,
        partial=partial,
        known_recommendations=known,
        vocabulary=Vocabulary.from_settings(settings),
        limits=limits,
    )
    _print_report(outcome.report)
    if not outcome.report.ok:
        raise Invalid(f"{len(outcome.report.errors)} error(s): the workbook cannot be imported.")
    parsed = outcome.parsed
    assert parsed is not None
    click.echo(
        f"OK: {len(parsed.recommendations)} recommendations, {len(parsed.milestones)} milestones"
        f"{f' for {outcome.period}' if outcome.period else ''}; "
        f"{len(outcome.report.warnings)} warning(s)."
    )


@main.command(name="import")
@click.argument("file", type=click.Path(path_type=Path))
@period_option("Reporting period, e.g. '2019/20 Q3' (default: the workbook's About sheet).")
@click.option(
    "--partial",
    is_flag=True,
    help="Merge a workbook holding only some milestones (one partner's return) into the period.",
)
@user_option("importing")
@plan_option
@db_option
def import_(
    file: Path, period: str | None, partial: bool, user: str | None, db: str | None
) -> None:
    """Check a workbook and store it as a new revision of its period (an import into an empty
    database makes the plan: `main`, or the one --plan names)."""
    from .intake.importer import import_bytes
    from .intake.workbook import Vocabulary

    chosen = parse_period(period)
    limits = _limits()
    data = _read_input(file, limits)
    store = open_store(db)
    settings = plan_settings(store)
    outcome = import_bytes(
        store,
        data,
        file.name,
        period=chosen,
        imported_by=_user(user),
        partial=partial,
        vocabulary=Vocabulary.from_settings(settings),
        limits=limits,
    )
    if outcome.revision is None:
        _print_report(outcome.report, err=True)
        raise Invalid(f"{len(outcome.report.errors)} error(s): nothing was imported.")
    _print_report(outcome.report)
    rev = outcome.revision
    click.echo(
        f"Imported {file.name} as {rev.period} revision {rev.revision} ({rev.kind}): "
        f"{rev.milestones} milestones, {rev.carried_forward} carried forward with no update."
    )


@main.command()
@click.argument("period")
@click.option(
    "--revision", "-r", type=int, required=True, help="The revision to make current again."
)
@user_option("restoring")
@plan_option
@db_option
def restore(period: str, revision: int, user: str | None, db: str | None) -> None:
    """Make an earlier revision of PERIOD current again (as a new revision; nothing is deleted)."""
    from .store import StoreError

    chosen = parse_period(period, "PERIOD")
    assert chosen is not None
    with failing(StoreError):
        rev = open_store(db).restore(chosen, revision, _user(user))
    click.echo(f"Restored {chosen} revision {revision} as revision {rev.revision}.")


@main.command()
@plan_option
@db_option
def history(db: str | None) -> None:
    """List imports so far: period, revision, file name, SHA-256, who and when."""
    frame = open_store(db).history()
    frame["file_name"] = [
        f"{name} ({note})" if note else name
        for name, note in zip(frame["file_name"], frame["note"], strict=True)
    ]
    columns = ["period", "revision", "kind", "file_name", "sha256", "imported_by", "imported_at"]
    echo_rows(
        frame[columns],
        "No imports yet.",
        "imported_at",
        file_name="file",
        imported_by="by",
        imported_at="when (UTC)",
    )


@main.command()
@period_option("Period to report as at (default: the newest).")
@published_option
@plan_option
@db_option
def summary(period: str | None, db: str | None) -> None:
    """Counts by status overall, by theme and by owner, as tables."""
    chosen = parse_period(period)
    plan, _ = _plan(db)
    target = plan.resolve(chosen)
    ms = plan.milestones(target)
    click.echo(
        f"As at {target.end:%d %B %Y} ({target}): {len(plan.recommendations_at(target))} "
        f"recommendations, {len(ms)} milestones"
    )
    click.echo("")
    echo_table(plan.status_counts(target))
    for by, title in (("theme", "By theme"), ("owner", "By owner")):
        click.echo(f"\n{title}")
        echo_table(plan.status_counts(target, by=by), index=True)
    click.echo(
        f"\nOverdue: {len(plan.overdue(target))}   Slipped: {len(plan.slipped(target))}   "
        f"Off track: {len(plan.off_track(target))}   "
        f"No update received: {int(plan.missing_updates(target)['missing'].sum())}"
    )


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default=None,
    help="File format. Default: from the -o suffix (.csv, .xlsx or .ods).",
)
@output_option("Where to write the file (a CSV also gets FILE-metadata.json, CSVW).")
@period_option("Period to export as at (default: the newest).")
@click.option("--bom", is_flag=True, help="CSV only: start with a byte-order mark, for Excel.")
@public_option
@published_option
@click.option("--theme", "themes", multiple=True, help="Only this theme (repeat for several).")
@click.option("--owner", "owners", multiple=True, help="Only this owner (repeat for several).")
@plan_option
@db_option
def export(
    fmt: str,
    output: Path,
    period: str | None,
    bom: bool,
    public: bool,
    themes: tuple[str, ...],
    owners: tuple[str, ...],
    db: str | None,
) -> None:
    """Export one row per milestone as at a period, safe against formula injection."""
    from .reporting.export import plan_export, write_csv, write_csvw, write_ods, write_xlsx

    fmt = fmt or output.suffix.lower().lstrip(".")
    if fmt not in EXPORT_FORMATS:
        raise click.UsageError(
            f"cannot tell the format from {output.name}; give --format {'|'.join(EXPORT_FORMATS)}"
        )

    plan, settings = _plan(db)
    target = plan.resolve(parse_period(period))
    out = plan_export(plan, target, settings, public=public, themes=themes, owners=owners)
    if fmt == "csv":
        write_csv(out.frame, output, bom=bom)
        meta = write_csvw(
            out.frame,
            output,
            title=out.title,
            publisher=settings.organisation,
            description=out.note,
        )
        click.echo(f"Wrote {output} and {meta.name}: {len(out.frame)} milestones as at {target}.")
    else:
        writer = write_ods if fmt == "ods" else write_xlsx
        writer(out.frame, output, title=out.title, note=out.note)
        click.echo(f"Wrote {output}: {len(out.frame)} milestones as at {target}.")
    if out.note:
        click.echo(out.note)


@main.command()
@click.argument("name", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["png", "svg", "pdf", "html"]),
    default="png",
    show_default=True,
    help="File format (PNG at twice screen resolution; HTML is interactive).",
)
@output_option("Where to write the file.", required=False)
@period_option("Period the chart is as at (default: the newest).")
@click.option(
    "--width-cm", type=float, default=None, help="Width on the page (default 16; 25 for timelines)."
)
@public_option
@published_option
@click.option("--list", "list_", is_flag=True, help="List the chart names and stop.")
@plan_option
@db_option
def chart(
    name: str | None,
    fmt: str,
    output: Path | None,
    period: str | None,
    width_cm: float | None,
    public: bool,
    list_: bool,
    db: str | None,
) -> None:
    """Write one dashboard chart as a file sized for an A4 Word page (NAME from --list)."""
    from .reporting.charts import UnknownChart, build_chart, chart_names

    plan, settings = _plan(db, need_data=not list_)
    if list_:
        for chart_name, description in chart_names(plan):
            click.echo(f"{chart_name:<16} {description}")
        return
    if not name or output is None:
        raise click.UsageError("give a chart NAME and -o FILE (see `socplan chart --list`)")
    chosen = parse_period(period)
    try:
        item = build_chart(plan.filtered(public_only=public), name, plan.resolve(chosen))
    except UnknownChart as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="'NAME'") from None
    from .reporting.render import to_bytes

    width = width_cm or (25.0 if name.startswith("timeline-") else 16.0)
    output.write_bytes(to_bytes(item.figure, fmt, width_cm=width, settings=settings))
    click.echo(f"Wrote {output}: {item.title}.")


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["docx", "pdf"]), required=True, help="Word or PDF."
)
@output_option("Where to write the report.")
@period_option("Period the report covers (default: the newest).")
@public_option
@published_option
@click.option(
    "--meeting-date", default=None, help="The panel meeting's date, e.g. '10 December 2020'."
)
@plan_option
@db_option
def report(
    fmt: str,
    output: Path,
    period: str | None,
    public: bool,
    meeting_date: str | None,
    db: str | None,
) -> None:
    """Write the panel progress report (Word or PDF) in the shape of a panel paper."""
    from .config import load_settings
    from .reporting import export_server

    # Chromium and plotly.js load (about two seconds) while the plan loads and the figures are
    # built; export_server imports nothing heavy, so it starts before anything else is read.
    export_server.start(load_settings())
    from .evidence_store import EvidenceStore
    from .reporting.report import build_report

    chosen = parse_period(period)
    plan, settings = _plan(db)
    evidence = EvidenceStore(open_store(db)).list(public_only=True)  # the panel's: public only
    content = build_report(
        plan, settings, chosen, public=public, meeting_date=meeting_date, evidence=evidence
    )
    if fmt == "docx":
        from .reporting.report_docx import write_docx

        write_docx(content, output, settings)
    else:
        from .reporting.report_pdf import write_pdf

        write_pdf(content, output, settings)
    click.echo(f"Wrote {output}: {content.title} ({len(content.figures)} figures).")


@main.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The folder to write the site to: new, empty, or holding a site written before.",
)
@period_option("Period to publish (default: the newest signed off).")
@click.option("--title", default=None, help="The title on every page (default: the plan's title).")
@plan_option
@db_option
def site(output: Path, period: str | None, title: str | None, db: str | None) -> None:
    """Write the public site: a period's public items as static pages, charts and open data."""
    from .reporting.site import SiteError, write_site
    from .reporting.site_folder import check_folder

    chosen = parse_period(period)
    plan, settings = _plan(db, published=True)  # the public only ever sees what was signed off
    with failing(SiteError):
        check_folder(output)
        from .reporting.render import warm_up

        warm_up(settings)  # the browser starts while the pages are laid out
        written = write_site(plan, chosen, settings, output, title=title)
    published = written.site
    click.echo(
        f"Wrote {output}: {len(written.files)} files, {published.recommendations} recommendations "
        f"and {published.milestones} milestones as at {published.period}."
    )
    click.echo(published.left_out)
    if written.removed:
        click.echo(f"Removed {len(written.removed)} files the site no longer has.")


@main.command()
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing (and succeed) when the database already has a plan.",
)
@db_option
def demo(if_empty: bool, db: str | None) -> None:
    """Load the illustrative plans into a fresh database: the SOC strategy's delivery plan
    (four quarters) as `soc-strategy`, with fictitious contacts for its owners, and inspection
    recommendations grouped by report."""
    from .demo import SOC_PLAN, demo_contacts, load_demo_plans
    from .store import Store

    store = Store(db)
    if store.plans(archived=True):
        if if_empty:
            click.echo("The database already holds a plan; the samples were not loaded.")
            return
        raise Failed("the database already holds a plan; use --db with a new database")
    for slug, outcome, name in load_demo_plans(store):
        rev = outcome.revision
        assert rev is not None
        click.echo(f"{slug}: imported {name} as {rev.period} revision {rev.revision} ({rev.kind}).")
    owners = demo_contacts(store.for_plan(SOC_PLAN[0]))
    click.echo(
        f"{SOC_PLAN[0]}: fictitious contacts (example.org) for its {owners} owners, for returns "
        "rounds (see socplan contacts list)."
    )


@main.command()
@output_option("Where to write the backup (a .zip of JSON lines).")
@db_option
def backup(output: Path, db: str | None) -> None:
    """Write every import, revision and original file to one backup file."""
    from .backup import BackupError, write_backup
    from .store import Store

    with failing(BackupError):
        summary = write_backup(Store(db), output)  # every plan
    rows = sum(summary.rows.values())
    click.echo(
        f"Wrote {output}: {summary.imports} import(s), {rows} rows, "
        f"schema revision {summary.schema_revision}."
    )


@main.command(name="restore-backup")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def restore_backup(file: Path, db: str | None) -> None:
    """Load a backup file into an empty database (SQLite or PostgreSQL), then upgrade its schema."""
    from .backup import BackupError, restore_backup
    from .store import Store

    with failing(BackupError):
        summary = restore_backup(Store(db), file)
    click.echo(f"Restored {file}: {summary.imports} import(s), {sum(summary.rows.values())} rows.")


@main.command()
@db_option
def migrate(db: str | None) -> None:
    """Create the database or upgrade its schema to this version (Alembic); safe to repeat."""
    from .store import Store

    store = Store(db)
    if store.schema_current():
        click.echo("The database schema is up to date.")
        return
    store.upgrade()
    click.echo("The database schema is now up to date.")


main.add_command(signoff)
main.add_command(round_)
main.add_command(contacts)
main.add_command(users)
main.add_command(plans)
main.add_command(evidence)
main.add_command(serve)


if __name__ == "__main__":
    main()
