"""Column widths for the report's tables, sized to their content as a browser sizes an HTML table:
narrow columns for refs, dates and statuses, the rest of the width to the long text columns.

Word (and LibreOffice) do not size a table from its content, so the Word report is given these
widths explicitly. Text is measured with Arial's metrics (Liberation Sans and Helvetica share
them), so the widths are the same on every machine, with or without the fonts installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

CM_PER_PT = 2.54 / 72
FONT_PT = 9.5  # the size of table text in the report
CELL_PADDING_CM = 2 * 0.19 + 0.1  # Word's default cell margins, left and right, and some slack
NOWRAP_CHARS = 14  # a value this short (a ref, a status, a count) stays on one line
NOWRAP_WORDS = 2  # (dates may wrap before the year, as they do in the PDF)
READABLE_CM = 5.0  # a text column this wide holds about 30 characters a line

# Advance widths of Arial (regular) in thousandths of an em, for the printable ASCII characters
# from the space to the tilde; anything else counts as an "n".
_ARIAL = """
278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278
556 556 556 556 556 556 556 556 556 556 278 278 584 584 584 556
1015 667 667 722 722 667 611 778 722 278 500 667 556 833 722 778
667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556
333 556 556 500 556 556 278 556 556 222 222 500 222 833 556 556
556 556 333 500 278 556 500 722 500 500 500 334 260 334 584
"""
_WIDTHS = {chr(32 + i): int(w) for i, w in enumerate(_ARIAL.split())}
_DEFAULT = 556
_BOLD = 1.08  # Arial Bold runs about 8% wider


def text_width_cm(text: str, size_pt: float = FONT_PT, *, bold: bool = False) -> float:
    """The width of `text` on one line, in centimetres."""
    ems = sum(_WIDTHS.get(ch, _DEFAULT) for ch in text) / 1000
    return ems * size_pt * CM_PER_PT * (_BOLD if bold else 1.0)


def _cell_text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return ""
    return str(value)


# What a line may not break inside: a word, or a day and its month ("30 September 2020" may
# break before the year only).
_UNBROKEN = re.compile(r"\b\d{1,2} [A-Z][a-z]+|\S+")


def _longest_word(text: str, bold: bool) -> float:
    return max((text_width_cm(w, bold=bold) for w in _UNBROKEN.findall(text)), default=0.0)


def _unbreakable(text: str) -> bool:
    return len(text) <= NOWRAP_CHARS and len(text.split()) <= NOWRAP_WORDS


def _measure(header: str, values: Iterable[str]) -> tuple[float, float]:
    """(narrowest, widest) a column can usefully be, padding included."""
    narrowest = _longest_word(header, bold=True)
    widest = text_width_cm(header, bold=True)
    for text in values:
        whole = text_width_cm(text)
        narrowest = max(narrowest, whole if _unbreakable(text) else _longest_word(text, False))
        widest = max(widest, whole)
    return narrowest + CELL_PADDING_CM, widest + CELL_PADDING_CM


def measure(frame: pd.DataFrame) -> list[tuple[float, float]]:
    """Each column's (narrowest, widest) width in centimetres."""
    return [
        _measure(str(column), (_cell_text(v) for v in frame.iloc[:, i]))
        for i, column in enumerate(frame.columns)
    ]


def _levels(frame: pd.DataFrame) -> tuple[list[float], list[float], list[float]]:
    """Each column's narrowest, readable and widest widths; only long text columns need
    more than their narrowest to read well."""
    sizes = measure(frame)
    low = [a for a, _ in sizes]
    high = [b for _, b in sizes]
    readable = [max(a, READABLE_CM) if b > READABLE_CM else a for a, b in sizes]
    return low, readable, high


def min_width_cm(frame: pd.DataFrame) -> float:
    """The narrowest the table can be without breaking a word or a short value."""
    return sum(_levels(frame)[0])


def readable_width_cm(frame: pd.DataFrame) -> float:
    """The width the table needs for its text columns to read comfortably (about 30
    characters a line) and its short values to stay on one line."""
    return sum(_levels(frame)[1])


def _between(low: list[float], high: list[float], available: float) -> list[float]:
    """Grow each column from `low` towards `high` in proportion to what it could still use."""
    spare = available - sum(low)
    wants = [b - a for a, b in zip(low, high, strict=True)]
    if sum(wants) <= 0:
        return [a + spare / len(low) for a in low]
    return [a + spare * want / sum(wants) for a, want in zip(low, wants, strict=True)]


def column_widths(frame: pd.DataFrame, available_cm: float) -> list[float]:
    """Widths in centimetres that fill `available_cm`, much as a browser shares out an HTML
    table: every column gets its narrowest width, then the long text columns grow to a
    readable width, then every column towards its widest in proportion to what it could still
    use; what is left over is shared in proportion to the widest widths."""
    if frame.shape[1] == 0:
        return []
    low, readable, high = _levels(frame)
    if sum(low) >= available_cm:  # too wide even at its narrowest: shrink every column alike
        return [w * available_cm / sum(low) for w in low]
    if sum(readable) >= available_cm:
        return _between(low, readable, available_cm)
    if sum(high) >= available_cm:
        return _between(readable, high, available_cm)
    return [w * available_cm / sum(high) for w in high]
