"""A killed import leaves the database as it was; imports at the same time all land.

Each test runs on SQLite and on PostgreSQL (see `backend_url`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from builders import basic_milestones, recs, template_bytes

from socplan.model import DeliveryPlan
from socplan.periods import Period
from socplan.store import Store


@pytest.fixture
def db_url(backend_url):
    """This module's databases are on each backend in turn."""
    return backend_url


KILLED_IMPORT = """
import sys, time
from pathlib import Path
from socplan.intake.importer import import_bytes
from socplan.periods import Period
from socplan.store import Store

url, workbook, marker = sys.argv[1:4]
store = Store(url)

def hang():
    Path(marker).write_text("inside the transaction")
    time.sleep(120)

store.before_commit = hang
import_bytes(store, Path(workbook).read_bytes(), "q4.xlsx", period=Period(2019, 4), imported_by="x")
"""


def snapshot(url: str):
    store = Store(url)
    plan = DeliveryPlan.from_store(store)
    history = store.history().drop(columns=["imported_at"])
    store.engine.dispose()
    return plan.snapshots.sort_values(["period_index", "ref"]).reset_index(drop=True), history


def test_import_killed_mid_transaction_changes_nothing(tmp_path: Path, db_url: str):
    store = Store(db_url)
    store.commit_import(
        recs(), basic_milestones(), Period(2019, 3), data=b"x", file_name="q3.xlsx", imported_by="x"
    )
    store.engine.dispose()
    before = snapshot(db_url)
    changed = basic_milestones().assign(
        status="Complete", progress=100.0, completed=pd.Timestamp("2020-01-15")
    )
    workbook = tmp_path / "q4.xlsx"
    workbook.write_bytes(template_bytes(Period(2019, 4), recs(), changed))
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORT, db_url, str(workbook), str(marker)]
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the importer exited before reaching the transaction"
            assert time.monotonic() < deadline, "the importer never reached the transaction"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    after = snapshot(db_url)
    pd.testing.assert_frame_equal(before[0], after[0])
    pd.testing.assert_frame_equal(before[1], after[1])
    check = Store(db_url)
    if check.engine.dialect.name == "sqlite":
        with check.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    # The lock died with the process: the next import goes through.
    rev = check.commit_import(
        recs(), changed, Period(2019, 4), data=b"y", file_name="q4.xlsx", imported_by="x"
    )
    assert rev.revision == 1


def _start_imports(tmp_path: Path, db_url: str, count: int) -> list[subprocess.Popen]:
    procs = []
    for i in range(count):
        path = tmp_path / f"return-{i}.xlsx"
        ms = basic_milestones().assign(update=f"return {i}")
        path.write_bytes(template_bytes(Period(2019, 3), recs(), ms))
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "socplan.cli",
                    "import",
                    str(path),
                    "--period",
                    "2019/20 Q3",
                    "--db",
                    db_url,
                    "--user",
                    f"editor{i}",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    return procs


def test_simultaneous_imports_all_become_revisions(tmp_path: Path, db_url: str):
    # A fresh database: the processes also race to create the schema.
    procs = _start_imports(tmp_path, db_url, 3)
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    history = Store(db_url).history()
    assert sorted(history["revision"]) == [1, 2, 3]
    assert sorted(history["imported_by"]) == ["editor0", "editor1", "editor2"]
    # The current revision is whole: one return's commentary throughout.
    current = DeliveryPlan.from_store(Store(db_url)).milestones(Period(2019, 3))
    assert current["update"].nunique() == 1
