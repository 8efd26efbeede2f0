"""The illustrative sample plan: its committed workbooks and the story it tells once imported."""

import pandas as pd

from socplan.demo import SAMPLE_DIR
from socplan.intake.workbook import parse_workbook
from socplan.model import DeliveryPlan
from socplan.sample import SAMPLE_NOTE, sample_returns
from socplan.store import Store


def test_committed_workbooks_match_the_code():
    for item in sample_returns():
        path = SAMPLE_DIR / item.file_name
        assert path.exists(), f"{path} is missing: run `make sample`"
        parsed = parse_workbook(
            path.read_bytes(),
            item.file_name,
            partial=item.partial,
            known_recommendations={f"R{i}" for i in range(1, 15)},
        )
        assert parsed.report.ok and not parsed.report.warnings, parsed.report.lines()
        pd.testing.assert_frame_equal(
            parsed.milestones, item.milestones.reset_index(drop=True), check_dtype=False
        )
        if not item.partial:
            pd.testing.assert_frame_equal(
                parsed.recommendations, item.recommendations, check_dtype=False
            )


def test_sample_text_is_package_data():
    """The text files ship in a non-editable install: each is matched by package-data."""
    import fnmatch
    import tomllib
    from pathlib import Path

    import socplan

    package = Path(socplan.__file__).parent
    files = sorted(p.relative_to(package).as_posix() for p in (package / "sample_data").iterdir())
    assert len(files) >= 5
    root = package.parents[1]
    with (root / "pyproject.toml").open("rb") as handle:
        globs = tomllib.load(handle)["tool"]["setuptools"]["package-data"]["socplan"]
    assert all(any(fnmatch.fnmatch(f, g) for g in globs) for f in files), (files, globs)


def test_sample_is_labelled_illustrative():
    assert "illustrative" in SAMPLE_NOTE
    assert all(item.file_name.endswith(".xlsx") for item in sample_returns())


def test_sample_plan_story(demo_db):
    plan = DeliveryPlan.from_store(Store(demo_db))
    assert [p.label for p in plan.periods] == [
        "2019/20 Q3",
        "2019/20 Q4",
        "2020/21 Q1",
        "2020/21 Q2",
    ]
    latest = plan.milestones()
    assert 55 <= len(latest) <= 70 and 12 <= len(plan.recommendations_at()) <= 16
    assert set(plan.themes) == {"Pursue", "Prevent", "Protect", "Prepare"}
    q1 = plan.milestones("2020/21 Q1")
    missed = q1[~q1["updated"]]
    assert set(missed["owner"]) == {"Prisons and probation"}
    off = set()
    for period in plan.periods:
        off |= set(plan.off_track(period)["ref"])
    assert len(off) == 2
    assert (latest["status"] == "Cancelled").sum() == 1
    assert len(plan.slipped()) >= 5 and (plan.slipped()["reason"] != "").all()
    assert len(plan.overdue()) >= 1
    history = Store(demo_db).history()
    assert list(history["kind"]) == ["full", "full", "full", "full", "partial"]
    q2 = plan.milestones("2020/21 Q2")
    assert q2[q2["owner"] == "Public health"]["updated"].all()
    assert plan.changes("2020/21 Q1", "2020/21 Q2")["moves"].shape[0] > 3
