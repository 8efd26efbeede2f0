"""The pure measures, on three-row frames."""

from datetime import date

import pandas as pd
from builders import T, milestone, milestones

from socplan import metrics


def frame():
    ms = milestones(
        milestone("R1.1", due=T("2019-11-30"), status="On track", owner="A"),
        milestone(
            "R1.2",
            due=T("2019-11-30"),
            forecast=T("2020-02-29"),
            reason="late",
            status="At risk",
            owner="B",
        ),
        milestone("R2.1", due=T("2019-10-31"), status="Complete", owner="A"),
    )
    ms["baseline_due"] = ms["due"]
    ms["updated"] = [True, False, True]
    ms["theme"] = ["Pursue", "Pursue", "Prevent"]
    return metrics.with_measures(ms, date(2019, 12, 31))


def test_measures():
    ms = frame().set_index("ref")
    assert list(ms["overdue"]) == [True, False, False]  # complete is never overdue
    assert list(ms["slip_days"]) == [0, 91, 0]
    assert ms.at["R1.2", "effective_due"] == T("2020-02-29")


def test_status_counts():
    overall = metrics.status_counts(frame())
    assert overall.iloc[0].to_dict() == {
        "Total": 3,
        "Not started": 0,
        "On track": 1,
        "At risk": 1,
        "Off track": 0,
        "Complete": 1,
        "Cancelled": 0,
    }
    by_theme = metrics.status_counts(frame(), by="theme")
    assert by_theme.loc["Pursue", "Total"] == 2 and by_theme.loc["Prevent", "Complete"] == 1


def test_exception_lists():
    assert list(metrics.overdue(frame())["ref"]) == ["R1.1"]
    assert list(metrics.slipped(frame())["ref"]) == ["R1.2"]
    assert list(metrics.missing_updates(frame())["ref"]) == ["R1.2"]
    by_owner = metrics.missing_by_owner(frame())
    assert by_owner.iloc[0].to_dict() == {"owner": "B", "open": 1, "missing": 1, "refs": "R1.2"}


def test_changes_between_two_frames():
    before = frame()
    after = before.copy()
    after.loc[0, "status"] = "Complete"
    after.loc[1, "status"] = "Cancelled"
    after.loc[1, "effective_due"] = T("2020-06-30")
    extra = after.iloc[[0]].copy()
    extra["ref"] = "R2.2"
    after = pd.concat([after, extra], ignore_index=True)
    out = metrics.changes(before, after)
    assert out["moves"][["ref", "from", "to"]].values.tolist() == [
        ["R1.1", "On track", "Complete"],
        ["R1.2", "At risk", "Cancelled"],
    ]
    assert list(out["new"]["ref"]) == ["R2.2"]
    assert list(out["cancelled"]["ref"]) == ["R1.2"]
    assert list(out["dates"]["ref"]) == ["R1.2"]
    assert out["flow"]["count"].sum() == 2


def test_trend_and_burnup():
    a = frame().assign(period="2019/20 Q3", period_index=1)
    b = frame().assign(period="2019/20 Q4", period_index=2, status="Complete")
    snaps = pd.concat([a, b])
    trend = metrics.trend(snaps)
    assert list(trend["period"]) == ["2019/20 Q3", "2019/20 Q4"] and list(trend["Complete"]) == [
        1,
        3,
    ]
    burn = metrics.burnup(snaps, {1: date(2019, 12, 31), 2: date(2020, 3, 31)})
    assert list(burn["due_baseline"]) == [3, 3] and list(burn["due_forecast"]) == [2, 3]
    assert list(burn["complete"]) == [1, 3]


def test_inputs_are_not_changed():
    before = frame()
    copy = before.copy()
    metrics.changes(before, before)
    metrics.status_counts(before, by="owner")
    pd.testing.assert_frame_equal(before, copy)


def test_owner_summary_and_returns_by_owner():
    from builders import milestone, milestones

    from socplan import metrics

    ms = metrics.with_measures(
        milestones(
            milestone("R1.1", owner="NHS", due=T("2019-06-30"), status="On track"),
            milestone("R1.2", owner="NHS", status="Complete", progress=100.0),
            milestone("R2.1", owner="Police", status="At risk"),
        ).assign(updated=[True, False, False], baseline_due=lambda f: f["due"]),
        date(2019, 12, 31),
    )
    summary = metrics.owner_summary(ms)
    assert list(summary.index) == ["NHS", "Police"] and summary.index.name == "Owner"
    assert summary.loc["NHS", "Total"] == 2 and summary.loc["NHS", "Overdue"] == 1
    assert summary.loc["Police", "No update this period"] == 1
    returns = metrics.returns_by_owner(ms).set_index("owner")
    assert returns.loc["NHS", "returned"] == "Yes"  # the complete one is not waited for
    assert returns.loc["Police", "returned"] == "No"
    assert list(metrics.missing_updates(ms)["ref"]) == ["R2.1"]
