"""The Milestones sheet's optional Evidence column: template, import, store, migration, exports."""

import csv
import io

import openpyxl
import pandas as pd
import pytest
from builders import milestone, milestones, recs, sheet_bytes, stored_imports, template_bytes

from socplan.intake.workbook import parse_workbook
from socplan.model import DeliveryPlan
from socplan.periods import Period
from socplan.reporting.export import export_frame, write_csv, write_xlsx

Q3, Q4 = Period(2019, 3), Period(2019, 4)
LINK = '=HYPERLINK("https://example.org/minutes.pdf","Minutes")'


@pytest.fixture
def db_url(backend_url):
    """This module's stores are on each backend in turn."""
    return backend_url


def with_evidence() -> pd.DataFrame:
    return milestones(
        milestone("R1.1", evidence="https://example.org/agreement.pdf"),
        milestone("R1.2", evidence=LINK),
        milestone("R2.1"),
    )


def test_template_has_the_column_and_reads_it_back_as_text():
    data = template_bytes(Q3, recs(), with_evidence())
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Milestones"]
    headers = [c.value for c in sheet[1]]
    assert headers[-1] == "Evidence"
    cells = [row[len(headers) - 1] for row in sheet.iter_rows(min_row=2, max_row=4)]
    assert all(c.data_type == "s" and c.hyperlink is None for c in cells if c.value)
    assert cells[1].value == LINK and cells[1].quotePrefix  # text, never a live formula
    parsed = parse_workbook(data, "t.xlsx")
    assert parsed.report.ok, parsed.report.lines()
    assert list(parsed.milestones["evidence"]) == list(with_evidence()["evidence"])


@pytest.mark.parametrize("header", ["Evidence link", " EVIDENCE REF ", "Supporting evidence"])
def test_synonyms_and_workbooks_without_the_column(header):
    """Read under its synonyms; a workbook from before the column reads as no evidence."""
    rows = [
        ["Ref", "Recommendation", "Milestone", "Owner", "Due", "Status", header],
        ["R1.1", "R1", "Map county lines", "Police", "31/03/2020", "G", "SharePoint ref 42"],
    ]
    recs_rows = [["Ref", "Recommendation", "Theme", "Lead"], ["R1", "Text", "Pursue", "Police"]]
    parsed = parse_workbook(sheet_bytes({"Recommendations": recs_rows, "Milestones": rows}), "x")
    assert parsed.report.ok and not parsed.report.notices, parsed.report.lines()
    assert parsed.milestones.at[0, "evidence"] == "SharePoint ref 42"
    older = sheet_bytes({"Recommendations": recs_rows, "Milestones": [r[:-1] for r in rows]})
    without = parse_workbook(older, "older.xlsx")
    assert without.report.ok and without.milestones.at[0, "evidence"] == ""


def test_stored_per_snapshot_and_carried_forward(store):
    store.commit_import(
        recs(), with_evidence(), Q3, data=b"q3", file_name="q3.xlsx", imported_by="t"
    )
    changed = with_evidence().iloc[:2].copy()
    changed.loc[0, "evidence"] = "Minutes of 12 January 2020"
    store.commit_import(
        recs(), changed, Q4, data=b"q4", file_name="q4.xlsx", imported_by="t", partial=True
    )
    plan = DeliveryPlan.from_store(store)
    q3 = plan.milestones(Q3).set_index("ref")["evidence"]
    q4 = plan.milestones(Q4).set_index("ref")["evidence"]
    assert q3["R1.1"] == "https://example.org/agreement.pdf" and q3["R1.2"] == LINK
    assert q4["R1.1"] == "Minutes of 12 January 2020" and q4["R2.1"] == ""


def test_migration_keeps_snapshots_stored_before_the_column(store):
    store.commit_import(
        recs(), with_evidence(), Q3, data=b"q3", file_name="q3.xlsx", imported_by="t"
    )
    store.downgrade("0003")
    assert stored_imports(store) == 1  # the plan survives, without its evidence
    store.upgrade()
    loaded = DeliveryPlan.from_store(store).milestones(Q3)
    assert len(loaded) == 3 and (loaded["evidence"] == "").all()


def test_exports_carry_evidence_as_inert_text(tmp_path):
    frame = export_frame(with_evidence())
    write_csv(frame, tmp_path / "plan.csv")
    with (tmp_path / "plan.csv").open(encoding="utf-8", newline="") as handle:
        evidence = [row["Evidence"] for row in csv.DictReader(handle)]
    assert evidence == ["https://example.org/agreement.pdf", "'" + LINK, ""]
    write_xlsx(frame, tmp_path / "plan.xlsx", title="Plan")
    sheet = openpyxl.load_workbook(tmp_path / "plan.xlsx")["Milestones"]
    column = [c.value for c in sheet[1]].index("Evidence")
    cells = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells[:2]] == ["https://example.org/agreement.pdf", "'" + LINK]
    assert all(c.data_type != "f" and c.hyperlink is None for c in cells)
