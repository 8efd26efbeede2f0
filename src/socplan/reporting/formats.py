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


def file_size(size: int) -> str:
    """A file's size as people say it: "812 bytes", "14 KB", "2.3 MB"."""
    if size < 1024:
        return f"{size} bytes" if size != 1 else "1 byte"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
