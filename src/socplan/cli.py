"""The `socplan` command: thin wrappers that parse options, call the library and print.

Heavy libraries (pandas, SQLAlchemy, openpyxl) are imported inside commands so `--help` is quick.
Exit status: 0 success, 1 invalid input (validation errors), 2 usage errors.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .permissions import ROLE_NAMES  # a small table: cheap to import for --help

if TYPE_CHECKING:
    import pandas as pd

    from .periods import Period
    from .store import Store

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = "Database URL (SQLAlchemy form). Default: $SOCPLAN_DB, else data/socplan.db."


def db_option(func: F) -> F:
    """Add `--db URL` to a command."""
    return click.option("--db", "db", metavar="URL", default=None, help=DB_HELP)(func)


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


def _period(text: str | None, param: str = "--period") -> Period | None:
    from .periods import Period, PeriodError

    if text is None or not text.strip():
        return None
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{param}'") from None


def _store(db: str | None) -> Store:
    from .store import Store

    return Store(db)


def _user(user: str | None) -> str:
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


def _plan(db: str | None, need_data: bool = True) -> Any:
    from .model import DeliveryPlan

    plan = DeliveryPlan.from_store(_store(db))
    if need_data and plan.latest is None:
        click.echo(
            "The database holds no plan yet; run `socplan import` or `socplan demo`.", err=True
        )
        sys.exit(1)
    return plan


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="socplan")
def main() -> None:
    """Monitor the delivery of a strategy's recommendations.

    Keep the delivery plan in Excel, import a workbook each quarter, and read progress on the
    dashboard or in the panel report. Every command takes --db URL (or $SOCPLAN_DB).
    """


@main.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the .xlsx template.",
)
@period_option("Period the template is for. Default: the one after the newest in the database.")
@click.option(
    "--blank", is_flag=True, help="Write an empty template even if the database has a plan."
)
@db_option
def template(output: Path, period: str | None, blank: bool, db: str | None) -> None:
    """Write the workbook template, pre-filled with the current plan when there is one."""
    from .config import load_settings
    from .periods import Period
    from .template import write_template

    chosen = _period(period)
    settings = load_settings()
    plan = None if blank else _plan(db, need_data=False)
    if plan is not None and plan.latest is not None:
        target = chosen or plan.latest.next()
        ms = plan.milestones(min(target, plan.latest) if target < plan.latest else plan.latest)
        recs = plan.recommendations_at(plan.latest)
        write_template(
            output,
            target,
            recs,
            ms,
            themes=settings.themes,
            statuses=settings.statuses,
            title=settings.strategy,
        )
        click.echo(f"Wrote {output}: {len(ms)} milestones pre-filled for {target}.")
    else:
        from datetime import date

        target = chosen or Period.containing(date.today())
        write_template(
            output,
            target,
            themes=settings.themes,
            statuses=settings.statuses,
            title=settings.strategy,
        )
        click.echo(f"Wrote {output}: an empty template for {target}.")


def _print_report(report: Any, err: bool = False) -> None:
    for line in report.lines():
        click.echo(line, err=err)


def _limits() -> Any:
    from .config import load_settings
    from .safety import Limits

    return Limits.from_settings(load_settings())


def _read_input(file: Path, limits: Any) -> bytes:
    """The file's bytes, up to the size cap; its content is checked (in a child) by the importer."""
    from .safety import UnsafeFile, read_workbook_file

    try:
        return read_workbook_file(file, limits)
    except UnsafeFile as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@period_option("Reporting period the workbook is for, e.g. '2019/20 Q3'.")
@click.option("--partial", is_flag=True, help="The workbook holds only some milestones.")
@db_option
def validate(file: Path, period: str | None, partial: bool, db: str | None) -> None:
    """Print every error and warning in a workbook; write nothing."""
    from .config import load_settings
    from .importer import check
    from .workbook import Vocabulary

    chosen = _period(period)
    limits = _limits()
    data = _read_input(file, limits)
    settings = load_settings()
    known = _store(db).known_recommendations() if partial else set()
    outcome = check(
        data,
        file.name,
        period=chosen,
        partial=partial,
        known_recommendations=known,
        vocabulary=Vocabulary(settings.themes, settings.statuses),
        limits=limits,
    )
    _print_report(outcome.report)
    if not outcome.report.ok:
        click.echo(
            f"{len(outcome.report.errors)} error(s): the workbook cannot be imported.", err=True
        )
        sys.exit(1)
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
@click.option(
    "--user", default=None, help="Who is importing (default: $SOCPLAN_USER or your login)."
)
@db_option
def import_(
    file: Path, period: str | None, partial: bool, user: str | None, db: str | None
) -> None:
    """Check a workbook and store it as a new revision of its period."""
    from .config import load_settings
    from .importer import import_bytes
    from .workbook import Vocabulary

    chosen = _period(period)
    limits = _limits()
    data = _read_input(file, limits)
    settings = load_settings()
    outcome = import_bytes(
        _store(db),
        data,
        file.name,
        period=chosen,
        imported_by=_user(user),
        partial=partial,
        vocabulary=Vocabulary(settings.themes, settings.statuses),
        limits=limits,
    )
    if outcome.revision is None:
        _print_report(outcome.report, err=True)
        click.echo(f"{len(outcome.report.errors)} error(s): nothing was imported.", err=True)
        sys.exit(1)
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
@click.option(
    "--user", default=None, help="Who is restoring (default: $SOCPLAN_USER or your login)."
)
@db_option
def restore(period: str, revision: int, user: str | None, db: str | None) -> None:
    """Make an earlier revision of PERIOD current again (as a new revision; nothing is deleted)."""
    from .store import StoreError

    chosen = _period(period, "PERIOD")
    assert chosen is not None
    try:
        rev = _store(db).restore(chosen, revision, _user(user))
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Restored {chosen} revision {revision} as revision {rev.revision}.")


@main.command()
@db_option
def history(db: str | None) -> None:
    """List imports so far: period, revision, file name, SHA-256, who and when."""
    frame = _store(db).history()
    if frame.empty:
        click.echo("No imports yet.")
        return
    frame["imported_at"] = frame["imported_at"].map(lambda t: f"{t:%Y-%m-%d %H:%M}")
    frame["file_name"] = frame.apply(
        lambda r: f"{r['file_name']} ({r['note']})" if r["note"] else r["file_name"], axis=1
    )
    shown = frame[
        ["period", "revision", "kind", "file_name", "sha256", "imported_by", "imported_at"]
    ]
    click.echo(
        format_table(
            shown.rename(
                columns={"file_name": "file", "imported_by": "by", "imported_at": "when (UTC)"}
            )
        )
    )


@main.command()
@period_option("Period to report as at (default: the newest).")
@db_option
def summary(period: str | None, db: str | None) -> None:
    """Counts by status overall, by theme and by owner, as tables."""
    chosen = _period(period)
    plan = _plan(db)
    target = plan.resolve(chosen)
    ms = plan.milestones(target)
    click.echo(
        f"As at {target.end:%d %B %Y} ({target}): {len(plan.recommendations_at(target))} "
        f"recommendations, {len(ms)} milestones"
    )
    click.echo("")
    click.echo(format_table(plan.status_counts(target)))
    for by, title in (("theme", "By theme"), ("owner", "By owner")):
        click.echo(f"\n{title}")
        click.echo(format_table(plan.status_counts(target, by=by), index=True))
    click.echo(
        f"\nOverdue: {len(plan.overdue(target))}   Slipped: {len(plan.slipped(target))}   "
        f"Off track: {len(plan.off_track(target))}   "
        f"No update received: {int(plan.missing_updates(target)['missing'].sum())}"
    )


def _publication(
    plan: Any, public: bool, themes: tuple[str, ...] = (), owners: tuple[str, ...] = ()
) -> Any:
    return plan.filtered(themes, owners, public_only=public)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), required=True, help="File format."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the file (a CSV also gets FILE-metadata.json, CSVW).",
)
@period_option("Period to export as at (default: the newest).")
@click.option("--bom", is_flag=True, help="CSV only: start with a byte-order mark, for Excel.")
@click.option(
    "--public", is_flag=True, help="Leave out recommendations and milestones not for publication."
)
@click.option("--theme", "themes", multiple=True, help="Only this theme (repeat for several).")
@click.option("--owner", "owners", multiple=True, help="Only this owner (repeat for several).")
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
    from .config import load_settings
    from .export import export_frame, write_csv, write_csvw, write_xlsx

    chosen = _period(period)
    full = _plan(db)
    target = full.resolve(chosen)
    plan = _publication(full, public, themes, owners)
    frame = export_frame(plan.milestones(target))
    settings = load_settings()
    title = f"{settings.strategy}: delivery plan as at {target.end:%d %B %Y} ({target})"
    note = ""
    if public:
        left_out = len(full.filtered(themes, owners).milestones(target)) - len(frame)
        note = f"Published version: {left_out} milestones not for publication are left out."
    if fmt == "csv":
        write_csv(frame, output, bom=bom)
        meta = write_csvw(
            frame, output, title=title, publisher=settings.organisation, description=note
        )
        click.echo(f"Wrote {output} and {meta.name}: {len(frame)} milestones as at {target}.")
    else:
        write_xlsx(frame, output, title=title, note=note)
        click.echo(f"Wrote {output}: {len(frame)} milestones as at {target}.")
    if note:
        click.echo(note)


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
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the file.",
)
@period_option("Period the chart is as at (default: the newest).")
@click.option(
    "--width-cm", type=float, default=None, help="Width on the page (default 16; 25 for timelines)."
)
@click.option("--public", is_flag=True, help="Leave out items not for publication.")
@click.option("--list", "list_", is_flag=True, help="List the chart names and stop.")
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
    from .charts import UnknownChart, build_chart, chart_names

    plan = _plan(db, need_data=not list_)
    if list_:
        for chart_name, description in chart_names(plan):
            click.echo(f"{chart_name:<16} {description}")
        return
    if not name or output is None:
        raise click.UsageError("give a chart NAME and -o FILE (see `socplan chart --list`)")
    chosen = _period(period)
    try:
        item = build_chart(_publication(plan, public), name, plan.resolve(chosen))
    except UnknownChart as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="'NAME'") from None
    from .render import to_bytes

    width = width_cm or (25.0 if name.startswith("timeline-") else 16.0)
    output.write_bytes(to_bytes(item.figure, fmt, width_cm=width))
    click.echo(f"Wrote {output}: {item.title}.")


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["docx", "pdf"]), required=True, help="Word or PDF."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the report.",
)
@period_option("Period the report covers (default: the newest).")
@click.option(
    "--public",
    is_flag=True,
    help="The version for publication: items not for publication left out.",
)
@click.option(
    "--meeting-date", default=None, help="The panel meeting's date, e.g. '10 December 2020'."
)
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
    from .render import warm_up

    settings = load_settings()
    warm_up(settings)  # the browser starts while the plan loads
    from .report import build_report

    chosen = _period(period)
    plan = _plan(db)
    content = build_report(plan, settings, chosen, public=public, meeting_date=meeting_date)
    if fmt == "docx":
        from .report_docx import write_docx

        write_docx(content, output, settings)
    else:
        from .report_pdf import write_pdf

        write_pdf(content, output, settings)
    click.echo(f"Wrote {output}: {content.title} ({len(content.figures)} figures).")


def gunicorn_command(host: str, port: int, workers: int, threads: int) -> list[str]:
    """The gunicorn command line that serves the dashboard in production mode."""
    from gunicorn.config import KNOWN_SETTINGS

    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    # Recent gunicorn opens a control socket at one fixed path per user: two app servers on one
    # machine would take it from each other, and the dashboard does not use it.
    extra = (
        ["--no-control-socket"]
        if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS)
        else []
    )
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--bind",
        bind,
        "--access-logfile",
        "-",
        *extra,
        "dashboard.wsgi:server",
    ]


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="SOCPLAN_HOST",
    help="Address to listen on ($SOCPLAN_HOST).",
)
@click.option(
    "--port",
    default=8050,
    show_default=True,
    type=int,
    envvar="SOCPLAN_PORT",
    help="Port to listen on ($SOCPLAN_PORT).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    envvar="SOCPLAN_WORKERS",
    help="Production: run gunicorn with N worker processes ($SOCPLAN_WORKERS). "
    "Without it, Dash's development server.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    envvar="SOCPLAN_THREADS",
    help="Threads per gunicorn worker, with --workers ($SOCPLAN_THREADS).",
)
@click.option(
    "--debug",
    is_flag=True,
    help="Dash's development mode (reloads on change; never in production).",
)
@db_option
def serve(
    host: str, port: int, workers: int | None, threads: int, debug: bool, db: str | None
) -> None:
    """Serve the dashboard: gunicorn with --workers N (production), else the development server."""
    if workers is not None:
        if debug:
            raise click.UsageError("--debug is for the development server, not with --workers.")
        from .config import load_settings, secret_key

        # With no SOCPLAN_SECRET_KEY, make the generated key now: workers starting together
        # would otherwise race to create it, and must all sign cookies with the same one.
        try:
            secret_key(load_settings())
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        # Settings reach every worker through the environment (SOCPLAN_DB and the rest).
        env = {**os.environ, **({"SOCPLAN_DB": db} if db else {})}
        command = gunicorn_command(host, port, workers, threads)
        click.echo(
            f"Serving the dashboard at http://{host}:{port}/ with gunicorn: "
            f"{workers} worker(s) x {threads} thread(s) (Ctrl+C to stop)"
        )
        sys.stdout.flush()
        os.execve(command[0], command, env)  # gunicorn takes over this process and its signals
    # The dashboard lives beside the library, which never imports Dash itself.
    from dashboard.app import create_app

    try:
        app = create_app({"db": db} if db else None)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Serving the dashboard at http://{host}:{port}/ (Ctrl+C to stop)")
    app.run(host=host, port=port, debug=debug)


@main.command()
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing (and succeed) when the database already has a plan.",
)
@db_option
def demo(if_empty: bool, db: str | None) -> None:
    """Load the illustrative sample plan (four quarters) into a fresh database."""
    from .demo import load_demo

    store = _store(db)
    if not store.is_empty():
        if if_empty:
            click.echo("The database already holds a plan; the sample was not loaded.")
            return
        click.echo(
            "error: the database already holds a plan; use --db with a new database.", err=True
        )
        sys.exit(1)
    for outcome, name in load_demo(store):
        rev = outcome.revision
        assert rev is not None
        click.echo(f"Imported {name} as {rev.period} revision {rev.revision} ({rev.kind}).")


@main.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the backup (a .zip of JSON lines).",
)
@db_option
def backup(output: Path, db: str | None) -> None:
    """Write every import, revision and original file to one backup file."""
    from .backup import BackupError, write_backup

    try:
        summary = write_backup(_store(db), output)
    except BackupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
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

    try:
        summary = restore_backup(_store(db), file)
    except BackupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Restored {file}: {summary.imports} import(s), {sum(summary.rows.values())} rows.")


@main.command()
@db_option
def migrate(db: str | None) -> None:
    """Create the database or upgrade its schema to this version (Alembic); safe to repeat."""
    store = _store(db)
    if store.schema_current():
        click.echo("The database schema is up to date.")
        return
    store.upgrade()
    click.echo("The database schema is now up to date.")


def _new_password(from_stdin: bool) -> str:
    """A password typed on standard input, or a generated one."""
    from .accounts import generate_password

    return sys.stdin.readline().rstrip("\n") if from_stdin else generate_password()


@main.group()
def users() -> None:
    """Manage accounts: viewer (panel members), editor (policy team), admin."""


@users.command(name="add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(ROLE_NAMES),
    default="viewer",
    show_default=True,
    help="What they may do.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of generating one.",
)
@db_option
def users_add(username: str, role: str, password_stdin: bool, db: str | None) -> None:
    """Create an account; prints a generated password once unless --password-stdin."""
    from .accounts import AccountError, Accounts

    password = _new_password(password_stdin)
    try:
        Accounts(_store(db)).add(username, role, password, by=f"cli:{_user(None)}")
    except AccountError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Added {username} as {role}.")
    if not password_stdin:
        click.echo(f"Password (shown once; pass it on safely): {password}")


@users.command(name="list")
@db_option
def users_list(db: str | None) -> None:
    """List accounts and their roles."""
    from .accounts import Accounts

    frame = Accounts(_store(db)).list()
    if frame.empty:
        click.echo("No accounts yet; add one with `socplan users add NAME --role admin`.")
        return
    frame["created_at"] = frame["created_at"].map(lambda t: f"{t:%Y-%m-%d %H:%M}")
    click.echo(
        format_table(frame.rename(columns={"username": "user", "created_at": "created (UTC)"}))
    )


@users.command(name="set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLE_NAMES))
@db_option
def users_set_role(username: str, role: str, db: str | None) -> None:
    """Change the role of USERNAME to ROLE."""
    from .accounts import AccountError, Accounts

    try:
        Accounts(_store(db)).set_role(username, role, by=f"cli:{_user(None)}")
    except AccountError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"{username} is now {role}.")


@users.command(name="set-password")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of generating one.",
)
@db_option
def users_set_password(username: str, password_stdin: bool, db: str | None) -> None:
    """Give USERNAME a new password (generated and shown once unless --password-stdin)."""
    from .accounts import AccountError, Accounts

    password = _new_password(password_stdin)
    try:
        Accounts(_store(db)).set_password(username, password, by=f"cli:{_user(None)}")
    except AccountError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"New password for {username}" + ("." if password_stdin else f" (shown once): {password}")
    )


@users.command(name="remove")
@click.argument("username")
@db_option
def users_remove(username: str, db: str | None) -> None:
    """Delete the account USERNAME (the audit log keeps what they did)."""
    from .accounts import AccountError, Accounts

    try:
        Accounts(_store(db)).remove(username, by=f"cli:{_user(None)}")
    except AccountError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Removed {username}.")


if __name__ == "__main__":
    main()
