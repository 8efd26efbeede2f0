"""Wall-clock timing for every benchmark: a stopwatch, and the median of repeated calls."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


class Stopwatch:
    """Started when made; `seconds` is the wall time since then (a monotonic clock)."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self._start


def median_seconds(
    func: Callable[[], object], repeat: int, *, before: Callable[[], object] | None = None
) -> float:
    """Median wall time of `repeat` calls of `func`; `before`, if given, runs untimed before
    each call (to reset a cache, say)."""
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        watch = Stopwatch()
        func()
        times.append(watch.seconds)
    return statistics.median(times)
