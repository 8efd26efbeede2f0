"""Import of a 10,000-milestone workbook against bare reads of the same file, in one run.

Targets (PRODUCT.md): import at most 1.5x a bare calamine read; at least 5x faster than
pandas.read_excel(engine="openpyxl") alone; `socplan --help` under 0.5 s.

The reads and the imports are timed in rounds, each of them once a round, in turn, so that a
stretch of the machine running slow falls on all of them; each ratio is the less favourable
of the ratio of the medians and the median of the rounds' ratios. `BENCH_IMPORT_ROUNDS=1`
prints every round's times.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
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

    rounds = 3 * repeat  # each: the reads and the imports, in turn (the machine's pace drifts)
    copies = []
    for i in range(4 * rounds + 1):  # a fresh copy of the database per run, made first
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

    in_process = Limits(isolate=False)  # the setting isolate_parsing = false
    measures: dict[str, Callable[[], object]] = {
        "pandas": calamine_pandas,
        "raw": calamine_raw,
        "import": socplan_import,
        "one go": one_go,
        "fresh": socplan_import,  # with no kept worker (stopped untimed): a new child
        "in-process": lambda: socplan_import(in_process),
    }
    socplan_import()  # warm: imports, migrations check, caches, the check's worker
    times: dict[str, list[float]] = {name: [] for name in [*measures, "openpyxl"]}
    with_openpyxl = range(0, rounds, 3)  # (a slow read: in every third round)
    for i in range(rounds):
        for name, measure in measures.items():
            before = isolation.stop_workers if name == "fresh" else None
            times[name].append(median_seconds(measure, 1, before=before))
        if i in with_openpyxl:
            times["openpyxl"].append(median_seconds(openpyxl_read, 1))

    def median(name: str) -> float:
        return statistics.median(times[name])

    def ratio(name: str, base: str, *, bar: str = "at most") -> float:
        """Of two estimates, the one less kind to a bar of "at most" (the larger) or "at least"
        (the smaller): the ratio of the medians, and the median of each round's ratio (less
        moved by the machine's pace drifting)."""

        def in_rounds(key: str, other: str) -> list[float]:
            """`key`'s times in the rounds that timed `other` too (openpyxl's are fewer)."""
            held = times[key]
            return held if len(times[other]) == rounds else [held[i] for i in with_openpyxl]

        pairs = zip(in_rounds(name, base), in_rounds(base, name), strict=True)
        estimates = (median(name) / median(base), statistics.median(a / b for a, b in pairs))
        # Rounded as shown (and as run_all judges it), against socplan: up to the hundredth
        # for "at most", down to the tenth for "at least".
        if bar == "at most":
            return math.ceil(max(estimates) * 100) / 100
        return math.floor(min(estimates) * 10) / 10

    def paired(name: str, other: str) -> float:
        return statistics.median(a - b for a, b in zip(times[name], times[other], strict=True))

    t_import, t_pandas, t_raw = median("import"), median("pandas"), median("raw")
    if os.environ.get("BENCH_IMPORT_ROUNDS"):  # every round's times, to look at
        for name, seconds in times.items():
            print(f"  {name:<12}", " ".join(f"{s * 1000:4.0f}" for s in seconds))
    t_openpyxl = median("openpyxl")
    exe = Path(sys.executable).with_name("socplan")
    t_help = median_seconds(
        lambda: subprocess.run([str(exe), "--help"], check=True, capture_output=True), repeat
    )
    shutil.rmtree(work, ignore_errors=True)

    rows = [
        ("calamine read via pandas (baseline)", t_pandas, "1.00", ""),
        ("calamine read, python-calamine only", t_raw, f"{ratio('raw', 'pandas'):.2f}", ""),
        (
            "pandas.read_excel(engine='openpyxl')",
            t_openpyxl,
            f"{ratio('openpyxl', 'pandas'):.2f}",
            "",
        ),
        (
            "socplan import (read, check, store)",
            t_import,
            f"{ratio('import', 'pandas'):.2f}× pandas-calamine",
            "≤ 1.5×",
        ),
        (
            "  the same, milestones written in one go",
            median("one go"),
            f"{ratio('one go', 'pandas'):.2f}× pandas-calamine",
            f"(in parts: {paired('import', 'one go') * 1000:+.0f} ms, paired)",
        ),
        (
            "  the same, its check in a new child",
            median("fresh"),
            f"{ratio('fresh', 'pandas'):.2f}× pandas-calamine",
            f"(kept worker: {paired('import', 'fresh') * 1000:+.0f} ms, paired)",
        ),
        (
            "  the same, checked in-process",
            median("in-process"),
            f"{ratio('in-process', 'pandas'):.2f}× pandas-calamine",
            "(isolate_parsing off)",
        ),
        (
            "socplan import vs python-calamine",
            t_import,
            f"{ratio('import', 'raw'):.2f}× raw calamine",
            "≤ 1.5× (stricter reading)",
        ),
        (
            "openpyxl read / socplan import",
            t_openpyxl,
            f"{ratio('openpyxl', 'import', bar='at least'):.1f}× faster",
            "≥ 5×",
        ),
        ("socplan --help", t_help, "", "< 0.5 s"),
    ]
    print(
        f"Import benchmark: {milestones:,} milestones, medians of {rounds} rounds (openpyxl "
        f"in {len(with_openpyxl)}), each read and import once a round in turn; a ratio is the "
        "less favourable of the medians' and the median of the rounds'"
    )
    for label, took, shown, target in rows:
        print(f"  {label:<42} {took * 1000:8.0f} ms  {shown:<26} {target}")
    return rows


if __name__ == "__main__":
    main()
