"""The importer tolerates the forms real spreadsheets take."""

import io
import zipfile
from collections.abc import Callable
from datetime import date, datetime

import pandas as pd
import pytest
from builders import basic_milestones, recs, rewrite_member, sheet_bytes, template_bytes

from socplan.intake.extents import sheet_parts
from socplan.intake.workbook import parse_workbook
from socplan.periods import Period

REC_ROWS = [
    ["Ref", "Recommendation", "Theme", "Lead", "Partners"],
    ["R1", "Disrupt county lines", "pursue", "West Mercia Police", "CSPs, NHS\nPublic health"],
]


def test_canonical_template_round_trips():
    ms = basic_milestones()
    parsed = parse_workbook(template_bytes(Period(2019, 3), recs(), ms), "t.xlsx")
    assert parsed.report.ok, parsed.report.lines()
    assert parsed.period == Period(2019, 3)
    assert list(parsed.milestones["ref"]) == ["R1.1", "R1.2", "R2.1"]
    assert parsed.milestones["due"].iloc[1] == pd.Timestamp("2019-12-31")


def test_messy_real_world_layout():
    data = sheet_bytes(
        {
            " recommendations ": [["SOC plan"], [], *REC_ROWS],
            "ACTIONS": [
                ["Delivery plan – illustrative"],
                [],
                [
                    "Ref",
                    "Rec",
                    "Action",
                    "Lead agency",
                    "Start date",
                    "Target date",
                    "Revised due",
                    "Reason for change",
                    "Status",
                    "RAG",
                    "% Complete",
                    "Commentary",
                    "Completed",
                    "Notes",
                ],
                [
                    "R1.1",
                    "R1",
                    "Map county lines",
                    "West Mercia Police",
                    "01/10/2019",
                    datetime(2020, 3, 31),
                    "Q1 2020/21",
                    "Data sharing agreement late",
                    "In progress",
                    "A",
                    0.5,
                    "Underway",
                    None,
                    "x",
                ],
                [],
                [
                    "R1.2",
                    "R1",
                    "Train staff",
                    "NHS",
                    "1 Oct 2019",
                    "October 2020",
                    "TBC",
                    "",
                    "Complete",
                    "",
                    1.0,
                    "",
                    "15/09/2020",
                    "",
                ],
                [
                    "R1.3",
                    "R1",
                    "Review",
                    "NHS",
                    "",
                    "2019/20 Q4",
                    "",
                    "",
                    "Not started",
                    "",
                    0,
                    "",
                    "",
                    "",
                ],
            ],
        }
    )
    parsed = parse_workbook(data, "messy.xlsx", period=Period(2020, 2))
    assert parsed.report.ok, parsed.report.lines()
    ms = parsed.milestones.set_index("ref")
    assert ms.at["R1.1", "status"] == "At risk"
    assert ms.at["R1.1", "start"] == pd.Timestamp("2019-10-01")
    assert ms.at["R1.1", "forecast"] == pd.Timestamp("2020-06-30")
    assert ms.at["R1.1", "progress"] == 50.0
    assert ms.at["R1.2", "due"] == pd.Timestamp("2020-10-31")
    assert ms.at["R1.2", "completed"] == pd.Timestamp("2020-09-15")
    assert ms.at["R1.2", "progress"] == 100.0
    assert ms.at["R1.3", "due"] == pd.Timestamp("2020-03-31")
    assert parsed.recommendations.at[0, "theme"] == "Pursue"
    assert parsed.recommendations.at[0, "partners"] == "CSPs; NHS; Public health"
    warnings = [str(p) for p in parsed.report.warnings]
    assert any(w.startswith("ACTIONS!G6: 'TBC' means no date") for w in warnings)
    notices = [str(p) for p in parsed.report.notices]
    assert any("extra columns ignored: N 'Notes'" in n for n in notices)


def test_status_letters_and_percent_text():
    data = sheet_bytes(
        {
            "Recommendations": REC_ROWS,
            "Milestones": [
                [
                    "REF ",
                    "recommendation",
                    "milestone",
                    "Responsible",
                    "Deadline",
                    "BRAG",
                    "Progress",
                    "Update",
                ],
                ["R1.1", "R1", "a", "WMP", date(2020, 1, 1), "g", "50%", ""],
                ["R1.2", "R1", "b", "WMP", date(2020, 1, 1), "Blue", "100%", ""],
                ["R1.3", "R1", "c", "WMP", date(2020, 1, 1), "R", "10%", "Recovery plan agreed"],
                ["R1.4", "R1", "d", "WMP", date(2020, 1, 1), "done", 60, ""],
            ],
        }
    )
    parsed = parse_workbook(data, "letters.xlsx")
    assert parsed.report.ok, parsed.report.lines()
    assert list(parsed.milestones["status"]) == ["On track", "Complete", "Off track", "Complete"]
    assert list(parsed.milestones["progress"]) == [50.0, 100.0, 10.0, 60.0]


def test_partial_return_needs_no_recommendations_sheet():
    data = sheet_bytes(
        {
            "Milestones": [
                ["Ref", "Recommendation", "Milestone", "Owner", "Due", "Status"],
                ["R1.1", "R1", "a", "WMP", date(2020, 1, 1), "G"],
            ]
        }
    )
    parsed = parse_workbook(data, "p.xlsx", partial=True, known_recommendations={"R1"})
    assert parsed.report.ok and not parsed.has_recommendations_sheet
    refused = parse_workbook(data, "p.xlsx", partial=True, known_recommendations=set())
    assert "there is no recommendation 'R1'" in str(refused.report.errors[0])


def test_forecast_equal_to_due_is_no_change():
    data = sheet_bytes(
        {
            "Recommendations": REC_ROWS,
            "Milestones": [
                ["Ref", "Recommendation", "Milestone", "Owner", "Due", "Forecast", "Status"],
                ["R1.1", "R1", "a", "WMP", date(2020, 1, 1), "01/01/2020", "G"],
            ],
        }
    )
    parsed = parse_workbook(data, "same.xlsx")
    assert parsed.report.ok and pd.isna(parsed.milestones.at[0, "forecast"])


def test_refs_lose_control_characters_on_import():
    from builders import edit

    evil = "Z\n\nhttps://evil.example/login"
    data = edit(
        template_bytes(Period(2019, 3), recs(), basic_milestones()),
        {
            "Recommendations": {"A2": evil},
            "Milestones": {"A2": evil + ".1", "B2": evil, "B3": evil},
        },
    )
    parsed = parse_workbook(data, "t.xlsx")
    assert parsed.report.ok, parsed.report.lines()
    assert parsed.recommendations["ref"].iloc[0] == "Z https://evil.example/login"
    assert parsed.milestones["ref"].iloc[0] == "Z https://evil.example/login.1"
    assert parsed.milestones["recommendation"].iloc[0] == "Z https://evil.example/login"
    places = {p.place for p in parsed.report.warnings}
    assert {"Recommendations!A2", "Milestones!A2", "Milestones!B2"} <= places


def _sheet_changed(data: bytes, changes: dict[str, Callable[[bytes], bytes]]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = dict(sheet_parts(archive))
    for sheet, change in changes.items():
        data = rewrite_member(data, parts[sheet], change)
    return data


def _truncated(xml: bytes) -> bytes:  # calamine: XmlError
    return xml[: len(xml) // 2]


def _bad_string(xml: bytes) -> bytes:  # calamine: CalamineError (no such shared string)
    row = b'<row r="99"><c r="A99" t="s"><v>999999</v></c></row>'
    return xml.replace(b"</sheetData>", row + b"</sheetData>")


@pytest.mark.parametrize(
    ("recommendations", "milestones", "named"),
    [
        (None, _truncated, "XmlError"),
        (None, _bad_string, "CalamineError"),
        (_truncated, _bad_string, "XmlError"),  # the first sheet that fails, in sheet order
        (_bad_string, _truncated, "CalamineError"),
    ],
)
def test_an_unreadable_sheet_is_the_only_problem(recommendations, milestones, named):
    """The Milestones sheet is read beside the others: when a sheet cannot be read, the one
    error names the first that failed, and nothing found in the other sheets is reported."""
    bad_theme = recs()
    bad_theme.loc[0, "theme"] = "Nonsense"
    data = template_bytes(Period(2019, 3), bad_theme, basic_milestones())
    changes = {"Milestones": milestones}
    if recommendations is not None:
        changes["Recommendations"] = recommendations
    parsed = parse_workbook(_sheet_changed(data, changes), "plan.xlsx")
    assert parsed.report.lines() == [
        f"error: plan.xlsx: the workbook cannot be read ({named}); open it in Excel or "
        "LibreOffice and save it again as .xlsx or .ods"
    ]
