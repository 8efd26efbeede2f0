"""A status shown only by the Status cell's fill colour is read as that status (nearest
configured colour, within a threshold), with one notice listing the cells; in .xlsx and .ods,
in the isolated child parse and in partial returns."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from builders import basic_milestones, ods_edit, ods_template_bytes, recs, template_bytes
from openpyxl.styles import PatternFill
from openpyxl.styles.colors import Color

from socplan.cli import main
from socplan.config import Settings, load_settings
from socplan.intake.fills import nearest_status, palette, parse_colour
from socplan.intake.importer import check
from socplan.intake.safety import Limits
from socplan.intake.workbook import Vocabulary, parse_workbook
from socplan.periods import Period
from socplan.schema import STATUS_COLOURS

Q3 = Period(2019, 3)
DEFAULT = palette(STATUS_COLOURS.items())
NOTICE = "status read from the cell's fill colour"


@pytest.mark.parametrize(
    ("colour", "status"),
    [
        ("#FF0000", "Off track"),
        ("FFFF0000", "Off track"),  # ARGB, as Excel writes it
        ("#E74C3C", "Off track"),  # a softer red
        ("#FFC000", "At risk"),
        ("#FFFF00", "At risk"),  # yellow for amber
        ("#00B050", "On track"),
        ("#92D050", "On track"),  # Excel's light green
        ("#0070C0", "Complete"),
        ("#5B9BD5", "Complete"),
        ("#FFFFFF", None),  # white
        ("#D9D9D9", None),  # light grey
        ("#808080", None),  # grey, though near the theme blue in distance alone
        ("#000000", None),
        ("#FFC7CE", None),  # a pale pink is no status
        ("#800080", None),  # purple: far from every colour
    ],
)
def test_nearest_colour_within_the_threshold(colour, status):
    rgb = parse_colour(colour)
    assert rgb is not None
    assert nearest_status(rgb, DEFAULT) == status


def test_colours_that_do_not_parse():
    assert parse_colour("red") is None and parse_colour("#12345") is None
    assert parse_colour("#f00") == (255, 0, 0)


def coloured_xlsx(fills: dict[str, object], values: dict[str, object] | None = None) -> bytes:
    """The good workbook with Milestones cells emptied (or set) and given fills."""
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(Q3, recs(), basic_milestones())))
    sheet = book["Milestones"]
    for ref, colour in fills.items():
        sheet[ref] = None
        sheet[ref].fill = PatternFill("solid", fgColor=colour)
    for ref, value in (values or {}).items():
        sheet[ref] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_status_from_fill():
    data = coloured_xlsx(
        {
            "I2": "FF0000",
            "I3": Color(theme=6),  # accent3 of the default theme: a green
            "I4": Color(indexed=12),  # blue (0000FF) in Excel's old palette
        },
        {"K2": "Recovery plan agreed"},  # Off track needs its corrective action
    )
    parsed = parse_workbook(data, "plan.xlsx", period=Q3)
    assert parsed.report.ok, parsed.report.lines()
    assert parsed.milestones["status"].tolist() == ["Off track", "On track", "Complete"]
    notices = [str(p) for p in parsed.report.notices]
    assert notices == [
        f"Milestones!I2:I4: {NOTICE} (1 On track, 1 Off track, 1 Complete); type the status in "
        "to be sure"
    ]


def test_a_tint_is_applied_to_a_theme_colour():
    # accent2 of the default theme is a red (C0504D); lightened 80% it is a pale pink: no status.
    data = coloured_xlsx({"I2": Color(theme=5), "I3": Color(theme=5, tint=0.8)})
    parsed = parse_workbook(data, "plan.xlsx", period=Q3)
    assert parsed.milestones["status"].tolist()[:2] == ["Off track", None]
    errors = [str(p) for p in parsed.report.errors]
    assert any(e.startswith("Milestones!I3: the status is empty") for e in errors)


def test_white_grey_and_no_fill_mean_nothing():
    data = coloured_xlsx({"I2": "FFFFFF", "I3": "BFBFBF"}, {"I4": None})
    parsed = parse_workbook(data, "plan.xlsx", period=Q3)
    assert not parsed.report.notices
    assert [p.place for p in parsed.report.errors] == [
        "Milestones!I2",
        "Milestones!I3",
        "Milestones!I4",
    ]


def test_a_written_status_wins_over_its_fill():
    data = coloured_xlsx({"I2": "FF0000"}, {"I2": "On track"})
    parsed = parse_workbook(data, "plan.xlsx", period=Q3)
    assert parsed.report.ok and not parsed.report.notices
    assert parsed.milestones["status"][0] == "On track"


def test_ods_status_from_fill():
    data = ods_edit(
        ods_template_bytes(Q3, recs(), basic_milestones()),
        {"Milestones": {"I2": None, "I4": None, "K2": "Recovery plan agreed"}},
        fills={"Milestones": {"I2": "#ff0000", "I4": "#92d050"}},
    )
    parsed = parse_workbook(data, "plan.ods", period=Q3)
    assert parsed.report.ok, parsed.report.lines()
    assert parsed.milestones["status"].tolist() == ["Off track", "At risk", "On track"]
    assert [str(p) for p in parsed.report.notices] == [
        f"Milestones!I2, I4: {NOTICE} (1 On track, 1 Off track); type the status in to be sure"
    ]


ODS_STYLES = (
    '<style:style style:name="Red" style:family="table-cell" style:parent-style-name="Default">'
    '<style:table-cell-properties fo:background-color="#c00000"/></style:style>'
)


def ods_with(content_change, styles_change=None) -> bytes:
    from builders import rewrite_member

    data = ods_edit(
        ods_template_bytes(Q3, recs(), basic_milestones()),
        {"Milestones": {"I2": None, "I3": None, "I4": None, "K2": "x", "K3": "x", "K4": "x"}},
    )
    data = rewrite_member(data, "content.xml", content_change)
    if styles_change is not None:
        data = rewrite_member(data, "styles.xml", styles_change)
    return data


def test_ods_fill_from_a_parent_style_in_styles_xml():
    def styles(xml: bytes) -> bytes:
        return xml.replace(b"</office:styles>", ODS_STYLES.encode() + b"</office:styles>")

    def content(xml: bytes) -> bytes:
        # An automatic style whose parent (in styles.xml) is red, on I2.
        auto = (
            b'<style:style style:name="child" style:family="table-cell" '
            b'style:parent-style-name="Red"><style:text-properties fo:font-weight="bold"/>'
            b"</style:style></office:automatic-styles>"
        )
        xml = xml.replace(b"</office:automatic-styles>", auto, 1)
        at = xml.index(b'table:name="Milestones"')
        row2 = xml.index(b"<table:table-row>", xml.index(b"</table:table-header-rows>", at))
        cells = xml.index(b"<table:table-cell", row2)
        for _ in range(8):  # to the ninth cell, I2
            cells = xml.index(b"<table:table-cell", cells + 1)
        return (
            xml[:cells]
            + b'<table:table-cell table:style-name="child"/>'
            + xml[xml.index(b"<table:table-cell", cells + 1) :]
        )

    parsed = parse_workbook(ods_with(content, styles), "plan.ods", period=Q3)
    assert parsed.milestones["status"][0] == "Off track"
    assert [p.place for p in parsed.report.errors] == ["Milestones!I3", "Milestones!I4"]


def test_ods_transparent_background_means_nothing():
    def content(xml: bytes) -> bytes:
        return xml.replace(
            b"</office:automatic-styles>",
            b'<style:style style:name="clear" style:family="table-cell">'
            b'<style:table-cell-properties fo:background-color="transparent"/></style:style>'
            b"</office:automatic-styles>",
            1,
        )

    data = ods_edit(ods_with(content), fills={"Milestones": {"I3": "#ff0000"}})
    parsed = parse_workbook(data, "plan.ods", period=Q3)
    assert parsed.milestones["status"].tolist() == [None, "Off track", None]


def test_ods_column_default_style_gives_the_fill():
    def content(xml: bytes) -> bytes:
        xml = xml.replace(
            b"</office:automatic-styles>",
            b'<style:style style:name="amber" style:family="table-cell">'
            b'<style:table-cell-properties fo:background-color="#ffc000"/></style:style>'
            b"</office:automatic-styles>",
            1,
        )
        at = xml.index(b'table:name="Milestones"')
        first = xml.index(b"<table:table-column", at)
        for _ in range(8):
            first = xml.index(b"<table:table-column", first + 1)
        end = xml.index(b"/>", first)
        return xml[:end] + b' table:default-cell-style-name="amber"' + xml[end:]

    parsed = parse_workbook(ods_with(content), "plan.ods", period=Q3)
    assert parsed.milestones["status"].tolist() == ["At risk", "At risk", "At risk"]
    assert [str(p) for p in parsed.report.notices] == [
        f"Milestones!I2:I4: {NOTICE} (3 At risk); type the status in to be sure"
    ]


def test_a_status_and_rag_pair_is_left_to_its_rag():
    from builders import sheet_bytes

    rows = [
        ["Ref", "Recommendation", "Milestone", "Owner", "Due", "Status", "RAG"],
        ["R1.1", "R1", "m", "Police", "31/03/2020", "", "G"],
        ["R1.2", "R1", "m", "Police", "31/03/2020", "", ""],
    ]
    data = sheet_bytes(
        {
            "Recommendations": [
                ["Ref", "Recommendation", "Theme", "Lead"],
                ["R1", "x", "Pursue", "P"],
            ],
            "Milestones": rows,
        }
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    for ref in ("F2", "F3"):
        book["Milestones"][ref].fill = PatternFill("solid", fgColor="0070C0")
    buffer = io.BytesIO()
    book.save(buffer)
    parsed = parse_workbook(buffer.getvalue(), "plan.xlsx", period=Q3)
    assert parsed.milestones["status"].tolist() == ["On track", "Complete"]
    assert [p.place for p in parsed.report.notices] == ["Milestones!F3"]


def test_colours_are_a_setting(monkeypatch):
    data = coloured_xlsx({"I3": "800080"})
    assert parsed_status(data, Vocabulary()) is None  # purple means nothing by default
    monkeypatch.setenv("SOCPLAN_STATUS_COLOURS", "#800080=At risk, #FF0000=Off track")
    settings = load_settings()
    assert settings.status_colours == {"#800080": "At risk", "#FF0000": "Off track"}
    assert parsed_status(data, Vocabulary.from_settings(settings)) == "At risk"
    monkeypatch.setenv("SOCPLAN_STATUS_COLOURS", "")
    off = load_settings()
    assert off.status_colours == {}
    assert parsed_status(coloured_xlsx({"I3": "FF0000"}), Vocabulary.from_settings(off)) is None


def parsed_status(data: bytes, vocabulary: Vocabulary) -> object:
    return parse_workbook(data, "plan.xlsx", period=Q3, vocabulary=vocabulary).milestones["status"][
        1
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("red=Off track", "'red' is not a colour"),
        ("#FF0000=Bad", "'Bad' (for #FF0000) is not a status"),
        ("#FF0000", "write pairs like"),
    ],
)
def test_bad_colour_settings_are_named(monkeypatch, value, message):
    monkeypatch.setenv("SOCPLAN_STATUS_COLOURS", value)
    with pytest.raises(ValueError, match="SOCPLAN_STATUS_COLOURS") as caught:
        load_settings()
    assert message in str(caught.value)


def test_toml_setting(tmp_path: Path):
    path = tmp_path / "socplan.toml"
    path.write_text('[status_colours]\n"#FF00FF" = "Off track"\n')
    assert load_settings(path).status_colours == {"#FF00FF": "Off track"}
    assert Settings().status_colours == STATUS_COLOURS


def test_isolated_child_reads_colours_too():
    data = ods_edit(
        ods_template_bytes(Q3, recs(), basic_milestones()),
        {"Milestones": {"I3": None}},
        fills={"Milestones": {"I3": "#00b050"}},
    )
    outcome = check(data, "plan.ods", period=Q3, limits=Limits(isolate=True))
    assert outcome.parsed is not None and outcome.report.ok, outcome.report.lines()
    assert outcome.parsed.milestones["status"][1] == "On track"
    assert [p.place for p in outcome.report.notices] == ["Milestones!I3"]


def test_partial_return_from_the_command_line(tmp_path: Path, runner, db_url):
    full = tmp_path / "full.xlsx"
    full.write_bytes(template_bytes(Q3, recs(), basic_milestones()))
    result = runner.invoke(main, ["import", str(full), "--db", db_url])
    assert result.exit_code == 0, result.output
    # One partner returns its own row, shown amber by colour only, in an .ods.
    partial = basic_milestones().iloc[[1]]
    data = ods_edit(
        ods_template_bytes(Q3, recs().iloc[0:0], partial),
        {"Milestones": {"I2": None}},
        fills={"Milestones": {"I2": "#ffc000"}},
    )
    path = tmp_path / "nhs.ods"
    path.write_bytes(data)
    result = runner.invoke(main, ["validate", str(path), "--partial", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert f"notice: Milestones!I2: {NOTICE} (1 At risk)" in result.output
    result = runner.invoke(main, ["import", str(path), "--partial", "--db", db_url])
    assert result.exit_code == 0, result.output
    from socplan.model import DeliveryPlan
    from socplan.store import Store

    ms = DeliveryPlan.from_store(Store(db_url)).milestones(Q3).set_index("ref")
    assert ms.loc["R1.2", "status"] == "At risk"
