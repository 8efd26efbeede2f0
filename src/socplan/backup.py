"""Backups: every row of every table in one zip of JSON lines.

Every table means the plan's revisions, the original uploaded files, accounts (with their
password hashes), the audit log and staged uploads: keep backup files as safe as the database.

A backup is a zip holding `manifest.json` (format, schema revision, row counts) and one
`<table>.jsonl` per table, one JSON object per row: dates as ISO text, bytes as base64. It is
plain and portable, so a backup taken from SQLite restores into PostgreSQL and the other way.
Restoring is only into an empty database; the rows keep their ids, so history and restores
still point at the right imports.
"""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .store import MIGRATIONS, Store, _head_revision
from .tables import metadata

FORMAT = "socplan-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BATCH = 5_000


class BackupError(Exception):
    """A backup that cannot be written or restored; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds: its schema revision and the rows of each table."""

    schema_revision: str
    rows: dict[str, int]

    @property
    def imports(self) -> int:
        """The number of imports (revisions) in the backup."""
        return self.rows.get("imports", 0)


def _socplan_version() -> str:
    try:
        return version("socplan")
    except PackageNotFoundError:  # running from a source tree
        return "unknown"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(column: sa.Column[Any]) -> Any:
    """A function turning a JSON value back into what `column` stores."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return lambda v: v
    if kind is datetime:
        aware = bool(getattr(column.type, "timezone", False))

        def to_datetime(v: Any) -> Any:
            if v is None:
                return None
            value = datetime.fromisoformat(v)
            # SQLite keeps times without a zone; socplan writes them in UTC.
            return value.replace(tzinfo=UTC) if aware and value.tzinfo is None else value

        return to_datetime
    if kind is date:
        return lambda v: None if v is None else date.fromisoformat(v)
    if kind is bytes:
        return lambda v: None if v is None else base64.b64decode(v)
    return lambda v: v


def _rows(conn: Connection, table: sa.Table) -> Iterator[dict[str, Any]]:
    """Every row of `table` in primary-key order, streamed."""
    query = sa.select(table).order_by(*table.primary_key.columns)
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(query)
    for row in result.mappings():
        yield {k: _encode(v) for k, v in row.items()}


def write_backup(store: Store, path: str | os.PathLike[str]) -> BackupSummary:
    """Write every row of the database at `store` to a backup file at `path`."""
    if not store.exists():
        raise BackupError("the database has no socplan tables: there is nothing to back up")
    if not store.schema_current():
        raise BackupError(
            "the database schema is older than this socplan; run `socplan migrate` first"
        )
    revision = _head_revision()
    assert revision is not None
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    rows: dict[str, int] = {}
    # One read transaction: on PostgreSQL the tables are read as of one moment.
    with store.engine.connect() as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table in metadata.sorted_tables:
                count = 0
                with (
                    archive.open(f"{table.name}.jsonl", "w", force_zip64=True) as raw,
                    io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as out,
                ):
                    for row in _rows(conn, table):
                        out.write(json.dumps(row, allow_nan=False, ensure_ascii=False) + "\n")
                        count += 1
                rows[table.name] = count
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "schema_revision": revision,
                "created_at": datetime.now(UTC).isoformat(),
                "socplan_version": _socplan_version(),
                "source_dialect": conn.dialect.name,
                "tables": rows,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
    partial.replace(target)
    return BackupSummary(revision, rows)


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a backup file, checked to be one socplan can restore."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest: dict[str, Any] = json.loads(archive.read(MANIFEST))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BackupError(f"{path} is not a socplan backup ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a socplan backup")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is backup format {manifest.get('format_version')}; "
            f"this socplan reads format {FORMAT_VERSION}"
        )
    return manifest


def _known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}


def _current_revision(store: Store) -> str | None:
    from alembic.runtime.migration import MigrationContext

    if not store.exists():
        return None
    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _rows_held(store: Store) -> dict[str, int]:
    """Row counts of the socplan tables that exist and are not empty."""
    if not store.exists():
        return {}
    present = set(sa.inspect(store.engine).get_table_names())
    held = {}
    with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in present:
                count = int(
                    conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0
                )
                if count:
                    held[table.name] = count
    return held


def restore_backup(store: Store, path: str | os.PathLike[str]) -> BackupSummary:
    """Load a backup into the empty database at `store`, then bring its schema up to date."""
    manifest = read_manifest(path)
    revision = str(manifest["schema_revision"])
    if revision not in _known_revisions():
        raise BackupError(
            f"the backup's schema revision {revision} is newer than this socplan knows; "
            "restore it with the socplan version that wrote it"
        )
    held = _rows_held(store)
    if held:
        what = (
            f"{held['imports']} import(s)"
            if "imports" in held
            else ", ".join(f"{n} row(s) in {t}" for t, n in held.items())
        )
        raise BackupError(
            f"the database already holds {what}; restore-backup only restores into an empty "
            "database (use --db with a new one, and restore before the first `socplan serve`)"
        )
    # The rows fit the schema they were written with: build that schema, load, then upgrade.
    current = _current_revision(store)
    if current != revision:
        if current is not None:
            store.downgrade("base")  # the database is empty, so nothing is lost
        store.upgrade(revision)
    expected: dict[str, int] = {str(k): int(v) for k, v in manifest["tables"].items()}
    schema = sa.MetaData()
    try:
        schema.reflect(store.engine, only=list(expected))
    except sa.exc.InvalidRequestError as exc:
        raise BackupError(f"the backup does not fit schema revision {revision}: {exc}") from None
    with (
        zipfile.ZipFile(path) as archive,
        store.engine.connect().execution_options(socplan_write=True) as conn,
        conn.begin(),
    ):
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("LOCK TABLE imports IN EXCLUSIVE MODE")
        for table in schema.sorted_tables:
            if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar():
                raise BackupError(f"{table.name} gained rows while restoring; nothing was restored")
        for table in schema.sorted_tables:
            loaded = _load_table(conn, table, archive, f"{table.name}.jsonl")
            if loaded != expected[table.name]:
                raise BackupError(
                    f"the backup is damaged: {table.name} holds {loaded} rows, "
                    f"the manifest says {expected[table.name]}; nothing was restored"
                )
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn, schema)
    store.upgrade()
    return BackupSummary(revision, expected)


def _load_table(conn: Connection, table: sa.Table, archive: zipfile.ZipFile, name: str) -> int:
    decoders = {c.name: _decoder(c) for c in table.columns}
    count = 0
    batch: list[dict[str, Any]] = []
    try:
        raw = archive.open(name)
    except KeyError:
        raise BackupError(f"the backup has no {name}; nothing was restored") from None
    with raw, io.TextIOWrapper(raw, encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            batch.append({k: decoders[k](v) for k, v in row.items()})
            if len(batch) >= BATCH:
                conn.execute(table.insert(), batch)
                count += len(batch)
                batch = []
    if batch:
        conn.execute(table.insert(), batch)
        count += len(batch)
    return count


def _reset_sequences(conn: Connection, schema: sa.MetaData) -> None:
    """Rows came with their ids: move PostgreSQL's id sequences past them."""
    for table in schema.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, sa.Integer):
            continue
        sequence = conn.execute(
            sa.select(sa.func.pg_get_serial_sequence(table.name, keys[0].name))
        ).scalar()
        if sequence:
            conn.execute(
                sa.select(
                    sa.func.setval(
                        sequence,
                        sa.func.coalesce(sa.func.max(keys[0]), 1),
                        sa.func.max(keys[0]).is_not(None),
                    )
                ).select_from(table)
            )
