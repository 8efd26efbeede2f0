"""Revisions, carry-forward, partial merges, baselines, restore, history, migrations.

Every test that takes `store` runs twice: on SQLite and on PostgreSQL (see `backend_url`).
"""

import hashlib

import pandas as pd
import pytest
from builders import T, basic_milestones, milestone, milestones, recs

from socplan.model import DeliveryPlan
from socplan.periods import Period
from socplan.store import Store, StoreError

Q3, Q4, Q1 = Period(2019, 3), Period(2019, 4), Period(2020, 1)


@pytest.fixture
def db_url(backend_url):
    """This module's stores are on each backend in turn."""
    return backend_url


def put(store, period, ms, *, partial=False, r=None, name="plan.xlsx", data=b"data"):
    return store.commit_import(
        recs() if r is None else r,
        ms,
        period,
        data=data,
        file_name=name,
        imported_by="tester",
        partial=partial,
    )


def test_every_import_is_a_new_revision_and_keeps_its_file(store):
    first = put(store, Q3, basic_milestones(), data=b"one")
    second = put(store, Q3, basic_milestones(), data=b"two")
    assert (first.revision, second.revision) == (1, 2)
    history = store.history()
    assert list(history["revision"]) == [1, 2]
    assert history.at[0, "sha256"] == hashlib.sha256(b"one").hexdigest()
    assert history.at[0, "imported_by"] == "tester" and history.at[0, "size"] == 3
    assert store.original_file(first.import_id) == ("plan.xlsx", b"one")


def test_missing_milestone_is_carried_forward_flagged_never_deleted(store):
    put(store, Q3, basic_milestones())
    rev = put(store, Q4, basic_milestones().iloc[:2])
    assert rev.carried_forward == 1
    plan = DeliveryPlan.from_store(store)
    q4 = plan.milestones(Q4).set_index("ref")
    assert len(q4) == 3
    assert not q4.at["R2.1", "updated"] and q4.at["R1.1", "updated"]
    assert q4.at["R2.1", "status"] == "Not started"


def test_partial_return_merges_into_current_revision(store):
    put(store, Q3, basic_milestones())
    put(store, Q4, basic_milestones().iloc[:1])  # only R1.1 updated in the main return
    late = milestones(milestone("R2.1", owner="Public health", status="On track", progress=30.0))
    rev = put(store, Q4, late, partial=True, r=recs().iloc[0:0])
    assert rev.revision == 2 and rev.kind == "partial"
    q4 = DeliveryPlan.from_store(store).milestones(Q4).set_index("ref")
    assert q4.at["R2.1", "status"] == "On track" and q4.at["R2.1", "updated"]
    assert q4.at["R1.1", "updated"] and not q4.at["R1.2", "updated"]
    assert len(DeliveryPlan.from_store(store).recommendations_at(Q4)) == 2


def test_baselines_read_ahead_are_used_only_while_their_base_is_current(store):
    put(store, Q3, basic_milestones())
    ahead = store.read_baselines(Q4)
    assert ahead is not None and set(ahead.by_ref) == {"R1.1", "R1.2", "R2.1"}
    # Another import of Q3 lands before the Q4 import commits: it is Q4's base now, and it
    # brings R1.3, first due in June (the base read ahead does not have it).
    new = milestone("R1.3", due=T("2020-06-30"))
    put(store, Q3, pd.concat([basic_milestones(), milestones(new)], ignore_index=True))
    moved = milestones(milestone("R1.3", due=T("2020-09-30")))
    store.commit_import(
        recs(), moved, Q4, data=b"q4", file_name="q4.xlsx", imported_by="t", baselines=ahead
    )
    q4 = DeliveryPlan.from_store(store).milestones(Q4).set_index("ref")
    assert q4.at["R1.3", "baseline_due"] == T("2020-06-30")
    assert q4.at["R1.3", "due"] == T("2020-09-30")


def test_baselines_read_ahead_are_those_of_the_current_base(store):
    assert store.read_baselines(Q3) is None  # nothing imported: no base
    put(store, Q3, basic_milestones())
    ahead = store.read_baselines(Q4)
    moved = basic_milestones()
    moved.loc[0, "due"] = T("2020-09-30")
    rev = store.commit_import(
        recs(), moved, Q4, data=b"q4", file_name="q4.xlsx", imported_by="t", baselines=ahead
    )
    assert rev.carried_forward == 0
    q4 = DeliveryPlan.from_store(store).milestones(Q4).set_index("ref")
    assert q4.at["R1.1", "baseline_due"] == T("2020-03-31")


def test_baseline_fixed_at_first_appearance_and_date_log(store):
    put(store, Q3, basic_milestones())
    moved = basic_milestones()
    moved.loc[0, "due"] = T("2020-09-30")  # someone edits Due: the baseline stays
    moved.loc[1, "forecast"] = T("2020-03-31")
    moved.loc[1, "reason"] = "Trainer unavailable"
    put(store, Q4, moved)
    plan = DeliveryPlan.from_store(store)
    q4 = plan.milestones(Q4).set_index("ref")
    assert q4.at["R1.1", "baseline_due"] == T("2020-03-31")
    assert q4.at["R1.2", "slip_days"] == 91
    log = plan.date_changes()
    row = log[log["ref"] == "R1.2"].iloc[0]
    assert (row["period"], row["from"], row["to"], row["reason"]) == (
        "2019/20 Q4",
        T("2019-12-31"),
        T("2020-03-31"),
        "Trainer unavailable",
    )


def test_restore_makes_a_new_revision(store):
    put(store, Q3, basic_milestones())
    changed = basic_milestones()
    changed["status"] = "Complete"
    put(store, Q3, changed)
    rev = store.restore(Q3, 1, "admin")
    assert rev.revision == 3
    plan = DeliveryPlan.from_store(store)
    assert list(plan.milestones(Q3)["status"]) == list(basic_milestones()["status"])
    assert list(store.history()["kind"]) == ["full", "full", "restore"]
    with pytest.raises(StoreError, match="no revision 9"):
        store.restore(Q3, 9, "admin")


def test_cancelled_is_kept(store):
    put(store, Q3, basic_milestones())
    cancelled = basic_milestones()
    cancelled.loc[2, "status"] = "Cancelled"
    put(store, Q4, cancelled)
    put(store, Q1, basic_milestones().iloc[:2])
    q1 = DeliveryPlan.from_store(store).milestones(Q1).set_index("ref")
    assert q1.at["R2.1", "status"] == "Cancelled"


def test_empty_database_reads(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'none.db'}")
    assert store.is_empty() and store.history().empty and store.known_recommendations() == set()
    assert not (tmp_path / "none.db").exists()  # reading never creates the file


def test_migrations_upgrade_and_downgrade(store):
    store.upgrade()
    assert store.schema_current()
    put(store, Q3, basic_milestones())
    store.downgrade("base")
    assert not store.exists()
    store.upgrade()
    assert store.is_empty()


def test_sqlite_pragmas(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'plan.db'}")
    store.ensure_schema()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60000


def test_load_types(store):
    put(store, Q3, basic_milestones())
    _, ms = store.load()
    assert str(ms["due"].dtype) == "datetime64[ns]" and ms["updated"].dtype == bool
    assert isinstance(ms, pd.DataFrame)


def test_default_database_is_data_in_a_checkout_and_the_user_folder_when_installed(
    monkeypatch, tmp_path
):
    import socplan.store as store_module

    monkeypatch.delenv("SOCPLAN_DB", raising=False)
    assert store_module.default_url().endswith("/data/socplan.db")
    installed = tmp_path / "site-packages" / "x" / "data"  # no pyproject.toml beside it
    monkeypatch.setattr(store_module, "DATA_DIR", installed)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert (
        store_module.default_url() == f"sqlite:///{tmp_path / 'share' / 'socplan' / 'socplan.db'}"
    )


def test_a_database_from_an_earlier_version_is_upgraded_before_it_is_read(db_url):
    from socplan.demo import load_demo
    from socplan.model import DeliveryPlan

    store = Store(db_url)
    load_demo(store)
    before = DeliveryPlan.from_store(store).milestones()
    store.downgrade("0003")  # as a database written before the Evidence column
    assert not store.schema_current()
    after = DeliveryPlan.from_store(Store(db_url)).milestones()  # a read, no write first
    assert Store(db_url).schema_current() and len(after) == len(before)


def test_a_plan_refreshed_after_an_import_reads_only_what_changed(store, monkeypatch):
    import socplan.store as store_module
    from socplan.model import DeliveryPlan

    put(store, Q3, basic_milestones())
    put(store, Q4, basic_milestones())
    held = DeliveryPlan.from_store(store)
    changed = basic_milestones().iloc[:1].assign(status="Off track", update="Slipped: a fix")
    store.commit_import(
        recs(), changed, Q4, data=b"p", file_name="p.xlsx", imported_by="t", partial=True
    )
    read: list[list[int]] = []
    real = store_module._read_rows
    monkeypatch.setattr(
        store_module,
        "_read_rows",
        lambda conn, table, ids: read.append(ids) or real(conn, table, ids),
    )
    refreshed = held.refreshed(store)
    assert read and all(ids == [int(store.history()["id"].iloc[-1])] for ids in read)  # Q4 only
    fresh = DeliveryPlan.from_store(store)

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sort_values(["period_index", "ref"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(ordered(refreshed.snapshots), ordered(fresh.snapshots))
    pd.testing.assert_frame_equal(
        ordered(refreshed.recommendations), ordered(fresh.recommendations)
    )
    assert refreshed.refreshed(store) is refreshed  # nothing new: nothing read, the same plan


def test_a_refreshed_plan_works_out_only_what_changed_and_equals_a_fresh_one(store):
    from socplan.model import DeliveryPlan

    put(store, Q3, basic_milestones())
    put(store, Q4, basic_milestones())
    held = DeliveryPlan.from_store(store)
    worked_out = held.trend(), held.burnup(), held.milestones(Q3), held.milestones(Q4)
    assert worked_out and held.nbytes()
    changed = basic_milestones().iloc[:1].assign(status="Complete", update="Done early")
    store.commit_import(
        recs(), changed, Q4, data=b"p", file_name="p.xlsx", imported_by="t", partial=True
    )
    refreshed, fresh = held.refreshed(store), DeliveryPlan.from_store(store)
    pd.testing.assert_frame_equal(refreshed.trend(), fresh.trend())
    pd.testing.assert_frame_equal(refreshed.burnup(), fresh.burnup())
    for period in (Q3, Q4):
        pd.testing.assert_frame_equal(refreshed.milestones(period), fresh.milestones(period))
    assert refreshed.trend()["Complete"].tolist() != held.trend()["Complete"].tolist()
    assert refreshed.nbytes() > 0


def test_only_integers_and_booleans_are_written_into_an_insert_statement():
    """A column the same in every row is written in the statement's text, never anything but an
    integer or a boolean."""
    from socplan.store import _sql_literal

    assert [_sql_literal(v) for v in (True, False, 7)] == ["TRUE", "FALSE", "7"]
    for other in ("1); DROP TABLE imports; --", 1.5, None):
        with pytest.raises(TypeError):
            _sql_literal(other)  # type: ignore[arg-type]
