"""The store: every import is a new revision of its period, written in one transaction.

Nothing is ever deleted: earlier revisions stay and can be restored (which itself makes a new
revision); a milestone missing from a workbook is carried forward and flagged "no update".
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .periods import Period
from .schema import (
    DATE_FIELDS,
    MILESTONE_FIELDS,
    RECOMMENDATION_FIELDS,
)
from .tables import (
    import_files,
    imports,
    milestone_rows,
    plans,
    recommendation_rows,
    signoffs,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_url() -> str:
    """`SOCPLAN_DB` if set, else an SQLite file in `home()`."""
    return os.environ.get("SOCPLAN_DB") or f"sqlite:///{home() / 'socplan.db'}"


def home() -> Path:
    """Where the default database lives: `data/` in a checkout (the README's way of running),
    else the platform's data folder for the user (an installed package has no data/ of its own)."""
    if (DATA_DIR.parent / "pyproject.toml").exists():
        return DATA_DIR
    import platformdirs

    return Path(platformdirs.user_data_dir("socplan"))


@functools.cache
def _head_revision() -> str | None:
    """The newest migration (read once per process: the files do not change while running)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


class StoreError(Exception):
    """A request the store cannot carry out (for example an unknown revision)."""


class StalePreview(StoreError):
    """A commit refused because the plan changed after its preview was made."""


class PlanError(StoreError):
    """No plan can be chosen as asked: unknown, archived, or several and none named."""

    def __init__(self, message: str, slugs: list[str]):
        super().__init__(message)
        self.slugs = slugs


SIGNED_OFF = "sign-off"  # a `signoffs` row's action: the panel sees the import it names
WITHDRAWN = "withdraw"  # ... or no longer sees the period (see signoffs.py)
FIRST_PLAN = "main"  # the plan an import into an empty database makes, unless one is named
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# What a plan may set for itself; the rest is the installation's.
PLAN_SETTINGS = (
    "organisation",
    "strategy",
    "panel",
    "logo",
    "primary_colour",
    "themes",
    "statuses",
    "rag_definitions",
    "meeting_date",
    "contacts",
)


@dataclass(frozen=True)
class Plan:
    """One delivery plan: its slug (in URLs and on the command line), title and own settings."""

    id: int
    slug: str
    title: str
    settings: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    archived: bool = False


def check_slug(slug: str) -> str:
    """`slug` when it is a plan slug (lower-case letters, digits and hyphens), else ValueError."""
    if not SLUG.match(slug or ""):
        raise ValueError(
            f"'{slug}' is not a plan slug: use lower-case letters, digits and hyphens, "
            "starting with a letter or digit (up to 64), e.g. soc-strategy"
        )
    return slug


def check_plan_settings(values: dict[str, Any]) -> dict[str, Any]:
    """`values` when every key is a setting a plan may have, else ValueError naming the others."""
    unknown = sorted(set(values) - set(PLAN_SETTINGS))
    if unknown:
        raise ValueError(
            f"a plan cannot set {', '.join(unknown)}; it may set {', '.join(PLAN_SETTINGS)}"
        )
    return values


@dataclass(frozen=True)
class Revision:
    """What one import, partial merge or restore wrote."""

    import_id: int
    period: Period
    revision: int
    kind: str
    milestones: int
    carried_forward: int


@dataclass(frozen=True)
class Incoming:
    """A checked workbook on its way into the store: its frames and the file itself."""

    recommendations: pd.DataFrame
    milestones: pd.DataFrame
    data: bytes
    file_name: str


@dataclass(frozen=True)
class Baselines:
    """The baseline due dates (by ref, as the driver gives them) of the revision `base_id` of a
    plan, read ahead of an import of a period based on it. An import's rows never change once
    written, so they hold for as long as the period's base is still that revision."""

    plan_id: int
    base_id: int
    by_ref: dict[Any, Any]


def _sqlite_file(url: sa.URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def make_engine(url: str) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout, foreign keys and explicit BEGIN handling."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, pool_pre_ping=True)
    path = _sqlite_file(parsed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed, connect_args={"timeout": 60})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout = 60000")
        cursor.execute("PRAGMA foreign_keys = ON")
        if path is not None:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            if mode.lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the lock before reading the base state, so two imports serialise
        # instead of failing on a lock upgrade.
        immediate = conn.get_execution_options().get("socplan_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _mark(conn: Connection) -> str:
    """The driver's positional parameter marker."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _sql_literal(value: int | bool) -> str:
    """An integer or a boolean as SQL text (SQLite and PostgreSQL alike)."""
    if type(value) is bool:
        return "TRUE" if value else "FALSE"
    if type(value) is int:
        return str(value)
    raise TypeError(f"not an integer or a boolean: {value!r}")


def _read_rows(conn: Connection, table: sa.Table, ids: list[int]) -> pd.DataFrame:
    """The rows of a snapshot table for these imports, read by the driver: SQLAlchemy's
    per-value processing (dates above all) costs more than the query at 100,000 milestones.

    One import (one period) is read at a time and made compact before the next is read: the
    driver's row tuples, and the string or date object it makes for every value, never exist
    for more than one period at once (for a whole plan they took several times the frame).
    Text that repeats (every period repeats the plan's) is kept once (`_Column`)."""
    names = [c.name for c in table.c]
    if not ids:  # no rows: dates and flags typed as ever, the rest as nothing says otherwise
        empty = pd.DataFrame(columns=names)
        for column in table.c:
            if isinstance(column.type, sa.Date):
                empty[column.name] = empty[column.name].astype("datetime64[ns]")
            elif isinstance(column.type, sa.Boolean):
                empty[column.name] = empty[column.name].astype(bool)
        return empty
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in names)
    sql = f"SELECT {quoted} FROM {table.name} WHERE import_id = {_mark(conn)}"
    gathered = {c.name: _Column(c.type) for c in table.c}
    for import_id in sorted(ids):  # as one query read them: by import, then key
        rows = conn.exec_driver_sql(sql, (import_id,)).cursor.fetchall()
        # A plain grid of the driver's values: a DataFrame would first infer and convert
        # every column, only for `_Column` to convert it again.
        chunk = np.array(rows, dtype=object) if rows else np.empty((0, len(names)), object)
        del rows
        for position, part in enumerate(gathered.values()):
            part.add(chunk[:, position])
        del chunk
    return pd.DataFrame({name: part.series() for name, part in gathered.items()})


class _Column:
    """One column of a snapshot table, gathered import by import in a compact form: text as
    codes into the distinct values seen so far (so equal text is one string object however
    many periods repeat it), dates parsed once per distinct value, flags as booleans."""

    def __init__(self, kind: Any):
        self.text = isinstance(kind, sa.String | sa.Text)
        self.date = isinstance(kind, sa.Date)
        self.flag = isinstance(kind, sa.Boolean)
        self.real = isinstance(kind, sa.Float)
        self.parts: list[np.ndarray] = []
        self.distinct = np.empty(0, dtype=object)  # text: each value once, in order seen

    def add(self, values: np.ndarray) -> None:
        """Keep one import's values of this column (as the driver gave them)."""
        if self.text:
            # The distinct values so far come first, so they keep their codes; new ones follow.
            seen = len(self.distinct)
            codes, self.distinct = pd.factorize(
                np.concatenate([self.distinct, values]), use_na_sentinel=True
            )
            self.parts.append(codes[seen:].astype(np.int32))  # -1: missing
        elif self.date:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            parsed = _dates(pd.Series(uniques, dtype=object)).to_numpy()
            self.parts.append(np.append(parsed, np.datetime64("NaT", "ns")).take(codes))
        elif self.flag:
            self.parts.append(values.astype(bool))
        elif self.real:
            self.parts.append(pd.Series(values, dtype=object).astype("float64").to_numpy())
        else:
            self.parts.append(pd.Series(values, dtype=object).infer_objects().to_numpy())

    def series(self) -> pd.Series:
        """The column for every import added, in the order added."""
        values = np.concatenate(self.parts)
        self.parts = []
        if not self.text:
            return pd.Series(values)
        # "" stands in for missing values (code -1) until `where` makes them NaN.
        shared = pd.Series(pd.Index([*self.distinct, ""], dtype="str").take(values))
        return shared.where(values >= 0) if (values < 0).any() else shared


def _dates(column: pd.Series) -> pd.Series:
    """Dates as SQLite (ISO text) or PostgreSQL (date objects) give them, as datetime64[ns]."""
    first = column.dropna().head(1).tolist()
    if first and isinstance(first[0], str):
        return pd.to_datetime(column, format="%Y-%m-%d").astype("datetime64[ns]")
    return pd.to_datetime(column).astype("datetime64[ns]")


def _with_imports(rows: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """`rows` with the period, period index and revision of the import each belongs to (added
    in place of a merge, which would copy every column of the plan)."""
    at = meta.index.get_indexer(pd.Index(rows["import_id"]))
    for name in ("revision", "period_index", "period"):
        values = meta[name].take(at) if len(rows) else meta[name].iloc[:0]
        rows.insert(0, name, values.array)
    return rows


class Store:
    """All database access goes through here; one instance per database URL, and one view of
    it per plan (`for_plan`). A store with no plan named works on the only plan there is."""

    def __init__(self, url: str | None = None, plan: str | None = None):
        self.url = url or default_url()
        self.engine = make_engine(self.url)
        self.plan = plan or None
        # Test hook: called inside the write transaction just before it commits.
        self.before_commit: Callable[[], None] = lambda: None

    def for_plan(self, slug: str | None) -> Store:
        """The same database, working on plan `slug` (None: the only plan)."""
        other = copy.copy(self)
        other.plan = slug or None
        return other

    # -- plans -----------------------------------------------------------------------------
    def _plans(self, conn: Connection, archived: bool = False) -> list[Plan]:
        query = sa.select(plans).order_by(plans.c.slug)
        if not archived:
            query = query.where(plans.c.archived_at.is_(None))
        return [
            Plan(r.id, r.slug, r.title, json.loads(r.settings or "{}"), r.archived_at is not None)
            for r in conn.execute(query)
        ]

    def plans(self, archived: bool = False) -> list[Plan]:
        """The plans in this database (with `archived`, the archived ones too), by slug."""
        if not self.exists():
            return []
        self.ensure_schema()
        with self.engine.connect() as conn:
            return self._plans(conn, archived)

    def _resolve(self, conn: Connection, create: bool = False) -> Plan | None:
        """This store's plan: the one named, or the only one. None when there is none yet
        (with `create`, the first plan is made: the one named, or `main`)."""
        active = self._plans(conn)
        slugs = [p.slug for p in active]
        if self.plan is not None:
            chosen = next((p for p in active if p.slug == self.plan), None)
            if chosen is not None:
                return chosen
            if not self._plans(conn, archived=True):  # the first import makes it
                return (
                    self._add_plan(conn, check_slug(self.plan), self.plan, {}) if create else None
                )
            listed = ", ".join(slugs) or "none yet"
            raise PlanError(f"there is no plan '{self.plan}'; plans here: {listed}", slugs)
        if len(active) == 1:
            return active[0]
        if len(active) > 1:
            raise PlanError(
                f"this database holds {len(active)} plans ({', '.join(slugs)}); "
                "choose one with --plan SLUG or $SOCPLAN_PLAN",
                slugs,
            )
        if create and not self._plans(conn, archived=True):
            return self._add_plan(conn, FIRST_PLAN, FIRST_PLAN, {})
        return None

    def plan_id(self, conn: Connection) -> int | None:
        """The id of this store's plan, in `conn` (None before the first import)."""
        plan = self._resolve(conn)
        return plan.id if plan else None

    def current_plan(self) -> Plan | None:
        """The plan this store works on (None before the first import); PlanError when the
        slug is unknown or several plans exist and none was named."""
        if not self.exists():
            return None
        self.ensure_schema()
        with self.engine.connect() as conn:
            return self._resolve(conn)

    def _add_plan(self, conn: Connection, slug: str, title: str, settings: dict[str, Any]) -> Plan:
        result = conn.execute(
            plans.insert().values(
                slug=slug,
                title=title,
                settings=json.dumps(check_plan_settings(settings), sort_keys=True),
                created_at=datetime.now(UTC),
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return Plan(int(key[0]), slug, title, settings)

    def add_plan(self, slug: str, title: str, settings: dict[str, Any] | None = None) -> Plan:
        """A new, empty plan."""
        check_slug(slug)
        title = title.strip()
        if not title or len(title) > 255:
            raise ValueError("a plan's title is 1 to 255 characters")
        with self.transaction() as conn:
            if conn.execute(sa.select(plans.c.id).where(plans.c.slug == slug)).first():
                raise StoreError(f"there is already a plan '{slug}' (archived plans keep theirs)")
            return self._add_plan(conn, slug, title, settings or {})

    def _update_plan(self, slug: str, **values: Any) -> None:
        with self.transaction() as conn:
            done = conn.execute(
                plans.update()
                .where((plans.c.slug == slug) & plans.c.archived_at.is_(None))
                .values(**values)
            )
            if not done.rowcount:
                listed = ", ".join(p.slug for p in self._plans(conn)) or "none yet"
                raise PlanError(f"there is no plan '{slug}'; plans here: {listed}", [])

    def rename_plan(self, slug: str, title: str) -> None:
        """Give a plan a new title (its slug, in links people keep, stays)."""
        title = title.strip()
        if not title or len(title) > 255:
            raise ValueError("a plan's title is 1 to 255 characters")
        self._update_plan(slug, title=title)

    def configure_plan(self, slug: str, settings: dict[str, Any]) -> None:
        """Set the settings where a plan differs from the installation (replacing earlier ones)."""
        self._update_plan(slug, settings=json.dumps(check_plan_settings(settings), sort_keys=True))

    def archive_plan(self, slug: str) -> None:
        """Hide a plan from pages and commands; nothing of it is deleted."""
        self._update_plan(slug, archived_at=datetime.now(UTC))

    # -- schema ----------------------------------------------------------------------------
    def _alembic_config(self, connection: Connection) -> Any:
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        return config

    def schema_current(self) -> bool:
        """True when the database exists and is at the newest migration."""
        from alembic.runtime.migration import MigrationContext

        path = _sqlite_file(self.engine.url)
        if path is not None and not path.exists():
            return False
        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
            return bool(current == _head_revision())

    @contextmanager
    def _migrating(self) -> Iterator[Connection]:
        """A connection for Alembic, in one write transaction. On SQLite foreign keys are off
        while a migration rebuilds a table that others refer to (SQLite's own recipe for table
        changes), checked before the commit, and on again after."""
        with self.engine.connect().execution_options(socplan_write=True) as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:  # outside any transaction, where the pragma takes effect
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
            try:
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7243)")  # one at a time
                    yield conn
                    if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                        raise StoreError("the migration left rows pointing at nothing; undone")
            finally:
                if sqlite:
                    conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]

    def upgrade(self, target: str = "head") -> None:
        """Run Alembic migrations up to `target`."""
        from alembic import command

        with self._migrating() as conn:
            command.upgrade(self._alembic_config(conn), target)

    def downgrade(self, target: str) -> None:
        """Run Alembic migrations down to `target` (`base` drops every table)."""
        from alembic import command

        with self._migrating() as conn:
            command.downgrade(self._alembic_config(conn), target)

    def ensure_schema(self) -> None:
        """Create or upgrade the schema when it is not current (writes nothing otherwise)."""
        if not self.schema_current():
            self.upgrade()

    def exists(self) -> bool:
        """True when the database has the socplan tables."""
        path = _sqlite_file(self.engine.url)
        if path is not None and not path.exists():
            return False
        return sa.inspect(self.engine).has_table("imports")

    @contextmanager
    def transaction(self, *, imports: bool = False) -> Iterator[Connection]:
        """A write transaction that holds SQLite's write lock from its start (no lock upgrade
        to fail midway). With `imports`, PostgreSQL's lock on the imports table too, so that
        imports, restores and commits serialise there as they do on SQLite."""
        self.ensure_schema()
        with self.engine.connect().execution_options(socplan_write=True) as conn, conn.begin():
            if imports and conn.dialect.name == "postgresql":
                conn.exec_driver_sql("LOCK TABLE imports IN EXCLUSIVE MODE")
            yield conn
            self.before_commit()

    # -- reads -----------------------------------------------------------------------------
    def version(self) -> tuple[int, int, int]:
        """A cheap key that changes with every write to the plan: (its number of imports, its
        last import id, its last sign-off or withdrawal id)."""
        if not self.exists():
            return (0, 0, 0)
        with self.engine.connect() as conn:
            plan_id = self.plan_id(conn)
            if plan_id is None:
                return (0, 0, 0)
            last_signoff = (
                sa.select(sa.func.max(signoffs.c.id))
                .where(signoffs.c.plan_id == plan_id)
                .scalar_subquery()
            )
            count, last, signed = conn.execute(
                sa.select(sa.func.count(), sa.func.max(imports.c.id), last_signoff).where(
                    imports.c.plan_id == plan_id
                )
            ).one()
        return (int(count), int(last or 0), int(signed or 0))

    def is_empty(self) -> bool:
        """True when nothing has been imported."""
        return self.version()[0] == 0

    def _current_ids(self, conn: Connection, plan_id: int | None) -> dict[int, int]:
        """Import id of the current (newest) revision of each period, by period index."""
        if plan_id is None:
            return {}
        mine = imports.c.plan_id == plan_id
        latest = (
            sa.select(imports.c.period_index, sa.func.max(imports.c.revision).label("rev"))
            .where(mine)
            .group_by(imports.c.period_index)
            .subquery()
        )
        query = (
            sa.select(imports.c.period_index, imports.c.id)
            .join(
                latest,
                (imports.c.period_index == latest.c.period_index)
                & (imports.c.revision == latest.c.rev),
            )
            .where(mine)
        )
        return {int(p): int(i) for p, i in conn.execute(query)}

    def _published_ids(self, conn: Connection, plan_id: int | None) -> dict[int, int]:
        """Import id of the signed-off revision of each published period, by period index."""
        if plan_id is None:
            return {}
        latest = (
            sa.select(sa.func.max(signoffs.c.id))
            .where(signoffs.c.plan_id == plan_id)
            .group_by(signoffs.c.period_index)
        )
        query = sa.select(signoffs.c.period_index, signoffs.c.import_id).where(
            signoffs.c.id.in_(latest) & (signoffs.c.action == SIGNED_OFF)
        )
        return {int(p): int(i) for p, i in conn.execute(query)}

    def _shown_ids(self, conn: Connection, published: bool) -> dict[int, int]:
        """The import id read for each period: the signed-off one, or the newest."""
        plan_id = self.plan_id(conn)
        return (self._published_ids if published else self._current_ids)(conn, plan_id)

    def shown_ids(self, *, published: bool = False) -> dict[int, int]:
        """The import id read for each period (see `load`), without reading the rows."""
        if not self.exists():
            return {}
        with self.engine.connect() as conn:
            return self._shown_ids(conn, published)

    def _base_id(self, conn: Connection, plan_id: int, period: Period) -> tuple[int | None, bool]:
        """The revision an import into `period` builds on, and whether it is the period's own."""
        current = self._current_ids(conn, plan_id)
        if period.index in current:
            return current[period.index], True
        earlier = [p for p in current if p < period.index]
        return (current[max(earlier)], False) if earlier else (None, False)

    def known_recommendations(self) -> set[str]:
        """Recommendation refs in the newest state of the plan."""
        if not self.exists():
            return set()
        with self.engine.connect() as conn:
            current = self._current_ids(conn, self.plan_id(conn))
            if not current:
                return set()
            newest = current[max(current)]
            rows = conn.execute(
                sa.select(recommendation_rows.c.ref).where(
                    recommendation_rows.c.import_id == newest
                )
            )
            return {r for (r,) in rows}

    def history(self) -> pd.DataFrame:
        """Every import so far: period, revision, kind, file, SHA-256, size, who, when."""
        columns = [
            "id",
            "period",
            "revision",
            "kind",
            "file_name",
            "sha256",
            "size",
            "imported_by",
            "imported_at",
            "restored_from",
            "note",
        ]
        if not self.exists():
            return pd.DataFrame(columns=columns)
        with self.engine.connect() as conn:
            query = (
                sa.select(*[imports.c[c] for c in columns])
                .where(imports.c.plan_id == self.plan_id(conn))
                .order_by(imports.c.period_index, imports.c.revision)
            )
            result = conn.execute(query)
            frame = pd.DataFrame(result.fetchall(), columns=columns)
        stamps = frame["imported_at"]
        if isinstance(stamps.dtype, pd.DatetimeTZDtype):
            # PostgreSQL answers in the session's time zone; SQLite keeps the UTC we wrote.
            frame["imported_at"] = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        return frame

    def original_file(self, import_id: int) -> tuple[str, bytes]:
        """The file name and bytes of an import of this plan, as uploaded."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(imports.c.file_name, import_files.c.content)
                .join(import_files, import_files.c.import_id == imports.c.id)
                .where((imports.c.id == import_id) & (imports.c.plan_id == self.plan_id(conn)))
            ).first()
        if row is None:
            raise StoreError(f"import {import_id} has no stored file")
        return str(row[0]), bytes(row[1])

    def load(
        self, known: dict[int, int] | None = None, *, published: bool = False
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Recommendations and milestones of the current revision of every period; with
        `published`, of the signed-off revision of every published period (the panel's view:
        periods never signed off, or withdrawn, are left out).

        Both frames carry `period` (label) and `period_index`, plus `revision` and `import_id`.
        With `known` (period index -> import id of what the caller holds), only the periods
        whose current revision is another are read (an import changes one period: the rest of
        the history need not be read again).
        """
        rec_cols = ["period", "period_index", "revision", "import_id", *RECOMMENDATION_FIELDS]
        ms_cols = [
            "period",
            "period_index",
            "revision",
            "import_id",
            *MILESTONE_FIELDS,
            "baseline_due",
            "updated",
        ]
        if not self.exists():
            return pd.DataFrame(columns=rec_cols), pd.DataFrame(columns=ms_cols)
        self.ensure_schema()  # a database from an earlier version is upgraded before it is read
        with self.engine.connect() as conn:
            shown = self._shown_ids(conn, published)
            ids = [i for p, i in shown.items() if (known or {}).get(p) != i]
            meta = pd.DataFrame(
                conn.execute(
                    sa.select(
                        imports.c.id, imports.c.period, imports.c.period_index, imports.c.revision
                    ).where(imports.c.id.in_(ids))
                ).fetchall(),
                columns=["import_id", "period", "period_index", "revision"],
            ).set_index("import_id")
            recs = _with_imports(_read_rows(conn, recommendation_rows, ids), meta)
            ms = _with_imports(_read_rows(conn, milestone_rows, ids), meta)
        return recs[rec_cols], ms[ms_cols]

    def newest(self, *, published: bool = False) -> tuple[Period, pd.DataFrame, datetime] | None:
        """The newest period's milestones (its current revision; with `published`, the newest
        published period's signed-off revision) and when the plan was last changed, read without
        the rest of its history (for a plan's headline); None before the first import."""
        if not self.exists():
            return None
        with self.engine.connect() as conn:
            current = self._shown_ids(conn, published)
            if not current:
                return None
            index = max(current)
            rows = pd.read_sql(
                sa.select(milestone_rows).where(milestone_rows.c.import_id == current[index]),
                conn,
            )
            # The newest import is always some period's current revision.
            changed = conn.execute(
                sa.select(sa.func.max(imports.c.imported_at)).where(
                    imports.c.id.in_(list(current.values()))
                )
            ).scalar()
        for key in (*DATE_FIELDS, "baseline_due"):
            rows[key] = pd.to_datetime(rows[key]).astype("datetime64[ns]")
        when = changed if isinstance(changed, datetime) else datetime.fromisoformat(str(changed))
        if when.tzinfo is not None:  # PostgreSQL answers in the session's zone
            when = when.astimezone(UTC).replace(tzinfo=None)
        return Period(index // 4, index % 4 + 1), rows, when

    def read_baselines(self, period: Period) -> Baselines | None:
        """The baselines an import of `period` would keep from its base now, read outside any
        transaction (None when there is no base, no schema yet, or the plan is not clear: the
        import's own transaction reads them then)."""
        try:
            if not self.exists() or not self.schema_current():
                return None
            with self.engine.connect() as conn:
                plan = self._resolve(conn)
                if plan is None:
                    return None
                base_id, _ = self._base_id(conn, plan.id, period)
                if base_id is None:
                    return None
                return Baselines(plan.id, base_id, self._baselines(conn, base_id))
        except (StoreError, sa.exc.SQLAlchemyError):
            return None

    def _baselines(self, conn: Connection, base_id: int) -> dict[Any, Any]:
        """The baseline due date of each milestone of import `base_id`, as the driver gives it
        (raw driver SQL: SQLAlchemy's per-value date parsing costs more than the query)."""
        return dict(
            conn.exec_driver_sql(
                "SELECT ref, baseline_due FROM milestone_rows WHERE import_id = " + _mark(conn),
                (base_id,),
            ).cursor.fetchall()
        )

    # -- writes ----------------------------------------------------------------------------
    def _next_revision(self, conn: Connection, plan_id: int, period: Period) -> int:
        value = conn.execute(
            sa.select(sa.func.max(imports.c.revision)).where(
                (imports.c.period_index == period.index) & (imports.c.plan_id == plan_id)
            )
        ).scalar()
        return int(value or 0) + 1

    def _insert_import(
        self, conn: Connection, plan_id: int, period: Period, **values: Any
    ) -> tuple[int, int]:
        revision = self._next_revision(conn, plan_id, period)
        result = conn.execute(
            imports.insert().values(
                plan_id=plan_id,
                period=period.label,
                period_index=period.index,
                revision=revision,
                imported_at=datetime.now(UTC),
                **values,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0]), revision

    def _driver_values(
        self, conn: Connection, table: sa.Table, frame: pd.DataFrame, skip: Sequence[str] = ()
    ) -> dict[str, list[Any]]:
        """The frame's columns for `table` (but those to `skip`) as lists of the values the
        driver takes."""
        iso_dates = conn.dialect.name == "sqlite"
        columns: dict[str, list[Any]] = {}
        for name in (c.name for c in table.c if c.name not in skip):
            column = frame[name]
            values: Any
            if column.dtype.kind == "M" and iso_dates:
                # SQLite keeps dates as ISO text: hand them over ready-made, each distinct date
                # written once (a plan's dates repeat).
                distinct, at = np.unique(
                    column.to_numpy(dtype="datetime64[D]"), return_inverse=True
                )
                text = np.datetime_as_string(distinct, unit="D").astype(object)
                text[np.isnat(distinct)] = None
                values = text[at.reshape(-1)]
            elif column.dtype.kind == "M":
                values = column.to_numpy(dtype="datetime64[D]").astype(object)  # NaT -> None
            elif column.dtype.kind == "f":
                numbers = column.to_numpy()
                values = numbers.astype(object)
                values[np.isnan(numbers)] = None
            elif column.dtype.kind == "b":
                values = column.to_numpy()
            else:
                values = column.to_numpy(dtype=object)
            columns[name] = values.tolist()
        return columns

    def _insert_rows(
        self,
        conn: Connection,
        table: sa.Table,
        columns: dict[str, list[Any]],
        same: dict[str, int | bool] | None = None,
    ) -> None:
        """Bulk insert through the driver's executemany (the ORM-free fast path); `same`: the
        columns whose value is the same in every row, written in the statement (an integer or
        a boolean: nothing else is ever put in the statement's text)."""
        if not columns or not next(iter(columns.values())):
            return
        fixed = [_sql_literal(value) for value in (same or {}).values()]
        quoted = ", ".join(
            conn.dialect.identifier_preparer.quote(n) for n in [*columns, *(same or {})]
        )
        values = ", ".join([_mark(conn)] * len(columns) + fixed)
        sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({values})"
        conn.exec_driver_sql(sql, list(zip(*columns.values(), strict=True)))

    def _carry_forward(
        self,
        conn: Connection,
        table: sa.Table,
        base_id: int,
        new_id: int,
        overrides: dict[str, Any],
    ) -> int:
        """Copy the base revision's rows that the new revision lacks; returns how many."""
        old = table.alias("old")
        present = sa.select(table.c.ref).where(table.c.import_id == new_id)
        names = [c.name for c in table.c if c.name != "import_id"]
        values = [sa.literal(overrides[n]) if n in overrides else old.c[n] for n in names]
        result = conn.execute(
            table.insert()
            .from_select(
                ["import_id", *names],
                sa.select(sa.literal(new_id), *values).where(
                    (old.c.import_id == base_id) & old.c.ref.not_in(present)
                ),
            )
            # An INSERT's row count is only kept on request (psycopg reports -1 otherwise).
            .execution_options(preserve_rowcount=True)
        )
        return int(result.rowcount or 0)

    def commit_import(
        self,
        recommendations: pd.DataFrame,
        milestones: pd.DataFrame,
        period: Period,
        *,
        data: bytes,
        file_name: str,
        imported_by: str,
        partial: bool = False,
        kind: str | None = None,
        after: Callable[[Connection, list[Revision]], None] | None = None,
        baselines: Baselines | None = None,
    ) -> Revision:
        """Store checked frames as a new revision of `period`, in one transaction (`after`
        as for `commit_batch`; `baselines` as `read_baselines` gave them, if at hand).

        The base is the period's current revision or else the newest earlier period: its
        milestones that the workbook leaves out are carried forward (flagged as no update,
        unless the base is this period's own revision and already had their update), and
        baseline due dates are kept from it.
        """
        incoming = Incoming(recommendations, milestones, data, file_name)
        with self.transaction(imports=True) as conn:
            revision = self._commit(
                conn,
                period,
                incoming,
                imported_by,
                kind or ("partial" if partial else "full"),
                baselines,
            )
            if after is not None:
                after(conn, [revision])
            return revision

    def commit_batch(
        self,
        returns: list[tuple[pd.DataFrame, pd.DataFrame, bytes, str]],
        period: Period,
        *,
        imported_by: str,
        partial: bool,
        expected_last_import: int | None = None,
        after: Callable[[Connection, list[Revision]], None] | None = None,
    ) -> list[Revision]:
        """Store several checked returns for one period in one transaction: the first as a full
        or partial import, the rest merged into it as partial returns.

        With `expected_last_import`, the commit is refused (StalePreview) when anything was
        imported since the preview was made, so nobody commits over a change they did not see.
        `after(conn, revisions)` runs in the same transaction (e.g. to mark returns committed).
        """
        with self.transaction(imports=True) as conn:
            last = conn.execute(
                sa.select(sa.func.max(imports.c.id)).where(imports.c.plan_id == self.plan_id(conn))
            ).scalar()
            if expected_last_import is not None and int(last or 0) != expected_last_import:
                raise StalePreview(
                    "someone else imported a workbook after this preview was made; "
                    "check the fresh preview and commit again"
                )
            revisions = [
                self._commit(
                    conn, period, Incoming(*one), imported_by, "partial" if partial or i else "full"
                )
                for i, one in enumerate(returns)
            ]
            if after is not None:
                after(conn, revisions)
            return revisions

    def _commit(
        self,
        conn: Connection,
        period: Period,
        new: Incoming,
        by: str,
        kind: str,
        baselines: Baselines | None = None,
    ) -> Revision:
        """Store `new` as a revision of `period` (`kind`: full, partial or restore) in `conn`
        (with `baselines` read ahead, used if the base is still theirs)."""
        writing = _Writing(self, conn, period, new.data, new.file_name, by, kind, baselines)
        writing.recommendations(new.recommendations)
        writing.milestones(new.milestones)
        return writing.finish()

    @contextmanager
    def import_in_parts(
        self,
        period: Period,
        *,
        data: bytes,
        file_name: str,
        imported_by: str,
        partial: bool = False,
        kind: str | None = None,
        baselines: Baselines | None = None,
    ) -> Iterator[ImportInParts]:
        """`commit_import`, with the milestones given in parts while the workbook is still
        being checked (`ImportInParts`); nothing is kept unless `finish` is called."""
        parts = ImportInParts(
            self,
            period,
            data,
            file_name,
            imported_by,
            kind or ("partial" if partial else "full"),
            baselines,
        )
        try:
            yield parts
        finally:
            parts.close()

    def restore(self, period: Period, revision: int, restored_by: str) -> Revision:
        """Make an earlier revision of `period` current again, as a new revision."""
        with self.transaction(imports=True) as conn:
            plan_id = self.plan_id(conn)
            source = conn.execute(
                sa.select(imports).where(
                    (imports.c.period_index == period.index)
                    & (imports.c.revision == revision)
                    & (imports.c.plan_id == plan_id)
                )
            ).first()
            if source is None or plan_id is None:
                raise StoreError(f"{period} has no revision {revision}; see `socplan history`")
            import_id, new_revision = self._insert_import(
                conn,
                plan_id,
                period,
                kind="restore",
                file_name=source.file_name,
                sha256=source.sha256,
                size=source.size,
                imported_by=restored_by,
                restored_from=source.id,
                note=f"restore of revision {revision}",
            )
            for table in (recommendation_rows, milestone_rows):
                columns = [c for c in table.c if c.name != "import_id"]
                conn.execute(
                    table.insert().from_select(
                        ["import_id", *[c.name for c in columns]],
                        sa.select(sa.literal(import_id), *columns).where(
                            table.c.import_id == source.id
                        ),
                    )
                )
            count = conn.execute(
                sa.select(sa.func.count())
                .select_from(milestone_rows)
                .where(milestone_rows.c.import_id == import_id)
            ).scalar()
            return Revision(import_id, period, new_revision, "restore", int(count or 0), 0)


class _Writing:
    """One revision being written in an open transaction: the import and its file first, then
    its recommendations and milestones (these in one go or in parts), then whatever the base
    carries forward (`finish`)."""

    def __init__(
        self,
        store: Store,
        conn: Connection,
        period: Period,
        data: bytes,
        file_name: str,
        by: str,
        kind: str,
        baselines: Baselines | None,
    ):
        self.store, self.conn, self.period, self.kind = store, conn, period, kind
        plan = store._resolve(conn, create=True)
        assert plan is not None
        self.base_id, self.own = store._base_id(conn, plan.id, period)
        self.import_id, self.revision = store._insert_import(
            conn,
            plan.id,
            period,
            kind=kind,
            file_name=file_name,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            imported_by=by,
        )
        conn.execute(import_files.insert().values(import_id=self.import_id, content=data))
        # The baseline is fixed when a milestone first appears: keep the base's.
        self.known: dict[Any, Any] = {}
        if self.base_id is not None:
            if baselines is not None and (baselines.plan_id, baselines.base_id) == (
                plan.id,
                self.base_id,
            ):
                self.known = baselines.by_ref
            else:
                self.known = store._baselines(conn, self.base_id)
        self.refs: set[str] = set()
        self.count = 0

    def milestones(self, milestones: pd.DataFrame) -> None:
        """Write (some of) the revision's milestones."""
        store, conn = self.store, self.conn
        ms = store._driver_values(
            conn, milestone_rows, milestones, skip=("import_id", "updated", "baseline_due")
        )
        known = self.known
        ms["baseline_due"] = (
            [known.get(ref, due) for ref, due in zip(ms["ref"], ms["due"], strict=True)]
            if known
            else ms["due"]
        )
        store._insert_rows(conn, milestone_rows, ms, {"import_id": self.import_id, "updated": True})
        self.refs.update(ms["ref"])
        self.count += len(ms["ref"])

    def recommendations(self, recommendations: pd.DataFrame) -> None:
        """Write the revision's recommendations."""
        store, conn = self.store, self.conn
        recs = store._driver_values(conn, recommendation_rows, recommendations, skip=("import_id",))
        store._insert_rows(conn, recommendation_rows, recs, {"import_id": self.import_id})

    def finish(self) -> Revision:
        """Carry forward what the base has that this revision lacks."""
        store, conn, import_id = self.store, self.conn, self.import_id
        carried = 0
        if self.base_id is not None:
            store._carry_forward(conn, recommendation_rows, self.base_id, import_id, {})
            if not set(self.known) <= self.refs:  # else every base milestone is in the new one
                carried = store._carry_forward(
                    conn,
                    milestone_rows,
                    self.base_id,
                    import_id,
                    {} if self.own else {"updated": False},
                )
        return Revision(
            import_id, self.period, self.revision, self.kind, self.count + carried, carried
        )


class ImportInParts:
    """An import whose recommendations and milestones come in parts while its workbook is still
    being checked (`Store.import_in_parts`): the transaction opens with the first part and
    commits only at `finish`, so a workbook whose check ends in an error leaves the database as
    it was."""

    def __init__(
        self,
        store: Store,
        period: Period,
        data: bytes,
        file_name: str,
        by: str,
        kind: str,
        baselines: Baselines | None,
    ):
        self._store, self._args = store, (period, data, file_name, by, kind, baselines)
        self._stack = ExitStack()
        self._writing: _Writing | None = None
        self._parts: list[pd.DataFrame] = []
        self._recommendations = False
        self._done = False

    def _open(self) -> _Writing:
        if self._writing is None:
            conn = self._stack.enter_context(self._store.transaction(imports=True))
            self._writing = _Writing(self._store, conn, *self._args)
        return self._writing

    def add_recommendations(self, recommendations: pd.DataFrame) -> None:
        """Write the recommendations (all of them, once)."""
        self._open().recommendations(recommendations)
        self._recommendations = True

    def add(self, milestones: pd.DataFrame) -> None:
        """Write the next part of the milestones (in the workbook's order)."""
        self._open().milestones(milestones)
        self._parts.append(milestones)

    @property
    def has_milestones(self) -> bool:
        """True once a part of the milestones has been written."""
        return bool(self._parts)

    def milestones(self) -> pd.DataFrame:
        """Every part so far, as one frame."""
        if not self._parts:
            return pd.DataFrame(columns=list(MILESTONE_FIELDS))
        return pd.concat(self._parts, ignore_index=True)

    def finish(
        self,
        recommendations: pd.DataFrame,
        after: Callable[[Connection, list[Revision]], None] | None = None,
    ) -> Revision:
        """Write the recommendations (unless added already), carry forward and commit
        (`after` as for `commit_import`)."""
        writing = self._open()
        if not self._recommendations:
            writing.recommendations(recommendations)
        revision = writing.finish()
        if after is not None:
            after(writing.conn, [revision])
        self._done = True
        self._stack.close()  # commits
        return revision

    def close(self) -> None:
        """Roll back unless finished."""
        if not self._done:
            self._stack.__exit__(_Discarded, _Discarded(), None)


class _Discarded(Exception):
    """Thrown into an unfinished import's transaction to roll it back."""
