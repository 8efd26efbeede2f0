"""Every benchmark in bench/ in one command (`make bench`), ending in one table.

Each benchmark runs in its own fresh process and prints its own detail; the table at the end
puts each figure beside a baseline measured in the same run, the ratio between them, and the
target from PRODUCT.md with a verdict. Baselines: a bare calamine read for the import; the same
callbacks on 1,000 milestones for the dashboard; the sample plan for the load test; 1,000
milestones for the scale curve; for many plans in one worker, the same worker holding every
plan. Any other bench/bench_*.py is run too and its output shown.

    python bench/run_all.py [--quick]    # --quick: short load test, no 100,000-milestone plan,
                                         # 3 plans of 2,000 milestones instead of 10 of 10,000
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib
import multiprocessing
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from timing import Stopwatch  # noqa: E402 (bench/ is on the path from the line above)

KNOWN = {
    "bench_import.py",
    "bench_dashboard.py",
    "bench_plans.py",
    "load.py",
    "scale.py",
    "run_all.py",
}
HELPERS = {"timing.py"}  # shared by the benchmarks, not one of them
# Compares this checkout with another one named on its command line: run by hand, not here.
BY_HAND = {"bench_browser_ab.py"}

Row = tuple[
    str, str, str, str, str, str, str
]  # benchmark, measure, value, baseline, ratio, target, verdict


def isolated(func: Callable[..., Any], *args: Any) -> Any:
    """Call `func(*args)` in a fresh Python process (no state shared between benchmarks)."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(func, *args).result()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def import_rows(rows: list[tuple[str, float, str, str]]) -> list[Row]:
    by_name = {name: seconds for name, seconds, _, _ in rows}
    # bench_import's ratios: each the less favourable of two estimates (the ratio of the
    # medians, and the median of each round's), rounded against socplan as printed.
    ratio = {name: float(r.split("×")[0]) for name, _, r, _ in rows if "×" in r}
    pandas_read = by_name["calamine read via pandas (baseline)"]
    raw = by_name["calamine read, python-calamine only"]
    openpyxl = by_name["pandas.read_excel(engine='openpyxl')"]
    imported = by_name["socplan import (read, check, store)"]
    in_process = by_name.get("  the same, checked in-process")
    help_s = by_name["socplan --help"]
    to_pandas = ratio["socplan import (read, check, store)"]
    to_raw = ratio["socplan import vs python-calamine"]
    faster = ratio["openpyxl read / socplan import"]
    return [
        (
            "import",
            "10,000-milestone workbook: read, check, store",
            ms(imported),
            f"calamine via pandas {ms(pandas_read)}",
            f"{to_pandas:.2f}×",
            "≤ 1.5×",
            verdict(to_pandas <= 1.5),
        ),
        *(
            [
                (
                    "import",
                    "  the same, checked in-process (isolate_parsing off)",
                    ms(in_process),
                    f"calamine via pandas {ms(pandas_read)}",
                    f"{ratio['  the same, checked in-process']:.2f}×",
                    "",
                    "",
                )
            ]
            if in_process is not None
            else []
        ),
        (
            "import",
            "  the same against python-calamine alone",
            ms(imported),
            f"python-calamine {ms(raw)}",
            f"{to_raw:.2f}×",
            "≤ 1.5× (stricter reading)",
            verdict(to_raw <= 1.5),
        ),
        (
            "import",
            "  pandas.read_excel(openpyxl) alone",
            ms(openpyxl),
            f"socplan import {ms(imported)}",
            f"{faster:.1f}× slower",
            "≥ 5× slower",
            verdict(faster >= 5),
        ),
        ("cli", "socplan --help", ms(help_s), "", "", "< 0.5 s", verdict(help_s < 0.5)),
    ]


def dashboard_rows(big: list[tuple[str, float]], small: list[tuple[str, float]]) -> list[Row]:
    base = dict(small)
    out: list[Row] = []
    for name, seconds in big:
        reload = "reload" in name
        ref = base.get(name)
        out.append(
            (
                "dashboard 10,000×20",
                name.removeprefix("page ").replace("Community Safety Partnerships", "CSPs"),
                ms(seconds),
                f"1,000 × 20: {ms(ref)}" if ref else "",
                f"{seconds / ref:.1f}×" if ref else "",
                "" if reload else "< 150 ms",
                "" if reload else verdict(seconds < 0.150),
            )
        )
    return out


def load_rows(rows: list[dict[str, Any]]) -> list[Row]:
    base = rows[0]
    out: list[Row] = []
    for r in rows:
        plan = r["plan"].replace(" milestones x 20 quarters", " × 20")
        ratio = f"{r['p95'] / base['p95']:.1f}×" if r is not base and base["p95"] else ""
        out.append(
            (
                "load, 50 viewers",
                f"{plan}: p50 / p95 / p99, errors",
                f"{r['p50']:.0f} / {r['p95']:.0f} / {r['p99']:.0f} ms, {r['errors']}",
                "" if r is base else f"sample p95 {base['p95']:.0f} ms",
                ratio,
                "p95 < 500 ms, 0 errors",
                verdict(r["p95"] < 500 and r["errors"] == 0),
            )
        )
        out.append(
            (
                "load, 50 viewers",
                f"  {plan}: p95 arrive / browse / render; req/s",
                f"{r['arrival_p95']:.0f} / {r['browsing_p95']:.0f} / {r['render_p95']:.0f} ms; "
                f"{r['rate']:.0f}/s",
                "",
                "",
                "",
                "",
            )
        )
    return out


def scale_rows(rows: list[dict[str, Any]]) -> list[Row]:
    base = rows[0]
    out: list[Row] = []
    for r in rows:
        n = r["milestones"]
        first = r is base
        label = f"{n:,} × 20"
        for measure, key, fmt in (
            ("import one quarter", "import_s", lambda v: f"{v:.2f} s"),
            ("import peak memory", "peak_mb", lambda v: f"{v:.0f} MiB"),
            ("median page callback", "dash_callback_median_s", ms),
            ("dashboard peak memory", "dash_peak_mb", lambda v: f"{v:.0f} MiB"),
        ):
            target, ok = "", ""
            if key == "dash_callback_median_s" and n == 10_000:
                target, ok = "< 150 ms", verdict(r[key] < 0.150)
            out.append(
                (
                    "scale",
                    f"{label}: {measure}",
                    fmt(r[key]),
                    "" if first else f"1,000: {fmt(base[key])}",
                    "" if first else f"{r[key] / base[key]:.1f}×",
                    target,
                    ok,
                )
            )
    return out


def plans_rows(r: dict[str, Any]) -> list[Row]:
    """Many plans in one worker: the default plan cache against one holding every plan."""
    n, bounded, every, probe = r["plans"], r["bounded"], r["every"], r["probe"]
    name = f"plans: {n} × {r['milestones']:,} × 20"
    base = "all held" + (f" (capped at {every['visits']} visits)" if every["capped"] else "")
    nbytes_ratio = probe["rss_per_plan_mb"] / probe["nbytes_mb"] if probe["nbytes_mb"] else 0.0
    return [
        (
            name,
            "one worker, plan_cache_mb 1024: peak RSS",
            f"{bounded['peak_mb']:.0f} MiB",
            f"{base}: {every['peak_mb']:.0f} MiB",
            f"{bounded['peak_mb'] / every['peak_mb']:.2f}×",
            "< 2 GiB",
            verdict(bounded["peak_mb"] < 2048),
        ),
        (
            name,
            "  median page render, plan held",
            ms(bounded["render_median_s"]),
            f"{base}: {ms(every['render_median_s'])}",
            f"{bounded['render_median_s'] / every['render_median_s']:.1f}×",
            "< 150 ms",
            verdict(bounded["render_median_s"] < 0.150),
        ),
        (
            name,
            "  plan load (first page of a plan not held): median, count",
            f"{bounded['load_median_s']:.2f} s, {bounded['loads']}",
            f"{base}: {every['load_median_s']:.2f} s, {every['loads']}",
            "",
            "",
            "",
        ),
        (
            name,
            "  plans held at the end (bytes the cache counts)",
            f"{len(bounded['held'])} of {n} ({bounded['held_mb']:.0f} MiB)",
            f"{base}: {len(every['held'])} ({every['held_mb']:.0f} MiB)",
            "",
            "",
            "",
        ),
        (
            name,
            "  resident memory per plan loaded, against nbytes()",
            f"+{probe['rss_per_plan_mb']:.0f} MiB",
            f"nbytes() {probe['nbytes_mb']:.0f} MiB",
            f"{nbytes_ratio:.1f}×",
            "",
            "",
        ),
    ]


def generic_rows(name: str, rows: Any) -> list[Row] | None:
    """Rows of (measure, seconds, ratio, target), the convention bench_*.py files follow."""
    if not isinstance(rows, list) or not all(
        isinstance(r, tuple) and len(r) == 4 and isinstance(r[1], float) for r in rows
    ):
        return None
    out: list[Row] = []
    for measure, seconds, ratio, target in rows:
        limit = re.fullmatch(r"<\s*([\d.]+)\s*s", target.strip())
        ok = verdict(seconds < float(limit.group(1))) if limit else ""
        value = f"{seconds:.2f} s" if seconds >= 1 else ms(seconds)
        out.append((name, measure, value, "", ratio, target, ok))
    return out


def others() -> list[Row]:
    """Every other benchmark in bench/: its main() in a fresh process, else the script itself."""
    out: list[Row] = []
    for path in sorted(BENCH.glob("*.py")):
        if path.name in KNOWN | HELPERS | BY_HAND or path.name.startswith("_"):
            continue
        print(f"\n== {path.name}", flush=True)
        watch = Stopwatch()
        module = importlib.import_module(path.stem)
        if hasattr(module, "main"):
            rows = generic_rows(path.stem.removeprefix("bench_"), isolated(module.main))
            if rows is not None:
                out += rows
                continue
        else:
            subprocess.run([sys.executable, str(path)], timeout=1800, check=True)
        out.append(
            (
                path.stem,
                "ran (see its output above)",
                f"{watch.seconds:.1f} s",
                "",
                "",
                "",
                "",
            )
        )
    return out


def print_table(rows: list[Row]) -> None:
    header: Row = ("benchmark", "measure", "value", "baseline (same run)", "ratio", "target", "")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print("\n" + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    print(line)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def main(quick: bool = False) -> None:
    import bench_dashboard
    import bench_import
    import bench_plans
    import load
    import scale

    watch = Stopwatch()
    rows: list[Row] = []
    print("== bench_import.py", flush=True)
    rows += import_rows(isolated(bench_import.main))
    print("\n== bench_dashboard.py (baseline: 1,000 milestones x 20, then 10,000 x 20)", flush=True)
    small = isolated(bench_dashboard.main, 1_000, 20)
    big = isolated(bench_dashboard.main, 10_000, 20)
    rows += dashboard_rows(big, small)
    print("\n== load.py", flush=True)
    rows += load_rows(isolated(load.main, 50, 15.0 if quick else 60.0, ("sample", "10000")))
    print("\n== scale.py", flush=True)
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    rows += scale_rows(isolated(scale.main, sizes))
    print("\n== bench_plans.py", flush=True)
    rows += plans_rows(isolated(bench_plans.main, *((3, 2_000) if quick else (10, 10_000))))
    rows += others()
    print_table(rows)
    print(
        f"\nAll benchmarks in {watch.seconds:.0f} s on "
        f"{multiprocessing.cpu_count()} CPU(s). Targets from PRODUCT.md; "
        "a verdict is given where PRODUCT.md sets a target."
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="short load test, sizes up to 10,000, 3 plans of 2,000 milestones",
    )
    main(parser.parse_args().quick)
