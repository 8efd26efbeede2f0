"""An import writes its milestones in parts while its workbook is still being checked, and
keeps them only if the check ends with no errors.

Each test runs on SQLite and on PostgreSQL (see `backend_url`).
"""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from builders import T, edit, milestone, milestones, recs, template_bytes

from socplan import store as store_module
from socplan.intake import importer
from socplan.intake.importer import import_bytes
from socplan.intake.safety import Limits
from socplan.periods import Period
from socplan.store import Store
from socplan.tables import metadata

Q3, Q4 = Period(2019, 3), Period(2019, 4)


@pytest.fixture
def db_url(backend_url):
    """This module's databases are on each backend in turn."""
    return backend_url


def plan(n: int) -> pd.DataFrame:
    """`n` milestones over two recommendations, some with news this quarter."""
    return milestones(
        *(
            milestone(
                f"R{1 + i % 2}.{i}",
                due=T("2020-03-31") if i % 3 else T("2019-12-31"),
                forecast=T("2020-06-30") if i % 4 == 0 else None,
                reason="Waiting on partners" if i % 4 == 0 else "",
                progress=float(i),
            )
            for i in range(1, n + 1)
        )
    )


def seeded(url: str) -> Store:
    """A store holding Q3 (seven milestones), for Q4 to build on."""
    store = Store(url)
    store.commit_import(recs(), plan(7), Q3, data=b"q3", file_name="q3.xlsx", imported_by="x")
    return store


def contents(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order (when imports are stamped left out)."""
    out = {}
    with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = [c for c in table.c if c.name not in ("imported_at", "at", "created_at")]
            rows = conn.execute(sa.select(*columns)).all()
            out[table.name] = sorted((tuple(map(repr, row)) for row in rows), key=str)
    return out


def counted(monkeypatch, method: str) -> list[int]:
    """The rows of each frame given to `ImportInParts.<method>` from now on."""
    written: list[int] = []
    add = getattr(store_module.ImportInParts, method)

    def counting(self, frame):
        written.append(len(frame))
        return add(self, frame)

    monkeypatch.setattr(store_module.ImportInParts, method, counting)
    return written


@pytest.fixture
def parts(monkeypatch):
    """Parts of two rows, and the rows of each part of milestones written."""
    monkeypatch.setattr(importer, "PART_ROWS", 2)
    return counted(monkeypatch, "add")


@pytest.fixture
def recommendations(monkeypatch):
    """The rows of each set of recommendations written ahead of the milestones."""
    return counted(monkeypatch, "add_recommendations")


def fractions() -> bytes:
    """Progress as fractions (Excel's percent cells), the last part (of two rows) all 1.0:
    read on its own, that part would be 1%, not 100%."""
    rows = plan(9)
    rows["progress"] = [0.5, 0.25, 0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 1.0]
    return template_bytes(Q4, recs(3), rows)


def warnings() -> bytes:
    """Warnings in several parts (a due date of TBC means none)."""
    return edit(template_bytes(Q4, recs(3), plan(9)), {"Milestones": {"F2": "TBC", "F8": "tbc"}})


def flags() -> bytes:
    """Public as TRUE in one part and as 1 and 0 in others (True and 1.0 are one dict key)."""
    changes = {"M2": True, "M3": "No", "M5": 1, "M8": 0, "M10": 1}
    return edit(template_bytes(Q4, recs(3), plan(9)), {"Milestones": changes})


@pytest.mark.parametrize(
    "workbook",
    [lambda: template_bytes(Q4, recs(3), plan(9)), fractions, warnings, flags],
    ids=["numbers", "fractions", "warnings", "flags"],
)
def test_an_import_in_parts_stores_what_one_in_one_go_stores(
    db_url, tmp_path, parts, recommendations, workbook
):
    data = workbook()
    one_go = seeded(f"sqlite:///{tmp_path / 'one-go.db'}")
    expected = import_bytes(
        one_go, data, "q4.xlsx", period=Q4, imported_by="x", limits=Limits(isolate=False)
    )
    assert parts == [] and recommendations == []  # checked here: all comes with the outcome
    store = seeded(db_url)
    outcome = import_bytes(store, data, "q4.xlsx", period=Q4, imported_by="x")
    assert recommendations == [3]
    assert parts == [2, 2, 2, 2, 1]
    assert outcome.revision == expected.revision
    assert outcome.report == expected.report
    assert outcome.parsed is not None and expected.parsed is not None
    pd.testing.assert_frame_equal(outcome.parsed.milestones, expected.parsed.milestones)
    pd.testing.assert_frame_equal(outcome.parsed.recommendations, expected.parsed.recommendations)
    assert contents(store) == contents(one_go)


def test_a_failed_import_in_parts_reports_what_one_in_one_go_reports(db_url, tmp_path, parts):
    data = edit(
        template_bytes(Q4, recs(3), plan(9)),
        {
            "Milestones": {
                **{"O1": "RAG", "O5": "X"},  # a RAG column beside Status, one rating wrong
                **{"I2": "Done!", "J3": "lots", "I7": "", "F6": "TBC", "J9": 140},
            }
        },
    )
    one_go = seeded(f"sqlite:///{tmp_path / 'one-go.db'}")
    expected = import_bytes(
        one_go, data, "q4.xlsx", period=Q4, imported_by="x", limits=Limits(isolate=False)
    )
    assert len(expected.report.errors) == 5 and len(expected.report.warnings) == 1
    store = seeded(db_url)
    before = contents(store)
    outcome = import_bytes(store, data, "q4.xlsx", period=Q4, imported_by="x")
    assert outcome.revision is None
    assert outcome.report == expected.report  # the same problems, in the same order
    assert outcome.parsed is not None and expected.parsed is not None
    pd.testing.assert_frame_equal(outcome.parsed.milestones, expected.parsed.milestones)
    assert contents(store) == before


def test_recommendations_with_an_error_are_not_written(db_url, parts, recommendations):
    store = seeded(db_url)
    before = contents(store)
    bad = recs(3)
    bad.loc[2, "theme"] = "Pursuit"
    outcome = import_bytes(
        store, template_bytes(Q4, bad, plan(9)), "q4.xlsx", period=Q4, imported_by="x"
    )
    assert [str(e) for e in outcome.report.errors] == [
        "Recommendations!C4: 'Pursuit' is not a theme; use one of Pursue, Prevent, Protect, Prepare"
    ]
    assert recommendations == [] and parts == []
    assert contents(store) == before


def test_an_error_found_after_parts_were_written_leaves_the_database_as_it_was(db_url, parts):
    store = seeded(db_url)
    before = contents(store)
    rows = plan(9)
    rows.loc[8, ["status", "update"]] = ["Off track", ""]  # checked once every row is read
    data = template_bytes(Q4, recs(), rows)
    outcome = import_bytes(store, data, "q4.xlsx", period=Q4, imported_by="x")
    assert outcome.revision is None
    assert [str(e) for e in outcome.report.errors] == [
        "Milestones!K10: an Off track milestone needs its corrective action in Update; "
        "describe what is being done"
    ]
    assert parts == [2, 2, 2, 2, 1]  # all written, then rolled back
    assert contents(store) == before


@pytest.mark.parametrize(
    ("refs", "message"),
    [
        (["R1.1", "R1.2", "R1.3", "R1.1"], "'R1.1' is used twice (also in row 2)"),
        (["R1.1", "R1.2", "R1.3", ""], "the milestone ref is empty"),
    ],
    ids=["repeated in a later part", "empty"],
)
def test_a_ref_the_database_would_refuse_is_reported_not_written(db_url, parts, refs, message):
    store = seeded(db_url)
    before = contents(store)
    rows = milestones(*(milestone(ref or "R1.9", recommendation="R1") for ref in refs))
    rows["ref"] = refs
    outcome = import_bytes(
        store, template_bytes(Q4, recs(), rows), "q4.xlsx", period=Q4, imported_by="x"
    )
    assert outcome.revision is None
    [error] = outcome.report.errors
    assert message in error.message
    assert parts == [2]  # the part with the ref is not written
    assert contents(store) == before


def test_a_database_that_fails_a_good_workbook_says_so_and_keeps_nothing(
    db_url, parts, monkeypatch
):
    store = seeded(db_url)
    before = contents(store)
    write = store_module._Writing.milestones
    calls = []

    def failing(self, frame):
        calls.append(len(frame))
        if len(calls) == 2:
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))
        return write(self, frame)

    monkeypatch.setattr(store_module._Writing, "milestones", failing)
    data = template_bytes(Q4, recs(), plan(9))
    with pytest.raises(sa.exc.OperationalError, match="disk I/O error"):
        import_bytes(store, data, "q4.xlsx", period=Q4, imported_by="x")
    assert calls == [2, 2]  # the parts after a failure are not written
    assert contents(store) == before
