"""The illustrative plan of inspection recommendations: every return imports cleanly with the
plan's own vocabulary (its report names as themes), and the story it tells once imported."""

import pandas as pd
import pytest

from socplan.config import load_settings
from socplan.demo import inspection_workbook, load_inspection_demo
from socplan.intake.importer import import_bytes
from socplan.intake.workbook import Vocabulary
from socplan.model import DeliveryPlan
from socplan.periods import Period
from socplan.sample import PERIODS as SOC_PERIODS
from socplan.sample import sample_returns
from socplan.sample_inspections import (
    INSPECTION_NOTE,
    INSPECTION_REPORTS,
    INSPECTION_SETTINGS,
    inspection_returns,
)
from socplan.schema import (
    AT_RISK,
    CANCELLED,
    COMPLETE,
    OFF_TRACK,
    RAG_DEFINITIONS,
    STATUSES,
    THEMES,
)
from socplan.store import Store

PERIODS = ["2024/25 Q1", "2024/25 Q2"]


@pytest.fixture(scope="module")
def inspection_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A fresh store holding the inspection plan, loaded as the demo loads it."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('insp') / 'plan.db'}")
    load_inspection_demo(store)
    return store


def test_every_return_imports_without_errors_or_warnings(store):
    vocabulary = Vocabulary(tuple(INSPECTION_REPORTS), STATUSES)
    for i, item in enumerate(inspection_returns()):
        name, period, partial, data = inspection_workbook(i)
        assert (name, period.label, partial) == (item.file_name, item.period, item.partial)
        outcome = import_bytes(
            store,
            data,
            name,
            period=period,
            imported_by="test",
            partial=partial,
            kind="partial" if partial else "full",
            vocabulary=vocabulary,
        )
        report = outcome.report
        assert report.ok and not report.warnings, report.lines()
        assert outcome.revision is not None
        # What was stored is what the code wrote.
        assert len(outcome.parsed.milestones) == len(item.milestones)
        assert list(outcome.parsed.milestones["ref"]) == list(item.milestones["ref"])


def test_the_default_themes_refuse_it(store):
    """The installation's default themes (the 4Ps) are not this plan's: its vocabulary is needed."""
    name, period, _, data = inspection_workbook(0)
    outcome = import_bytes(store, data, name, period=period, imported_by="test")
    assert not outcome.report.ok
    assert any("is not a theme" in p.message for p in outcome.report.errors)


def test_settings_and_note(monkeypatch):
    assert "illustrative" in INSPECTION_NOTE and "invented" in INSPECTION_NOTE
    assert len(INSPECTION_REPORTS) == 3 and len(set(INSPECTION_REPORTS)) == 3
    assert all(len(r) < 40 and r.isascii() for r in INSPECTION_REPORTS)
    assert not set(INSPECTION_REPORTS) & set(THEMES)
    assert list(INSPECTION_SETTINGS["themes"]) == list(INSPECTION_REPORTS)
    assert INSPECTION_SETTINGS["strategy"] == "HMICFRS inspection recommendations"
    rag = INSPECTION_SETTINGS["rag_definitions"]
    assert isinstance(rag, dict) and rag.keys() == RAG_DEFINITIONS.keys()
    assert rag != RAG_DEFINITIONS and all(rag.values())
    # The settings are shaped as a settings file holds them.
    monkeypatch.delenv("SOCPLAN_CONFIG", raising=False)
    settings = load_settings(**INSPECTION_SETTINGS)
    assert settings.themes == INSPECTION_REPORTS and settings.rag_definitions == rag


def test_returns_are_shaped_like_the_soc_sample_but_differ():
    returns = inspection_returns()
    assert [(r.period, r.partial) for r in returns] == [
        ("2024/25 Q1", False),
        ("2024/25 Q2", False),
        ("2024/25 Q2", True),
    ]
    assert not set(PERIODS) & set(SOC_PERIODS)
    assert all(r.file_name.endswith(".xlsx") for r in returns)
    names = [r.file_name for r in returns]
    assert len(set(names)) == len(names)
    assert not set(names) & {r.file_name for r in sample_returns()}
    soc_owners = set()
    for item in sample_returns():
        soc_owners |= set(item.milestones["owner"]) | set(item.recommendations["lead"])
    for item in returns:
        assert not set(item.milestones["owner"]) & soc_owners
        assert item.milestones["ref"].is_unique
        assert item.recommendations["ref"].is_unique
        assert set(item.recommendations["theme"]) <= set(INSPECTION_REPORTS)


def test_rows_pass_the_importers_rules():
    """The rules the importer checks, and the ones it leaves to the people filling it in."""
    for item in inspection_returns():
        end = pd.Timestamp(Period.parse(item.period).end)
        for row in item.milestones.to_dict("records"):
            ref = row["ref"]
            assert ref.startswith(row["recommendation"] + "."), ref
            assert pd.Timestamp("2024-01-01") <= row["start"] <= row["due"], ref
            assert row["due"] <= pd.Timestamp("2025-12-31"), ref
            assert 0 <= row["progress"] <= 100 and row["update"], ref
            assert (row["status"] == COMPLETE) == pd.notna(row["completed"]), ref
            if row["status"] == COMPLETE:
                assert row["progress"] == 100 and row["start"] <= row["completed"] <= end, ref
            if pd.notna(row["forecast"]):
                assert row["forecast"] > row["due"] and row["reason"], ref
            else:
                assert not row["reason"], ref


def test_inspection_plan_story(inspection_store):
    plan = DeliveryPlan.from_store(inspection_store)
    assert [p.label for p in plan.periods] == PERIODS
    assert set(plan.themes) == set(INSPECTION_REPORTS)
    recs = plan.recommendations_at()
    assert 8 <= len(recs) <= 10 and recs["ref"].is_unique
    assert {"PEEL-R1", "PEEL-AFI2", "CDI-R1", "VMM-R3"} <= set(recs["ref"])
    latest = plan.milestones()
    assert 20 <= len(latest) <= 26 and latest["ref"].is_unique
    assert "PEEL-R1.1" in set(latest["ref"])
    counts = latest["status"].value_counts()
    assert counts.get(COMPLETE, 0) >= 5
    assert counts.get(OFF_TRACK) == 1 and counts.get(AT_RISK) == 1 and counts.get(CANCELLED) == 1
    off = plan.off_track()
    assert "orrective action" in off["update"].iloc[0]
    slipped = plan.slipped()
    assert len(slipped) >= 2 and (slipped["reason"] != "").all()
    # Some items are not for publication, and a private recommendation's milestones follow it.
    assert (~recs["public"]).sum() >= 1 and (~latest["public"]).sum() >= 2
    private = set(recs.loc[~recs["public"], "ref"])
    assert not latest.loc[latest["recommendation"].isin(private), "public"].any()
    # Every milestone has a completion date exactly when it is Complete.
    assert (latest["completed"].notna() == (latest["status"] == COMPLETE)).all()
    q1 = plan.milestones("2024/25 Q1")
    assert (q1["status"] == COMPLETE).sum() >= 3 and len(q1) < len(latest)


def test_the_partial_return_merges(inspection_store):
    history = inspection_store.history()
    assert list(history["kind"]) == ["full", "full", "partial"]
    plan = DeliveryPlan.from_store(inspection_store)
    q2 = plan.milestones("2024/25 Q2")
    opcc = q2[q2["owner"] == "OPCC Scrutiny Team"]
    assert len(opcc) >= 2 and opcc["updated"].all()
    assert q2["updated"].all()
    # The OPCC's rows carry its Q2 updates, not the Q1 ones.
    q1 = plan.milestones("2024/25 Q1").set_index("ref")
    for row in opcc.to_dict("records"):
        assert row["update"] != q1.loc[row["ref"], "update"]
