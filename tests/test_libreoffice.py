"""A workbook saved by LibreOffice imports like the one Excel (or socplan) writes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
from builders import basic_milestones, recs, write

from socplan.periods import Period
from socplan.workbook import parse_workbook


def libreoffice_resave(source: Path, outdir: Path) -> Path:
    """Open a workbook in LibreOffice Calc and save it again as xlsx."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is missing: scripts/setup.sh installs libreoffice-calc-nogui"
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{outdir / 'profile'}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(outdir),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    result = outdir / source.name
    assert result.exists()
    return result


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
