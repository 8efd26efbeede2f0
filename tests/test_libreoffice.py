"""LibreOffice: a workbook it saves imports like the one Excel (or socplan) writes, and the Word
report it opens lays out like the PDF report."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from builders import basic_milestones, ods_template_bytes, recs, write

from socplan.cli import main
from socplan.intake.workbook import parse_workbook
from socplan.periods import Period


def libreoffice_convert(source: Path, outdir: Path, to: str, suffix: str) -> Path:
    """Open a file in LibreOffice and save it as `to` (a --convert-to filter)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is missing: scripts/setup.sh installs it"
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{outdir / 'profile'}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(outdir),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    result = outdir / source.with_suffix(suffix).name
    assert result.exists()
    return result


def libreoffice_resave(source: Path, outdir: Path) -> Path:
    """Open a workbook in LibreOffice Calc and save it again as xlsx."""
    return libreoffice_convert(source, outdir, "xlsx:Calc MS Excel 2007 XML", ".xlsx")


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(next(x.split()[-1] for x in info.stdout.splitlines() if x.startswith("Pages:")))


def test_libreoffice_saved_workbook_imports_the_same(tmp_path: Path):
    ms = basic_milestones()
    ms.loc[0, "milestone"] = "=SUM(A1:A2) is text, not a formula"
    original = write(tmp_path / "plan.xlsx", Period(2019, 3), recs(), ms)
    resaved = libreoffice_resave(original, tmp_path / "lo")
    assert resaved.read_bytes() != original.read_bytes()
    a = parse_workbook(original.read_bytes(), "plan.xlsx", period=Period(2019, 3))
    b = parse_workbook(resaved.read_bytes(), "plan.xlsx", period=Period(2019, 3))
    assert a.report.ok and b.report.ok, b.report.lines()
    pd.testing.assert_frame_equal(a.milestones, b.milestones)
    pd.testing.assert_frame_equal(a.recommendations, b.recommendations)


def test_libreoffice_reads_the_ods_template_as_we_wrote_it(tmp_path: Path):
    """Calc opens the .ods template with its dropdowns, hidden Lists sheet, dates and header
    styles; saved again as .ods (LibreOffice's own layout: trailing repeated empty rows), it
    passes the hostile-file checks and imports as the xlsx template does."""
    import openpyxl

    from socplan.intake.safety import check_workbook_bytes

    ms = basic_milestones()
    ms.loc[0, "milestone"] = "=SUM(A1:A2) is text, not a formula"
    source = tmp_path / "plan.ods"
    source.write_bytes(ods_template_bytes(Period(2019, 3), recs(), ms))
    as_xlsx = libreoffice_convert(source, tmp_path / "x", "xlsx:Calc MS Excel 2007 XML", ".xlsx")
    book = openpyxl.load_workbook(as_xlsx)
    assert book["Lists"].sheet_state == "hidden"
    rules = {
        (str(v.sqref), v.formula1, v.errorStyle)
        for v in book["Milestones"].data_validations.dataValidation
    }
    assert ("I2:I504", "Lists!$B$2:$B$7", "stop") in rules
    assert ("D2:D504", "Lists!$C$2:$C$4", "warning") in rules
    header = book["Milestones"]["A1"]
    assert header.fill.fgColor.rgb == "FF1D3557" and header.font.b
    assert book["Milestones"]["F2"].number_format.lower() == "dd/mm/yyyy"
    assert book["Milestones"]["C2"].data_type == "s"  # text, not a formula
    resaved = libreoffice_convert(source, tmp_path / "o", "ods", ".ods")
    check_workbook_bytes(resaved.read_bytes(), "plan.ods")
    a = parse_workbook(source.read_bytes(), "plan.ods", period=Period(2019, 3))
    b = parse_workbook(resaved.read_bytes(), "plan.ods", period=Period(2019, 3))
    assert a.report.ok and b.report.ok, b.report.lines()
    pd.testing.assert_frame_equal(a.milestones, b.milestones)
    pd.testing.assert_frame_equal(a.recommendations, b.recommendations)


def test_statuses_by_colour_survive_libreoffice(tmp_path: Path):
    """Red, amber and green fills made in Excel (openpyxl) and saved by Calc as .ods and .xlsx
    are read as statuses in all three files."""
    import io

    import openpyxl
    from openpyxl.styles import PatternFill

    source = write(tmp_path / "plan.xlsx", Period(2019, 3), recs(), basic_milestones())
    book = openpyxl.load_workbook(source)
    for ref, colour in (("I2", "FF0000"), ("I3", "FFC000"), ("I4", "00B050")):
        book["Milestones"][ref] = None
        book["Milestones"][ref].fill = PatternFill("solid", fgColor=colour)
    book["Milestones"]["K2"] = "Recovery plan agreed"
    buffer = io.BytesIO()
    book.save(buffer)
    source.write_bytes(buffer.getvalue())
    as_ods = libreoffice_convert(source, tmp_path / "o", "ods", ".ods")
    as_xlsx = libreoffice_resave(source, tmp_path / "x")
    for path in (source, as_ods, as_xlsx):
        parsed = parse_workbook(path.read_bytes(), path.name, period=Period(2019, 3))
        assert parsed.report.ok, (path.name, parsed.report.lines())
        assert parsed.milestones["status"].tolist() == ["Off track", "At risk", "On track"]
        assert [p.place for p in parsed.report.notices] == ["Milestones!I2:I4"], path.name


@pytest.mark.slow
def test_word_report_in_libreoffice_is_about_as_long_as_the_pdf(demo_db, tmp_path: Path, runner):
    """Tables sized to their content: Writer lays the Word report out in at most 1.3 times the
    pages of the PDF report (with equal column widths it took 37 pages to the PDF's 21)."""
    for fmt in ("docx", "pdf"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(main, ["report", "--format", fmt, "-o", str(out), "--db", demo_db])
        assert result.exit_code == 0, result.output
    converted = libreoffice_convert(tmp_path / "report.docx", tmp_path / "lo", "pdf", ".pdf")
    word, pdf = pdf_pages(converted), pdf_pages(tmp_path / "report.pdf")
    assert word <= 1.3 * pdf, f"Word report in LibreOffice: {word} pages; PDF report: {pdf}"
    # No page is left blank (a table filling its landscape page once pushed the section break
    # onto a page of its own).
    for number in range(1, word + 1):
        text = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), str(converted), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert text.strip(), f"page {number} of the Word report in LibreOffice is blank"
