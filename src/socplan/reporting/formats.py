"""Numbers as people write them, for pages, tables and reports (data exports keep the numbers)."""

from __future__ import annotations

import math


def percent(value: object) -> str:
    """A progress figure as a percentage: 100.0 reads "100%", 37.5 reads "37.5%"; none is ""."""
    if value is None or isinstance(value, str | bool):
        return "" if value is None else str(value)
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return ""
    return f"{number:.1f}".removesuffix(".0") + "%"
