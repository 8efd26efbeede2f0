"""PostgreSQL and SQLite side by side: the CLI end to end, empty reads, `migrate`, each migration."""

from __future__ import annotations

import sqlalchemy as sa
from builders import stored_imports

from socplan.cli import main
from socplan.demo import load_demo
from socplan.store import Store, _head_revision


def test_the_server_is_postgresql(postgres):
    engine = sa.create_engine(postgres.new_url())
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version()").scalar().startswith("PostgreSQL")
    engine.dispose()


def test_cli_on_postgresql_matches_sqlite(runner, postgres, demo_db, tmp_path):
    url = postgres.new_url()
    result = runner.invoke(main, ["demo", "--db", url])
    assert result.exit_code == 0, result.output
    for args in (["summary"], ["summary", "--period", "2019/20 Q4"]):
        on_pg = runner.invoke(main, [*args, "--plan", "soc-strategy", "--db", url])
        on_sqlite = runner.invoke(main, [*args, "--db", demo_db])
        assert on_pg.exit_code == 0 and on_pg.output == on_sqlite.output
    history = runner.invoke(main, ["history", "--plan", "soc-strategy", "--db", url])
    assert history.exit_code == 0 and history.output.count("socplan demo") == 5
    for name, db in (("pg.csv", url), ("sqlite.csv", demo_db)):
        chosen = ["--plan", "soc-strategy"] if db == url else []
        out = str(tmp_path / name)
        assert runner.invoke(main, ["export", "-o", out, *chosen, "--db", db]).exit_code == 0
    assert (tmp_path / "pg.csv").read_bytes() == (tmp_path / "sqlite.csv").read_bytes()
    # A second demo is refused: the database is shared, not replaced.
    assert runner.invoke(main, ["demo", "--db", url]).exit_code == 1


def test_empty_postgresql_database_reads(postgres):
    store = Store(postgres.new_url())
    assert not store.exists() and store.is_empty() and store.history().empty
    assert store.known_recommendations() == set() and not store.exists()


def test_migrate_creates_and_reports_the_schema(runner, backend_url):
    result = runner.invoke(main, ["migrate", "--db", backend_url])
    assert result.exit_code == 0 and "now up to date" in result.output
    store = Store(backend_url)
    assert store.schema_current() and store.is_empty()
    with store.engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert version == _head_revision()
    result = runner.invoke(main, ["migrate", "--db", backend_url])
    assert result.exit_code == 0 and "is up to date" in result.output


def test_every_migration_steps_up_and_down_keeping_the_plan(backend_url, runner):
    """Each revision upgrades and downgrades on its own; the plan survives later revisions' steps."""
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from socplan.store import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    revisions = [s.revision for s in ScriptDirectory.from_config(config).walk_revisions()][::-1]
    store = Store(backend_url)

    def current() -> str | None:
        with store.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    for revision in revisions:
        store.upgrade(revision)
        assert current() == revision
    load_demo(store)  # one plan: the version before plans could hold no more
    history = store.history()
    for revision in reversed(revisions[:-1]):  # down to the first revision, one step at a time
        store.downgrade(revision)
        assert current() == revision
        assert stored_imports(store) == len(history)  # later revisions never drop the plan
    for revision in revisions[1:]:
        store.upgrade(revision)
        assert current() == revision
    assert store.schema_current() and len(store.history()) == len(history)
    store.downgrade("base")
    assert current() is None and not store.exists()
