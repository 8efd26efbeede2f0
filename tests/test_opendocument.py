"""OpenDocument spreadsheets (.ods) wherever .xlsx goes: the template and exports written as
.ods, read back, validated and imported; hostile .ods refused before calamine reads them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
import pytest
from builders import (
    basic_milestones,
    milestone,
    milestones,
    ods_edit,
    ods_stray_rows,
    ods_template_bytes,
    recs,
    template_bytes,
)

from socplan.cli import main
from socplan.intake.opendocument import table_extents
from socplan.intake.safety import Limits, UnsafeFile, check_workbook_bytes
from socplan.intake.workbook import parse_workbook
from socplan.opendocument import MIMETYPE, NS, Sheet, Styled, write_ods
from socplan.periods import Period

Q3 = Period(2019, 3)
T = f"{{{NS['table']}}}"
OFFICE = f"{{{NS['office']}}}"
CONFIG = f"{{{NS['config']}}}"


def content(data: bytes, member: str = "content.xml") -> ET.Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return ET.fromstring(archive.read(member))


def tricky_milestones() -> pd.DataFrame:
    ms = basic_milestones()
    ms.loc[0, "milestone"] = "=SUM(A1:A2) is text,  with two spaces\nand a second line"
    ms.loc[1, "update"] = " leading space and\ta tab"
    ms.loc[2, "reason"] = "+1+2"
    return ms


def test_ods_template_reads_back_as_the_xlsx_does():
    ms = tricky_milestones()
    ods = parse_workbook(ods_template_bytes(Q3, recs(), ms), "plan.ods", period=Q3)
    xlsx = parse_workbook(template_bytes(Q3, recs(), ms), "plan.xlsx", period=Q3)
    assert ods.report.ok and not ods.report.problems, ods.report.lines()
    pd.testing.assert_frame_equal(ods.milestones, xlsx.milestones)
    pd.testing.assert_frame_equal(ods.recommendations, xlsx.recommendations)
    assert ods.period == Q3
    assert ods.milestones.loc[0, "milestone"] == ms.loc[0, "milestone"]
    assert ods.milestones.loc[1, "update"] == " leading space and\ta tab".strip()


def test_ods_template_is_a_plain_opendocument_spreadsheet():
    data = ods_template_bytes(Q3, recs(), basic_milestones())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype").decode() == MIMETYPE
    check_workbook_bytes(data, "plan.ods")  # our own template passes our own checks
    root = content(data)
    names = [t.get(f"{T}name") for t in root.iter(f"{T}table")]
    assert names == ["Instructions", "Recommendations", "Milestones", "About", "Lists"]
    assert not [e for e in root.iter() if f"{T}formula" in e.attrib], "a cell holds a formula"


def test_ods_template_has_dropdowns_hidden_lists_and_frozen_headers():
    data = ods_template_bytes(Q3, recs(), basic_milestones())
    root = content(data)
    rules = {
        v.get(f"{T}name"): (v.get(f"{T}condition"), v.find(f"{T}error-message"))
        for v in root.iter(f"{T}content-validation")
    }
    conditions = sorted(condition for condition, _ in rules.values())
    assert conditions == sorted(
        [
            "of:cell-content-is-in-list([$Lists.$A$2:.$A$5])",  # themes
            "of:cell-content-is-in-list([$Lists.$B$2:.$B$7])",  # statuses
            "of:cell-content-is-in-list([$Lists.$C$2:.$C$4])",  # owners
            "of:cell-content-is-in-list([$Lists.$D$2:.$D$3])",  # Public (Recommendations)
            "of:cell-content-is-in-list([$Lists.$D$2:.$D$3])",  # Public (Milestones)
        ]
    )
    kinds = {c: e.get(f"{T}message-type") for c, e in rules.values() if e is not None}
    assert kinds["of:cell-content-is-in-list([$Lists.$C$2:.$C$4])"] == "warning"  # own owners
    assert kinds["of:cell-content-is-in-list([$Lists.$B$2:.$B$7])"] == "stop"
    # The Status column carries its dropdown on the data rows and the 500 rows after them.
    milestones_table = next(t for t in root.iter(f"{T}table") if t.get(f"{T}name") == "Milestones")
    rows = list(milestones_table.iter(f"{T}table-row"))
    status = {r.findall(f"{T}table-cell")[8].get(f"{T}content-validation-name") for r in rows[1:]}
    assert len(status) == 1 and None not in status
    assert rows[-1].get(f"{T}number-rows-repeated") == "500"
    # Lists is hidden; headers are frozen rows.
    styles = {s.get(f"{{{NS['style']}}}name"): s for s in root.iter(f"{{{NS['style']}}}style")}
    lists = next(t for t in root.iter(f"{T}table") if t.get(f"{T}name") == "Lists")
    hidden = styles[lists.get(f"{T}style-name")][0]
    assert hidden.get(f"{T}display") == "false"
    assert milestones_table.find(f"{T}table-header-rows") is not None
    settings = content(data, "settings.xml")
    frozen = {
        entry.get(f"{CONFIG}name"): {
            item.get(f"{CONFIG}name"): item.text for item in entry.iter(f"{CONFIG}config-item")
        }
        for entry in settings.iter(f"{CONFIG}config-item-map-entry")
        if entry.get(f"{CONFIG}name")
    }
    for sheet in ("Recommendations", "Milestones"):
        assert frozen[sheet]["VerticalSplitMode"] == "2"
        assert frozen[sheet]["VerticalSplitPosition"] == "1"


def test_writer_keeps_values_and_types():
    buffer = io.BytesIO()
    from datetime import date

    rows = [["text", 1, 2.5, date(2020, 3, 31), True, None, float("nan"), Styled("=1+1", "bold")]]
    write_ods(buffer, [Sheet("Data", rows)])
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(buffer.getvalue()))
    got = book.get_sheet_by_name("Data").to_python()
    assert got == [["text", 1.0, 2.5, date(2020, 3, 31), True, "", "", "=1+1"]]


def test_round_trip_through_the_command_line(tmp_path: Path, runner, db_url):
    """Write the .ods template, fill it in as a partner would, validate and import it."""
    blank = tmp_path / "blank.ods"
    result = runner.invoke(
        main, ["template", "-o", str(blank), "--period", "2019/20 Q3", "--db", db_url]
    )
    assert result.exit_code == 0, result.output
    assert zipfile.ZipFile(blank).read("mimetype").decode() == MIMETYPE
    filled = tmp_path / "filled.ods"
    filled.write_bytes(
        ods_edit(
            blank.read_bytes(),
            {
                "Recommendations": {
                    "A2": "R1",
                    "B2": "Disrupt supply",
                    "C2": "Pursue",
                    "D2": "Police",
                },
                "Milestones": {
                    "A2": "R1.1",
                    "B2": "R1",
                    "C2": "Map the county lines",
                    "D2": "Police",
                    "F2": "31/03/2020",
                    "I2": "On track",
                    "J2": 40,
                },
            },
        )
    )
    result = runner.invoke(main, ["validate", str(filled), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "OK: 1 recommendations, 1 milestones for 2019/20 Q3" in result.output
    result = runner.invoke(main, ["import", str(filled), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "Imported filled.ods as 2019/20 Q3 revision 1" in result.output
    # The next template, pre-filled from the database, is .ods too and reads back the same.
    again = tmp_path / "next.ods"
    result = runner.invoke(main, ["template", "-o", str(again), "--db", db_url])
    assert result.exit_code == 0 and "1 milestones pre-filled for 2019/20 Q4" in result.output
    parsed = parse_workbook(again.read_bytes(), "next.ods")
    assert parsed.report.ok and parsed.milestones.loc[0, "milestone"] == "Map the county lines"


def test_bad_ods_names_its_cell(tmp_path: Path, runner):
    data = ods_edit(
        ods_template_bytes(Q3, recs(), basic_milestones()),
        {"Milestones": {"I2": "Compelte", "F3": "31/02/2020", "J4": 150}},
    )
    path = tmp_path / "bad.ods"
    path.write_bytes(data)
    result = runner.invoke(main, ["validate", str(path), "--period", "2019/20 Q3"])
    assert result.exit_code == 1
    errors = [
        line.split(":")[1].strip()
        for line in result.output.splitlines()
        if line.startswith("error")
    ]
    assert errors == ["Milestones!I2", "Milestones!F3", "Milestones!J4"]


@pytest.mark.parametrize("how", [["--format", "ods"], []])
def test_export_as_ods(how, runner, demo_db, tmp_path: Path):
    out = tmp_path / "plan.ods"
    result = runner.invoke(main, ["export", *how, "-o", str(out), "--db", demo_db])
    assert result.exit_code == 0, result.output
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(out.read_bytes()))
    assert book.sheet_names == ["README", "Milestones"]
    rows = book.get_sheet_by_name("Milestones").to_python()
    xlsx = tmp_path / "plan.xlsx"
    assert runner.invoke(main, ["export", "-o", str(xlsx), "--db", demo_db]).exit_code == 0
    expected = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.read_bytes()))
    assert rows == expected.get_sheet_by_name("Milestones").to_python()


def test_export_with_no_format_and_no_suffix_is_a_usage_error(runner, demo_db, tmp_path: Path):
    result = runner.invoke(main, ["export", "-o", str(tmp_path / "plan"), "--db", demo_db])
    assert result.exit_code == 2 and "give --format csv|xlsx|ods" in result.output


def test_ods_export_neutralises_formulas(tmp_path: Path):
    from socplan.reporting.export import write_ods as export_ods

    frame = pd.DataFrame({"Ref": ["R1.1"], "Milestone": ['=HYPERLINK("http://x","y")']})
    export_ods(frame, tmp_path / "x.ods", title="=title")
    root = content((tmp_path / "x.ods").read_bytes())
    texts = ["".join(p.itertext()) for p in root.iter(f"{{{NS['text']}}}p")]
    assert '\'=HYPERLINK("http://x","y")' in texts and "'=title" in texts
    assert not [e for e in root.iter() if f"{T}formula" in e.attrib]


# -- the extent of each table, read before calamine builds its grid --


def extents(data: bytes) -> dict[str, tuple[int, int]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        found, scripted = table_extents(archive)
    assert not scripted
    return {name: (e.rows, e.columns) for name, e in found.items()}


def test_template_extent_leaves_out_the_empty_rows_with_dropdowns():
    data = ods_template_bytes(Q3, recs(), basic_milestones())
    assert extents(data)["Milestones"] == (4, 14)  # header + 3 rows; not the 500 styled rows


def test_libreoffice_trailing_empties_do_not_count():
    tail = (
        '<table:table-row table:number-rows-repeated="1048553">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
    )
    data = ods_stray_rows(ods_template_bytes(Q3, recs(), basic_milestones()), "Milestones", tail)
    assert extents(data)["Milestones"] == (4, 14)
    check_workbook_bytes(data, "plan.ods")


def test_a_repeated_value_counts_by_its_last_repeat():
    rows = (
        '<table:table-row table:number-rows-repeated="10"><table:table-cell '
        'table:number-columns-repeated="3"/><table:table-cell table:number-columns-repeated="4" '
        'office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'
        "</table:table-row>"
    )
    data = ods_stray_rows(ods_template_bytes(Q3, recs(), basic_milestones()), "About", rows)
    assert extents(data)["About"] == (15, 7)  # rows 6-15, columns D-G


@pytest.mark.parametrize("cell", ["XFD1048576", "ZZ200000", "A250001"])
def test_far_cell_is_named(cell):
    data = ods_edit(ods_template_bytes(Q3, recs(), basic_milestones()), {"Milestones": {cell: 1}})
    with pytest.raises(UnsafeFile) as caught:
        check_workbook_bytes(data, "plan.ods")
    assert str(caught.value).startswith(f"Milestones!{cell}: a value far outside the table")


def test_limits_are_the_settings():
    data = ods_edit(ods_template_bytes(Q3, recs(), basic_milestones()), {"About": {"Z900": 1}})
    check_workbook_bytes(data, "plan.ods")
    with pytest.raises(UnsafeFile, match=r"^About!Z900: "):
        check_workbook_bytes(data, "plan.ods", Limits(max_sheet_rows=800))
    with pytest.raises(UnsafeFile, match=r"^About!Z900: "):
        check_workbook_bytes(data, "plan.ods", Limits(max_sheet_columns=20))


def test_ods_rows_written_by_calamine_match_the_excel_rows():
    """Title rows above the header: problems still name the rows as LibreOffice shows them."""
    buffer = io.BytesIO()
    header = ["Ref", "Recommendation", "Milestone", "Owner", "Start", "Due", "Forecast"]
    header += ["Reason", "Status", "Progress", "Update"]
    rows = [milestone("R1.1", status="Compelte")]
    ms = milestones(*rows)
    write_ods(
        buffer,
        [
            Sheet(
                "Recommendations",
                [["Ref", "Recommendation", "Theme", "Lead"], ["R1", "x", "Pursue", "P"]],
            ),
            Sheet(
                "Milestones",
                [
                    [],
                    [None, "A title row"],
                    header,
                    [ms.loc[0, k] for k in ("ref", "recommendation", "milestone", "owner")]
                    + [None, pd.Timestamp("2020-03-31").date(), None, None, "Compelte", 50, "x"],
                ],
            ),
        ],
    )
    parsed = parse_workbook(buffer.getvalue(), "plan.ods", period=Q3)
    assert [str(p) for p in parsed.report.errors] == [
        "Milestones!I4: 'Compelte' is not a status; use one of Not started, On track, At risk, "
        "Off track, Complete, Cancelled"
    ]


def test_a_table_nested_in_a_cell_is_not_rows_of_its_sheet():
    """calamine skips a cell's content, so rows of a table inside a cell are not the sheet's."""
    rows = (
        '<table:table-row><table:table-cell office:value-type="string"><text:p>x</text:p>'
        '<table:table table:name="inner"><table:table-row table:number-rows-repeated="900000">'
        '<table:table-cell office:value-type="float" office:value="1"/></table:table-row>'
        "</table:table></table:table-cell></table:table-row>"
    )
    data = ods_stray_rows(ods_template_bytes(Q3, recs(), basic_milestones()), "About", rows)
    assert extents(data)["About"] == (6, 2)  # the About rows, and the one holding the table
    assert "inner" not in extents(data)


def test_another_prefix_for_the_table_namespace_is_still_measured():
    rows = (
        '<t:table-row xmlns:t="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        't:number-rows-repeated="300000"><t:table-cell office:value-type="float" '
        'office:value="1"/></t:table-row>'
    )
    data = ods_stray_rows(ods_template_bytes(Q3, recs(), basic_milestones()), "About", rows)
    with pytest.raises(UnsafeFile, match=r"^About!A300005: a value far outside"):
        check_workbook_bytes(data, "plan.ods")


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        (
            '<table:table-row><table:table-cell office:value-type="string"><text:p>'
            '<text:a xmlns:xlink="http://www.w3.org/1999/xlink" '
            'xlink:href="macro:///Standard.Module1.Main">click</text:a></text:p>'
            "</table:table-cell></table:table-row>",
            "contains macros, scripts or embedded programs (macro:///Standard.Module1.Main)",
        ),
        (
            '<table:table-row table:number-rows-repeated="many"><table:table-cell/>'
            "</table:table-row>",
            "the OpenDocument spreadsheet is damaged ('many' is not a repeat count)",
        ),
    ],
)
def test_macro_links_and_bad_repeats_are_refused(rows, fragment):
    data = ods_stray_rows(ods_template_bytes(Q3, recs(), basic_milestones()), "About", rows)
    with pytest.raises(UnsafeFile) as caught:
        check_workbook_bytes(data, "plan.ods")
    assert fragment in str(caught.value)
