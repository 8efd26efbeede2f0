"""Sheets that reach far past any plan are refused before a parser builds their grid, named by
their farthest cell, quickly and in little memory."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from builders import basic_milestones, recs, rewrite_member, sheet_bytes, stray_cell, template_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from socplan.intake.extents import _usual, _within, far_cell, sheet_extent, sheet_parts
from socplan.intake.importer import Checking, check, import_bytes
from socplan.intake.safety import Limits, UnsafeFile, check_workbook_bytes
from socplan.periods import Period
from socplan.schema import MS_COLUMNS
from socplan.store import ImportInParts, Store

Q3 = Period(2019, 3)
FAR = (
    "a value far outside the table; delete it (or clear the rows and columns beyond the plan) "
    "and save again"
)

# Runs the command as its child and prints the peak memory (KB) of everything below it.
PEAK = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr)\n"
    "print('PEAK', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(r.returncode)\n"
)


def good() -> bytes:
    return template_bytes(Q3, recs(), basic_milestones())


def milestones_xml(change) -> bytes:
    """The good workbook with its Milestones sheet's XML rewritten by `change`."""
    data = good()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        member = dict(sheet_parts(archive))["Milestones"]
    return rewrite_member(data, member, change)


def refusal(data: bytes, limits: Limits | None = None) -> str:
    with pytest.raises(UnsafeFile) as caught:
        check_workbook_bytes(data, "plan.xlsx", limits)
    return str(caught.value)


@pytest.mark.parametrize(
    ("cell", "dimension"),
    [("XFD1048576", None), ("ZZ200000", None), ("ZZ200000", "A1:M20"), ("A250001", None)],
)
def test_far_cell_is_named(cell, dimension):
    assert refusal(stray_cell(good(), "Milestones", cell, dimension)) == f"Milestones!{cell}: {FAR}"


def test_dimension_alone_counts():
    data = milestones_xml(
        lambda xml: re.sub(rb'<dimension ref="A1:[A-Z]+', b'<dimension ref="A1:XFD', xml)
    )
    assert refusal(data).startswith("Milestones!XFD")


def test_within_limits_passes():
    check_workbook_bytes(stray_cell(good(), "Milestones", "SF250000"), "plan.xlsx")


def test_limits_are_settings():
    data = stray_cell(good(), "Milestones", "Z900")
    assert refusal(data, Limits(max_sheet_columns=20)) == f"Milestones!Z900: {FAR}"
    assert refusal(data, Limits(max_sheet_rows=800)) == f"Milestones!Z900: {FAR}"


@pytest.mark.parametrize(
    ("label", "cells", "far"),
    [
        ("cells without r are counted", "<c><v>1</v></c>" * 600, "WB"),
        ("prefixed cells", '<x:c r="ZZ7"><x:v>1</x:v></x:c>', "ZZ"),
        ("single quotes", "<c r='ZZ7'><v>1</v></c>", "ZZ"),
        ("r after other attributes", '<c t="n" s="1" r="ZZ7"><v>1</v></c>', "ZZ"),
        ("lower case", '<c r="zz7"><v>1</v></c>', "ZZ"),
    ],
)
def test_unusual_layouts_are_measured(label, cells, far):
    row = f'<row r="7" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{cells}</row>'
    data = milestones_xml(lambda xml: xml.replace(b"</sheetData>", row.encode() + b"</sheetData>"))
    assert refusal(data).startswith(f"Milestones!{far}"), label


def test_rows_without_r_are_counted():
    rows = "<row><c><v>1</v></c></row>" * 300
    data = milestones_xml(lambda xml: xml.replace(b"</sheetData>", rows.encode() + b"</sheetData>"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        member = dict(sheet_parts(archive))["Milestones"]
        assert sheet_extent(archive, member).rows >= 800
        assert far_cell(archive, member, 700, 500) is not None


def test_usual_workbook_extent():
    with zipfile.ZipFile(io.BytesIO(good())) as archive:
        extents = {sheet: sheet_extent(archive, member) for sheet, member in sheet_parts(archive)}
    assert extents["Milestones"].columns == len(MS_COLUMNS)
    assert {"Recommendations", "Milestones", "About"} <= set(extents)


@pytest.mark.parametrize(
    ("cell", "dimension"), [("XFD1048576", None), ("ZZ200000", None), ("ZZ200000", "A1:M20")]
)
def test_validate_refuses_quickly_in_little_memory(tmp_path: Path, cell, dimension):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(stray_cell(good(), "Milestones", cell, dimension))
    exe = str(Path(sys.executable).with_name("socplan"))
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", PEAK, exe, "validate", str(path), "--period", "2019/20 Q3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.perf_counter() - start
    assert result.returncode == 1, result.stderr
    assert f"error: Milestones!{cell}: {FAR}" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    peak_kb = int(result.stdout.rsplit("PEAK", 1)[1])
    assert peak_kb < 400_000, f"{peak_kb} KB"
    assert elapsed < 15, f"{elapsed:.1f} s"


@pytest.mark.parametrize("cell", ["XFD1048576", "ZZ200000"])
def test_ods_far_value_is_refused_quickly_in_little_memory(tmp_path: Path, cell):
    """calamine would build the grid of an .ods when it opens it; the check reads content.xml
    first, streaming."""
    from builders import ods_edit, ods_template_bytes

    path = tmp_path / "plan.ods"
    path.write_bytes(
        ods_edit(ods_template_bytes(Q3, recs(), basic_milestones()), {"Milestones": {cell: "x"}})
    )
    exe = str(Path(sys.executable).with_name("socplan"))
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", PEAK, exe, "validate", str(path), "--period", "2019/20 Q3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.perf_counter() - start
    assert result.returncode == 1, result.stderr
    assert f"error: Milestones!{cell}: {FAR}" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    peak_kb = int(result.stdout.rsplit("PEAK", 1)[1])
    assert peak_kb < 400_000, f"{peak_kb} KB"
    assert elapsed < 15, f"{elapsed:.1f} s"


TAGS = [
    '<c r="A1">',
    '<c r="Z99999"/>',
    '<c r="AA1">',
    '<c r="A100000">',
    '<c r="SF250000">',
    '<c r="SG1">',
    '<c r="A250001">',
    '<c r="XFD1048576">',
    "<c>",
    "<c/>",
    "<c r='A1'>",
    '<c t="n" r="A1">',
    '<c r="a1">',
    '<c\nr="A1">',
    "<cols>",
    '<row r="7">',
    '<row r="99999">',
    '<row r="100000">',
    '<row r="250001">',
    "<row>",
    '<row spans="1:2">',
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(TAGS), max_size=6),
    st.sampled_from([(250_000, 500), (800, 20), (99_999, 26), (99_998, 26), (99_999, 25)]),
)
def test_quick_look_agrees_with_the_full_patterns(tags, limits):
    """The cheap first look clears a chunk only when the full patterns would clear it too."""
    chunk = "".join(tags).encode()
    assert _usual(chunk, *limits) == _within(chunk, *limits)


def padded(data: bytes, rows: int = 90_000, columns: int = 8) -> bytes:
    """The workbook with its Instructions sheet (measured before the Milestones sheet) filled
    with text, so that measuring the sheets takes a while."""

    def change(xml: bytes) -> bytes:
        cells = "".join(
            f'<row r="{r}">'
            + "".join(
                f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{r * 7919 + c:x}</t></is></c>'
                for c in range(columns)
            )
            + "</row>"
            for r in range(100, 100 + rows)
        )
        return xml.replace(b"</sheetData>", cells.encode() + b"</sheetData>")

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        member = dict(sheet_parts(archive))["Instructions"]
    return rewrite_member(data, member, change)


@pytest.fixture
def fallbacks(monkeypatch):
    """How many times a check whose child died looked at the file again without parsing it."""
    calls: list[str | None] = []
    again = Checking._refusal

    def counting(self):
        calls.append(again(self))
        return calls[-1]

    monkeypatch.setattr(Checking, "_refusal", counting)
    return calls


def test_a_refused_sheet_ends_the_check_before_any_cell_is_used(tmp_path, fallbacks, monkeypatch):
    """In the check's child the sheets are measured while calamine parses them; no cell becomes
    a value (so no milestone is written) until they have passed."""
    written = []
    monkeypatch.setattr(ImportInParts, "add", lambda self, frame: written.append(frame))
    monkeypatch.setattr(ImportInParts, "add_recommendations", lambda self, f: written.append(f))
    data = padded(stray_cell(good(), "Milestones", "Z5"))
    store = Store(f"sqlite:///{tmp_path / 'plan.db'}")
    outcome = import_bytes(
        store, data, "plan.xlsx", period=Q3, imported_by="x", limits=Limits(max_sheet_columns=20)
    )
    assert [str(e) for e in outcome.report.errors] == [f"Milestones!Z5: {FAR}"]
    assert outcome.revision is None
    assert written == []
    assert fallbacks == []  # refused by the measuring, not found again after a crash
    assert store.is_empty()


def test_a_child_that_dies_building_a_far_sheet_still_names_the_cell(fallbacks):
    """calamine can reach a far cell's grid (past the child's memory) before the measuring
    reaches that sheet; the child dies, and the file is measured again without parsing it."""
    data = padded(stray_cell(good(), "Milestones", "XFD1048576"))
    outcome = check(data, "plan.xlsx", period=Q3)
    assert [str(e) for e in outcome.report.errors] == [f"Milestones!XFD1048576: {FAR}"]
    assert fallbacks == [f"Milestones!XFD1048576: {FAR}"]


def test_a_workbook_with_only_a_milestones_sheet_is_measured_before_anything_is_written(
    tmp_path, monkeypatch
):
    """A partial return may hold no sheet but Milestones (read in a thread of its own): the
    recommendations it lacks are handed on only once its sheets have passed."""
    written = []
    monkeypatch.setattr(ImportInParts, "add", lambda self, frame: written.append(frame))
    monkeypatch.setattr(ImportInParts, "add_recommendations", lambda self, f: written.append(f))
    header = [c.name for c in MS_COLUMNS]
    data = sheet_bytes({"Instructions": [["Fill in the Milestones sheet"]], "Milestones": [header]})
    data = padded(stray_cell(data, "Milestones", "Z5"))
    store = Store(f"sqlite:///{tmp_path / 'plan.db'}")
    outcome = import_bytes(
        store,
        data,
        "plan.xlsx",
        period=Q3,
        imported_by="x",
        partial=True,
        limits=Limits(max_sheet_columns=20),
    )
    assert [str(e) for e in outcome.report.errors] == [f"Milestones!Z5: {FAR}"]
    assert written == []


@pytest.mark.parametrize("error", [ValueError("bad"), zipfile.BadZipFile("bad"), EOFError()])
def test_a_member_that_cannot_be_read_is_a_damaged_file(monkeypatch, error):
    """Whatever a damaged zip raises while a sheet is measured is the file's fault, said so."""
    from socplan.intake import safety

    def unreadable(*_):
        raise error

    monkeypatch.setattr(safety, "far_cell", unreadable)
    data = template_bytes(Period(2019, 3), recs(), basic_milestones())
    for measure in (
        lambda: safety.check_extents(data, "plan.xlsx"),
        lambda: check_workbook_bytes(data, "plan.xlsx"),
    ):
        with pytest.raises(UnsafeFile, match="damaged"):
            measure()
