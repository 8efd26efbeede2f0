"""`socplan backup` and `socplan restore-backup`: same plan and history, on and across backends."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from builders import basic_milestones, recs

from socplan.cli import main
from socplan.model import DeliveryPlan
from socplan.periods import Period
from socplan.store import Store

PAIRS = [
    ("sqlite", "sqlite"),
    ("postgresql", "postgresql"),
    ("sqlite", "postgresql"),  # one office moving to a shared server
    ("postgresql", "sqlite"),
]


def new_url(request: pytest.FixtureRequest, backend: str, path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres").new_url()


@pytest.fixture(params=PAIRS, ids=["->".join(p) for p in PAIRS])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """A source and an empty target database."""
    source, target = request.param
    return (
        new_url(request, source, tmp_path / "source.db"),
        new_url(request, target, tmp_path / "target.db"),
    )


def state(
    url: str, plan: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[tuple[str, bytes]]]:
    """A plan's frames, its history and every original file."""
    store = Store(url, plan=plan)
    plan = DeliveryPlan.from_store(store)
    recommendations = plan.recommendations.sort_values(["period_index", "ref"])
    snapshots = plan.snapshots.sort_values(["period_index", "ref"])
    history = store.history()
    files = [store.original_file(int(i)) for i in history["id"]]
    store.engine.dispose()
    return (
        recommendations.reset_index(drop=True),
        snapshots.reset_index(drop=True),
        history,
        files,
    )


def test_backup_restored_into_an_empty_database_is_the_same(runner, urls, tmp_path):
    source, target = urls
    assert runner.invoke(main, ["demo", "--db", source]).exit_code == 0
    backup = tmp_path / "plan-backup.zip"
    result = runner.invoke(main, ["backup", "-o", str(backup), "--db", source])
    assert result.exit_code == 0, result.output
    assert "8 import(s)" in result.output  # both sample plans
    result = runner.invoke(main, ["restore-backup", str(backup), "--db", target])
    assert result.exit_code == 0, result.output
    for plan in ("soc-strategy", "hmicfrs-inspections"):
        before, after = state(source, plan), state(target, plan)
        pd.testing.assert_frame_equal(before[0], after[0])
        pd.testing.assert_frame_equal(before[1], after[1])
        pd.testing.assert_frame_equal(before[2], after[2])
        assert before[3] == after[3]
    assert Store(target).schema_current()


def test_restored_database_takes_new_imports(postgres, tmp_path, runner):
    source, target = f"sqlite:///{tmp_path / 'a.db'}", postgres.new_url()
    runner.invoke(main, ["demo", "--db", source])
    runner.invoke(main, ["backup", "-o", str(tmp_path / "b.zip"), "--db", source])
    runner.invoke(main, ["restore-backup", str(tmp_path / "b.zip"), "--db", target])
    store = Store(target, plan="soc-strategy")
    last = max(
        int(Store(target, plan=s).history()["id"].max())
        for s in ("soc-strategy", "hmicfrs-inspections")
    )
    rev = store.commit_import(
        recs(), basic_milestones(), Period(2020, 3), data=b"x", file_name="q.xlsx", imported_by="t"
    )
    assert rev.import_id == last + 1  # ids carried over; the sequence moved past them


def test_restore_refuses_a_database_that_holds_a_plan(runner, tmp_path, backend_url):
    runner.invoke(main, ["demo", "--db", backend_url])
    backup = tmp_path / "b.zip"
    runner.invoke(main, ["backup", "-o", str(backup), "--db", backend_url])
    before = Store(backend_url, plan="soc-strategy").history()
    result = runner.invoke(main, ["restore-backup", str(backup), "--db", backend_url])
    assert result.exit_code == 1
    assert "already holds 8 import(s)" in result.stderr
    assert "empty database" in result.stderr
    pd.testing.assert_frame_equal(before, Store(backend_url, plan="soc-strategy").history())


def test_backup_file_layout(runner, demo_db, tmp_path):
    backup = tmp_path / "b.zip"
    runner.invoke(main, ["backup", "-o", str(backup), "--db", demo_db])
    with zipfile.ZipFile(backup) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["format"] == "socplan-backup" and manifest["schema_revision"]
        for table, rows in manifest["tables"].items():
            assert len(archive.read(f"{table}.jsonl").splitlines()) == rows
    assert manifest["tables"]["imports"] == 5 and manifest["tables"]["import_files"] == 5


def test_not_a_backup_and_nothing_to_back_up(runner, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    result = runner.invoke(main, ["restore-backup", str(junk), "--db", f"sqlite:///{tmp_path}/x"])
    assert result.exit_code == 1 and "not a socplan backup" in result.stderr
    result = runner.invoke(
        main, ["backup", "-o", str(tmp_path / "b.zip"), "--db", f"sqlite:///{tmp_path}/none.db"]
    )
    assert result.exit_code == 1 and "nothing to back up" in result.stderr
    assert not (tmp_path / "b.zip").exists()


def test_accounts_travel_with_the_backup_and_block_a_restore(runner, tmp_path, backend_url):
    from socplan.accounts import Accounts

    source = f"sqlite:///{tmp_path / 'a.db'}"
    runner.invoke(main, ["demo", "--db", source])
    Accounts(Store(source)).add("panel", "viewer", "a long enough password", by="test")
    runner.invoke(main, ["backup", "-o", str(tmp_path / "b.zip"), "--db", source])
    # A database with an account but no plan (say, after a first `socplan serve`) is refused.
    Accounts(Store(backend_url)).add("admin", "admin", "another long password", by="test")
    result = runner.invoke(main, ["restore-backup", str(tmp_path / "b.zip"), "--db", backend_url])
    assert result.exit_code == 1 and "1 row(s) in users" in result.stderr
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert (
        runner.invoke(main, ["restore-backup", str(tmp_path / "b.zip"), "--db", fresh]).exit_code
        == 0
    )
    assert Accounts(Store(fresh)).authenticate("panel", "a long enough password", "127.0.0.1")
