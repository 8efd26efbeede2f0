"""Property: a generated plan written as the template and imported again gives the same model,
and its export carries every column. Values are drawn for every column the schema declares, by
its kind, so a new column is covered as soon as it is declared."""

import csv
import io
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socplan.cells import neutralise
from socplan.intake.template import write_template
from socplan.intake.workbook import parse_workbook
from socplan.periods import Period
from socplan.reporting.export import export_frame, write_csv, write_xlsx
from socplan.schema import MS_COLUMNS, REC_COLUMNS, STATUSES, THEMES, Column, Kind, contract_frame

text = (
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
    # Text that a spreadsheet would run as a formula or a link stays text all the way.
    | st.sampled_from(['=HYPERLINK("http://example.com","x")', "+44 1905", "@SUM(A1)", "-2"])
)
days = st.dates(
    min_value=pd.Timestamp("2015-01-01").date(), max_value=pd.Timestamp("2030-12-31").date()
)
# Any value a column of each kind may hold (progress from 2: a column of 0s and 1s reads as fractions).
BY_KIND = {
    Kind.TEXT: st.just("") | text,
    Kind.REF: text,
    Kind.DATE: st.none() | days,
    Kind.PERCENT: st.none() | st.integers(2, 100).map(float),
    Kind.FLAG: st.booleans(),
    Kind.STATUS: st.sampled_from(STATUSES),
}


def values(draw, columns: tuple[Column, ...]) -> dict[str, object]:
    """A value for every column, by its kind (required columns are never blank)."""
    row = {}
    for column in columns:
        strategy = BY_KIND[column.kind]
        row[column.key] = draw(text if column.required and column.kind is Kind.TEXT else strategy)
    return row


@st.composite
def plans(draw):
    n_recs = draw(st.integers(1, 4))
    recs = []
    for i in range(1, n_recs + 1):
        row = values(draw, REC_COLUMNS)
        # The contract's rules: refs, a theme from the list, partners split on ; , and new lines.
        row.update(
            ref=f"R{i}",
            theme=draw(st.sampled_from(THEMES)),
            partners="; ".join(
                draw(st.lists(text.filter(lambda s: not any(c in s for c in ";,\n")), max_size=3))
            ),
        )
        recs.append(row)
    rows = []
    for i in range(draw(st.integers(1, 8))):
        row = values(draw, MS_COLUMNS)
        rec = f"R{draw(st.integers(1, n_recs))}"
        due = draw(days)
        forecast = draw(st.none() | days.filter(lambda d, due=due: d != due))
        status = row["status"]
        # The contract's rules: refs, start by due, a reason for a forecast, Off track explained.
        row.update(
            ref=f"{rec}.{i + 1}",
            recommendation=rec,
            start=draw(st.none() | days.filter(lambda d, due=due: d <= due)),
            due=due,
            forecast=forecast,
            reason=draw(text) if forecast else "",
            update=draw(text) if status == "Off track" else row["update"],
        )
        rows.append(row)
    return contract_frame(recs, REC_COLUMNS), contract_frame(rows, MS_COLUMNS)


def exported(value: object, kind: Kind) -> str:
    """How a CSV export writes a value of a column of `kind`."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if kind is Kind.DATE:
        return pd.Timestamp(value).date().isoformat()
    if kind is Kind.FLAG:
        return "Yes" if value else "No"
    return str(neutralise(value))


def check_exports(milestones: pd.DataFrame, folder: Path) -> None:
    """Both exports carry every schema column, values as written, and no formula or link."""
    frame = export_frame(milestones)
    write_csv(frame, folder / "plan.csv")
    with (folder / "plan.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    write_xlsx(frame, folder / "plan.xlsx", title="Round trip")
    sheet = openpyxl.load_workbook(folder / "plan.xlsx")["Milestones"]
    headings = [c.value for c in sheet[1]]
    for column in MS_COLUMNS:
        expected = [exported(v, column.kind) for v in milestones[column.key]]
        assert [r[column.heading] for r in rows] == expected, column.heading
        cells = [row[headings.index(column.heading)] for row in sheet.iter_rows(min_row=2)]
        assert len(cells) == len(milestones)
        for cell, value in zip(cells, expected, strict=True):
            assert cell.data_type != "f" and cell.hyperlink is None
            if column.kind in (Kind.TEXT, Kind.REF, Kind.STATUS, Kind.FLAG):
                assert (cell.value or "") == value, column.heading


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), st.integers(2015, 2028), st.integers(1, 4))
def test_template_import_export_round_trip(plan, year, quarter):
    recs, ms = plan
    period = Period(year, quarter)
    buffer = io.BytesIO()
    write_template(buffer, period, recs, ms)
    parsed = parse_workbook(buffer.getvalue(), "generated.xlsx", period=period)
    assert parsed.report.ok, parsed.report.lines()
    assert parsed.period == period
    assert list(parsed.milestones.columns) == [c.key for c in MS_COLUMNS]
    pd.testing.assert_frame_equal(parsed.recommendations, recs, check_dtype=False)
    pd.testing.assert_frame_equal(parsed.milestones, ms, check_dtype=False)
    with tempfile.TemporaryDirectory() as folder:
        check_exports(parsed.milestones, Path(folder))
