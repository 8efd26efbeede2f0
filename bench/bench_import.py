"""Import of a 10,000-milestone workbook against bare reads of the same file, in one run.

Targets (PRODUCT.md): import at most 1.5x a bare calamine read; at least 5x faster than
pandas.read_excel(engine="openpyxl") alone; `socplan --help` under 0.5 s.
"""

from __future__ import annotations

import io
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
from timing import median_seconds

from socplan.intake import importer, isolation
from socplan.intake.importer import import_bytes
from socplan.intake.safety import Limits
from socplan.intake.template import write_template
from socplan.store import Store
from socplan.synthetic import synthetic_history


def main(milestones: int = 10_000, repeat: int = 5) -> list[tuple[str, float, str, str]]:
    """Run the benchmark and print a table; return rows of (measure, value, ratio, target)."""
    work = Path(tempfile.mkdtemp(prefix="socplan-bench-"))
    history = synthetic_history(milestones, 2)
    (p1, recs1, ms1), (p2, recs2, ms2) = history
    buffer = io.BytesIO()
    write_template(buffer, p2, recs2, ms2)
    workbook = work / "plan.xlsx"
    workbook.write_bytes(buffer.getvalue())
    base = work / "base.db"
    seed = Store(f"sqlite:///{base}")
    seed.commit_import(recs1, ms1, p1, data=b"seed", file_name="seed.xlsx", imported_by="bench")
    seed.engine.dispose()

    def calamine_pandas() -> None:
        pd.read_excel(workbook, engine="calamine", sheet_name=None)

    def calamine_raw() -> None:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(workbook))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()

    def openpyxl_read() -> None:
        pd.read_excel(workbook, engine="openpyxl", sheet_name=None)

    pairs = 3 * repeat  # the import, in one go and in a fresh child, in turn
    copies = []
    for i in range(3 * pairs + repeat + 1):  # a fresh copy of the database per run, made first
        copies.append(work / f"run{i}.db")
        shutil.copy(base, copies[-1])
    runs = iter(copies)

    def socplan_import(limits: Limits | None = None) -> None:
        store = Store(f"sqlite:///{next(runs)}")
        outcome = import_bytes(
            store, workbook.read_bytes(), "plan.xlsx", period=p2, imported_by="bench", limits=limits
        )
        assert outcome.revision is not None, outcome.report.lines()[:5]
        store.engine.dispose()

    def one_go() -> None:  # as before imports came in parts: the milestones after the check
        parts, importer.PART_ROWS = importer.PART_ROWS, 0
        try:
            socplan_import()
        finally:
            importer.PART_ROWS = parts

    socplan_import()  # warm: imports, migrations check, caches, the check's worker
    in_parts, in_one_go, fresh = [], [], []
    for _ in range(pairs):
        in_parts.append(median_seconds(socplan_import, 1))
        in_one_go.append(median_seconds(one_go, 1))
        isolation.stop_workers()  # the next check starts a new child (as a command's does)
        fresh.append(median_seconds(socplan_import, 1))
    t_import, t_one_go = statistics.median(in_parts), statistics.median(in_one_go)
    t_fresh = statistics.median(fresh)
    paired = statistics.median(a - b for a, b in zip(in_parts, in_one_go, strict=True))
    paired_fresh = statistics.median(a - b for a, b in zip(in_parts, fresh, strict=True))
    in_process = Limits(isolate=False)  # the setting isolate_parsing = false
    t_in_process = median_seconds(lambda: socplan_import(in_process), repeat)
    t_pandas = median_seconds(calamine_pandas, repeat)
    t_raw = median_seconds(calamine_raw, repeat)
    t_openpyxl = median_seconds(openpyxl_read, max(2, repeat // 2))
    exe = Path(sys.executable).with_name("socplan")
    t_help = median_seconds(
        lambda: subprocess.run([str(exe), "--help"], check=True, capture_output=True), repeat
    )
    shutil.rmtree(work, ignore_errors=True)

    rows = [
        ("calamine read via pandas (baseline)", t_pandas, "1.00", ""),
        ("calamine read, python-calamine only", t_raw, f"{t_raw / t_pandas:.2f}", ""),
        ("pandas.read_excel(engine='openpyxl')", t_openpyxl, f"{t_openpyxl / t_pandas:.2f}", ""),
        (
            "socplan import (read, check, store)",
            t_import,
            f"{t_import / t_pandas:.2f}× pandas-calamine",
            "≤ 1.5×",
        ),
        (
            "  the same, milestones written in one go",
            t_one_go,
            f"{t_one_go / t_pandas:.2f}× pandas-calamine",
            f"(in parts: {paired * 1000:+.0f} ms, paired)",
        ),
        (
            "  the same, its check in a new child",
            t_fresh,
            f"{t_fresh / t_pandas:.2f}× pandas-calamine",
            f"(kept worker: {paired_fresh * 1000:+.0f} ms, paired)",
        ),
        (
            "  the same, checked in-process",
            t_in_process,
            f"{t_in_process / t_pandas:.2f}× pandas-calamine",
            "(isolate_parsing off)",
        ),
        (
            "socplan import vs python-calamine",
            t_import,
            f"{t_import / t_raw:.2f}× raw calamine",
            "≤ 1.5×",
        ),
        (
            "openpyxl read / socplan import",
            t_openpyxl,
            f"{t_openpyxl / t_import:.1f}× faster",
            "≥ 5×",
        ),
        ("socplan --help", t_help, "", "< 0.5 s"),
    ]
    print(
        f"Import benchmark: {milestones:,} milestones, median of {repeat} runs "
        f"({pairs} for the import, in turn with the import in one go and in a new child)"
    )
    for name, seconds, ratio, target in rows:
        print(f"  {name:<42} {seconds * 1000:8.0f} ms  {ratio:<26} {target}")
    return rows


if __name__ == "__main__":
    main()
