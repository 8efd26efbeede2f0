"""`socplan serve`: the one place the library reaches the dashboard (`dashboard/`), which it
starts but never imports anywhere else."""

from __future__ import annotations

import os
import sys

import click

from .cli_common import db_option


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
        # Partners' update links (/r/<token>) are logged as /r/[link]: a token is a key.
        "--logger-class",
        "dashboard.access_log.RedactingLogger",
        *extra,
        "dashboard.wsgi:server",
    ]


@click.command()
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
    from .cli_common import Failed
    from .config import load_settings, secret_key

    if workers is not None:
        if debug:
            raise click.UsageError("--debug is for the development server, not with --workers.")
        # With no SOCPLAN_SECRET_KEY, make the generated key now: workers starting together
        # would otherwise race to create it, and must all sign cookies with the same one.
        try:
            secret_key(load_settings())
        except ValueError as exc:
            raise Failed(str(exc)) from None
        # Settings reach every worker through the environment (SOCPLAN_DB and the rest).
        env = {**os.environ, **({"SOCPLAN_DB": db} if db else {})}
        command = gunicorn_command(host, port, workers, threads)
        click.echo(
            f"Serving the dashboard at http://{host}:{port}/ with gunicorn: "
            f"{workers} worker(s) x {threads} thread(s) (Ctrl+C to stop)"
        )
        sys.stdout.flush()
        os.execve(command[0], command, env)  # gunicorn takes over this process and its signals
    from dashboard.app import create_app

    try:
        app = create_app({"db": db} if db else None)
    except ValueError as exc:
        raise Failed(str(exc)) from None
    click.echo(f"Serving the dashboard at http://{host}:{port}/ (Ctrl+C to stop)")
    app.run(host=host, port=port, debug=debug)
