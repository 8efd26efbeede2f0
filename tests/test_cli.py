"""The command line: help everywhere, the commands end to end, exit statuses."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click
import openpyxl
import pytest
from builders import basic_milestones, recs, write

from socplan.cli import main
from socplan.periods import Period
from socplan.schema import MS_COLUMNS


def commands() -> list[str]:
    return sorted(main.commands)


def leaf_commands() -> list[tuple[str, click.Command]]:
    """Every runnable command, descending into groups such as `users`."""
    out = []
    for name, command in main.commands.items():
        if isinstance(command, click.Group):
            out += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
        else:
            out.append((name, command))
    return sorted(out, key=lambda item: item[0])


def test_every_command_has_help(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for name, command in leaf_commands():
        assert command.help and len(command.help) > 20, name
        assert name.split()[0] in result.output
        sub = runner.invoke(main, [*name.split(), "--help"])
        assert sub.exit_code == 0 and "Usage:" in sub.output
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert param.help, f"{name} {param.opts} has no help"


def test_every_command_takes_db(runner):
    for name, command in leaf_commands():
        assert any("--db" in p.opts for p in command.params), name


def test_usage_error_is_status_2(runner, tmp_path):
    assert runner.invoke(main, ["summary", "--period", "2019/20 Q9"]).exit_code == 2
    assert runner.invoke(main, ["export", "--format", "pdf", "-o", "x"]).exit_code == 2
    assert runner.invoke(main, ["nonsense"]).exit_code == 2


def test_import_summary_history_restore(runner, tmp_path, db_url):
    q3 = write(tmp_path / "q3.xlsx", Period(2019, 3), recs(), basic_milestones())
    result = runner.invoke(
        main,
        ["import", str(q3), "--period", "2019/20 Q3", "--db", db_url, "--user", "policy officer"],
    )
    assert result.exit_code == 0, result.output
    assert "revision 1" in result.output
    again = runner.invoke(main, ["import", str(q3), "--db", db_url])  # period from the About sheet
    assert again.exit_code == 0 and "2019/20 Q3 revision 2" in again.output
    summary = runner.invoke(main, ["summary", "--db", db_url])
    assert summary.exit_code == 0
    assert "3 milestones" in summary.output and "By owner" in summary.output
    history = runner.invoke(main, ["history", "--db", db_url])
    assert "policy officer" in history.output and "q3.xlsx" in history.output
    restored = runner.invoke(main, ["restore", "2019/20 Q3", "--revision", "1", "--db", db_url])
    assert restored.exit_code == 0 and "as revision 3" in restored.output
    missing = runner.invoke(main, ["restore", "2019/20 Q3", "--revision", "7", "--db", db_url])
    assert missing.exit_code == 1 and "no revision 7" in missing.stderr


def test_validate_writes_nothing(runner, tmp_path, db_url):
    q3 = write(tmp_path / "q3.xlsx", Period(2019, 3), recs(), basic_milestones())
    result = runner.invoke(main, ["validate", str(q3), "--period", "2019/20 Q3", "--db", db_url])
    assert result.exit_code == 0 and result.output.startswith("OK: 2 recommendations, 3 milestones")
    assert not Path(db_url.removeprefix("sqlite:///")).exists()


def test_demo_then_refuses_a_second_time(runner, db_url):
    result = runner.invoke(main, ["demo", "--db", db_url])
    assert result.exit_code == 0
    assert result.output.count("soc-strategy: imported") == 5
    assert result.output.count("hmicfrs-inspections: imported") == 3
    assert runner.invoke(main, ["demo", "--db", db_url]).exit_code == 1
    assert runner.invoke(main, ["demo", "--if-empty", "--db", db_url]).exit_code == 0


def test_summary_on_empty_database_says_what_to_do(runner, db_url):
    result = runner.invoke(main, ["summary", "--db", db_url])
    assert result.exit_code == 1 and "socplan demo" in result.stderr


def test_template_prefilled_with_dropdowns(runner, tmp_path, demo_db):
    out = tmp_path / "next.xlsx"
    result = runner.invoke(main, ["template", "-o", str(out), "--db", demo_db])
    assert result.exit_code == 0 and "2020/21 Q3" in result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:4] == ["Instructions", "Recommendations", "Milestones", "About"]
    ms = book["Milestones"]
    assert ms.freeze_panes == "A2"
    assert [c.value for c in ms[1]] == [c.name for c in MS_COLUMNS]
    assert ms.max_row >= 60
    ranges = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ms.data_validations.dataValidation}
    assert "I2" in ranges and "D2" in ranges and "M2" in ranges
    lists = book["Lists"]
    assert lists.sheet_state == "hidden"
    statuses = [lists.cell(row=r, column=2).value for r in range(2, 8)]
    assert statuses == ["Not started", "On track", "At risk", "Off track", "Complete", "Cancelled"]
    assert book["About"]["B1"].value == "2020/21 Q3"
    assert ms.column_dimensions["C"].width >= 40


def test_prefilled_template_imports_back_unchanged(runner, tmp_path, demo_db):
    out = tmp_path / "next.xlsx"
    runner.invoke(main, ["template", "-o", str(out), "--db", demo_db])
    result = runner.invoke(main, ["validate", str(out), "--period", "2020/21 Q3", "--db", demo_db])
    assert result.exit_code == 0, result.output


def test_blank_template(runner, tmp_path):
    out = tmp_path / "blank.xlsx"
    result = runner.invoke(main, ["template", "-o", str(out), "--period", "2021/22 Q1", "--blank"])
    assert result.exit_code == 0
    assert openpyxl.load_workbook(out)["Milestones"]["A2"].value is None


@pytest.fixture
def hostile_db(tmp_path, runner, db_url):
    ms = basic_milestones()
    ms.loc[0, "milestone"] = '=HYPERLINK("http://evil","click")'
    ms.loc[1, "update"] = "+1+2"
    ms.loc[2, "owner"] = "@SUM(A1)"
    ms.loc[0, "update"] = "-2"
    ms.loc[1, "reason"] = "\tTabbed"
    path = write(tmp_path / "hostile.xlsx", Period(2019, 3), recs(), ms)
    assert runner.invoke(main, ["import", str(path), "--db", db_url]).exit_code == 0
    return db_url


def test_csv_export_neutralises_formulas(runner, tmp_path, hostile_db):
    out = tmp_path / "plan.csv"
    result = runner.invoke(
        main, ["export", "--format", "csv", "-o", str(out), "--db", hostile_db, "--bom"]
    )
    assert result.exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0]["Milestone"].startswith("'=HYPERLINK")
    assert rows[0]["Update"] == "'-2"
    assert rows[1]["Update"] == "'+1+2"
    assert rows[1]["Reason"] == "Tabbed"  # the import trims surrounding whitespace
    assert rows[2]["Owner"] == "'@SUM(A1)"
    assert rows[0]["Due"] == "2020-03-31"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_xlsx_export_has_no_formula(runner, tmp_path, hostile_db):
    out = tmp_path / "plan.xlsx"
    assert (
        runner.invoke(
            main, ["export", "--format", "xlsx", "-o", str(out), "--db", hostile_db]
        ).exit_code
        == 0
    )
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["README", "Milestones"]
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
    headers = [c.value for c in book["Milestones"][1]]
    assert headers[:4] == ["Ref", "Recommendation", "Milestone", "Owner"]


def test_neutralise_covers_every_formula_start():
    from socplan.reporting.export import neutralise

    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(f"{start}x") == f"'{start}x"
    assert neutralise("plain") == "plain" and neutralise(-3) == -3
