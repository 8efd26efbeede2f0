"""Many plans in one database: the migration from the single-plan version, plans side by side
in the store, roles per plan, and the command line's --plan."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from builders import basic_milestones, recs, write

from socplan.accounts import AccountError, Accounts
from socplan.cli import main
from socplan.periods import Period
from socplan.store import PlanError, Store

FIXTURES = Path(__file__).parent / "fixtures"
BEFORE = FIXTURES / "before-plans.db"  # written by `socplan demo` + a partial import + 2 users
EXPORTS = FIXTURES / "before-plans-csv"
PERIODS = ("2019/20 Q3", "2019/20 Q4", "2020/21 Q1", "2020/21 Q2")
PASSWORD = "correct horse battery"
Q3, Q4 = Period(2019, 3), Period(2019, 4)


def _put(store: Store, period: Period, milestones=None) -> None:
    store.commit_import(
        recs(), milestones if milestones is not None else basic_milestones(), period,
        data=b"x", file_name="x.xlsx", imported_by="t",
    )  # fmt: skip


def _copy_rows(source: str, target: Store) -> None:
    """Every row of the single-plan fixture into `target`, made at that version's schema."""
    target.upgrade("0004")
    old = sa.create_engine(source)
    found = sa.MetaData()
    found.reflect(old)
    there = sa.MetaData()
    there.reflect(target.engine)
    with old.connect() as read, target.engine.begin() as write_conn:
        for table in found.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [dict(r._mapping) for r in read.execute(sa.select(table))]
            if rows:
                write_conn.execute(there.tables[table.name].insert(), rows)
            if write_conn.dialect.name == "postgresql" and "id" in table.c:
                write_conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT max(id) FROM {table.name}))"
                )
    old.dispose()


def _exports_match(runner, url: str, tmp_path: Path) -> None:
    for label in PERIODS:
        name = label.replace("/", "-").replace(" ", "-") + ".csv"
        out = tmp_path / name
        result = runner.invoke(
            main, ["export", "--format", "csv", "-o", str(out), "--period", label, "--db", url]
        )
        assert result.exit_code == 0, result.output + result.stderr
        assert out.read_bytes() == (EXPORTS / name).read_bytes(), label


def test_a_single_plan_database_opens_as_one_plan_with_everything_kept(runner, tmp_path):
    copy = tmp_path / "old.db"
    shutil.copy(BEFORE, copy)
    url = f"sqlite:///{copy}"
    _exports_match(runner, url, tmp_path)  # the first command upgrades it
    store = Store(url)
    assert [p.slug for p in store.plans()] == ["main"]
    assert len(store.history()) == 6 and store.history()["imported_by"].iloc[-1] == "officer"
    accounts = Accounts(store)
    ada = accounts.authenticate("ada", PASSWORD)
    vic = accounts.authenticate("vic", PASSWORD)
    assert ada is not None and ada.role_in("main") == "editor"
    assert vic is not None and vic.role_in("main") == "viewer"
    assert accounts.authenticate("vic", "wrong password here") is None
    assert all(store.original_file(i)[1] for i in store.history()["id"])


def test_the_migration_keeps_everything_up_and_down(runner, backend_url, tmp_path):
    store = Store(backend_url)
    _copy_rows(f"sqlite:///{BEFORE}", store)
    before = _snapshot(store)
    store.upgrade()
    _exports_match(runner, backend_url, tmp_path)
    assert Accounts(store).authenticate("ada", PASSWORD) is not None
    store.downgrade("0004")
    assert _snapshot(store) == {**before, "audit": before["audit"] + 1}  # + that sign-in


def _snapshot(store: Store) -> dict[str, object]:
    """What a single-plan database holds, table by table, in a form both backends give alike."""
    with store.engine.connect() as conn:
        return {
            "imports": conn.execute(
                sa.text("SELECT id, period, revision, kind, sha256 FROM imports ORDER BY id")
            ).all(),
            "rows": conn.execute(
                sa.text(
                    "SELECT import_id, ref, status, due, baseline_due FROM milestone_rows "
                    "ORDER BY import_id, ref"
                )
            ).all(),
            "files": conn.execute(sa.text("SELECT count(*) FROM import_files")).scalar(),
            "users": conn.execute(sa.text("SELECT username, role FROM users ORDER BY 1")).all(),
            "audit": conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar(),
        }


def test_plans_side_by_side_keep_their_own_refs_and_periods(db_url):
    store = Store(db_url)
    _put(store, Q3)  # the first import makes `main`
    store.add_plan("hmic", "Inspection recommendations")
    other = store.for_plan("hmic")
    assert other.is_empty() and other.history().empty
    _put(other, Q4)  # the same refs, another plan: no clash
    _put(other, Q4)
    assert other.history()["revision"].tolist() == [1, 2]
    with pytest.raises(PlanError, match="2 plans \\(hmic, main\\)"):
        store.history()  # several plans and none chosen
    main_plan = store.for_plan("main")
    assert main_plan.history()["period"].tolist() == ["2019/20 Q3"]
    assert main_plan.known_recommendations() == other.known_recommendations() == {"R1", "R2"}
    first = other.history()["id"].iloc[0]
    with pytest.raises(Exception, match="no stored file"):
        main_plan.original_file(int(first))  # another plan's file is not this plan's
    main_plan.restore(Q3, 1, "t")
    assert other.version() == (2, int(other.history()["id"].max()), 0)  # nothing signed off


def test_archiving_hides_a_plan_and_deletes_nothing(db_url):
    store = Store(db_url)
    _put(store.for_plan("first"), Q3)
    store.add_plan("second", "Second")
    _put(store.for_plan("second"), Q3)
    store.archive_plan("second")
    assert [p.slug for p in store.plans()] == ["first"]
    assert [p.slug for p in store.plans(archived=True)] == ["first", "second"]
    assert len(store.history()) == 1  # one plan shown: no need to choose
    with pytest.raises(PlanError):
        store.for_plan("second").history()
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM imports")).scalar() == 2


def test_going_down_is_refused_while_several_plans_exist(db_url):
    store = Store(db_url)
    _put(store.for_plan("one"), Q3)
    store.add_plan("two", "Two")
    with pytest.raises(RuntimeError, match="holds 2 plans"):
        store.downgrade("0004")
    assert store.schema_current() and len(store.plans()) == 2


def test_slugs_and_plan_settings_are_checked(db_url):
    store = Store(db_url)
    store.ensure_schema()
    for bad in ("", "Has Caps", "-lead", "a/b", "x" * 65, "../etc"):
        with pytest.raises(ValueError, match="plan slug"):
            store.add_plan(bad, "Title")
    with pytest.raises(ValueError, match="cannot set secret_key"):
        store.add_plan("ok", "Title", {"secret_key": "x"})
    store.add_plan("ok", "Title", {"themes": ["Report A", "Report B"]})
    with pytest.raises(Exception, match="already a plan 'ok'"):
        store.add_plan("ok", "Again")


def test_roles_per_plan(db_url):
    store = Store(db_url)
    _put(store.for_plan("soc"), Q3)
    store.add_plan("hmic", "Inspections")
    accounts = Accounts(store)
    accounts.add("pat", "viewer", PASSWORD, plan="soc")
    accounts.set_role("pat", "editor", plan="hmic")
    accounts.add("boss", "admin", PASSWORD)
    pat = accounts.authenticate("pat", PASSWORD)
    assert pat is not None and pat.role == ""
    assert (pat.role_in("soc"), pat.role_in("hmic"), pat.role_in(None)) == (
        "viewer",
        "editor",
        None,
    )
    assert [p.slug for p in accounts.visible_plans(pat)] == ["hmic", "soc"]
    boss = accounts.get("boss")
    assert boss is not None and boss.role_in("hmic") == "admin"
    accounts.set_role("pat", "none", plan="hmic")
    pat = accounts.get("pat")
    assert pat is not None and [p.slug for p in accounts.visible_plans(pat)] == ["soc"]
    with pytest.raises(AccountError, match="on one plan"):
        accounts.add("eve", "admin", PASSWORD, plan="soc")
    with pytest.raises(AccountError, match="no plan 'nope'"):
        accounts.add("eve", "viewer", PASSWORD, plan="nope")
    assert accounts.get("eve") is None  # nothing half-made
    listed = accounts.list().set_index("username")["role"]
    assert listed["pat"] == "viewer of soc" and listed["boss"] == "admin"


def test_cli_plan_option_and_plans_commands(runner, tmp_path, db_url):
    q3 = write(tmp_path / "q3.xlsx", Q3, recs(), basic_milestones())
    first = runner.invoke(main, ["import", str(q3), "--plan", "soc", "--db", db_url])
    assert first.exit_code == 0, first.output + first.stderr
    added = runner.invoke(
        main, ["plans", "add", "hmic", "--title", "Inspection recommendations", "--db", db_url]
    )
    assert added.exit_code == 0, added.stderr
    for command in (["history"], ["summary"], ["import", str(q3)], ["export", "--format", "csv",
                    "-o", str(tmp_path / "x.csv")]):  # fmt: skip
        result = runner.invoke(main, [*command, "--db", db_url])
        assert result.exit_code == 2, command
        assert "2 plans (hmic, soc)" in result.stderr and "--plan" in result.stderr
    unknown = runner.invoke(main, ["history", "--plan", "nope", "--db", db_url])
    assert unknown.exit_code == 2 and "no plan 'nope'; plans here: hmic, soc" in unknown.stderr
    bad = runner.invoke(main, ["history", "--plan", "Not A Slug", "--db", db_url])
    assert bad.exit_code == 2 and "not a plan slug" in bad.stderr
    into = runner.invoke(main, ["import", str(q3), "--db", db_url], env={"SOCPLAN_PLAN": "hmic"})
    assert into.exit_code == 0 and "revision 1" in into.output
    listed = runner.invoke(main, ["plans", "list", "--db", db_url])
    assert "hmic" in listed.output and "Inspection recommendations" in listed.output
    renamed = runner.invoke(
        main, ["plans", "rename", "hmic", "--title", "HMICFRS tracker", "--db", db_url]
    )
    assert (
        renamed.exit_code == 0
        and "HMICFRS tracker" in runner.invoke(main, ["plans", "list", "--db", db_url]).output
    )
    assert runner.invoke(main, ["plans", "archive", "hmic", "--db", db_url]).exit_code == 0
    assert runner.invoke(main, ["history", "--db", db_url]).exit_code == 0  # one plan left
    assert "archived" in runner.invoke(main, ["plans", "list", "--all", "--db", db_url]).output
    gone = runner.invoke(main, ["plans", "rename", "nope", "--title", "X", "--db", db_url])
    assert gone.exit_code == 1 and "no plan 'nope'" in gone.stderr


def test_cli_users_with_a_role_on_one_plan(runner, tmp_path, db_url):
    q3 = write(tmp_path / "q3.xlsx", Q3, recs(), basic_milestones())
    assert runner.invoke(main, ["import", str(q3), "--plan", "soc", "--db", db_url]).exit_code == 0
    added = runner.invoke(
        main,
        ["users", "add", "pat", "--role", "editor", "--plan", "soc", "--password-stdin",
         "--db", db_url],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert added.exit_code == 0 and "Added pat as editor of soc." in added.output
    listed = runner.invoke(main, ["users", "list", "--db", db_url])
    assert "editor of soc" in listed.output
    refused = runner.invoke(
        main, ["users", "add", "eve", "--role", "admin", "--plan", "soc", "--db", db_url]
    )
    assert refused.exit_code == 1 and "on one plan" in refused.stderr
