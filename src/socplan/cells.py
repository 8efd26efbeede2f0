"""Cells socplan writes never become formulas, on any sheet, in any format.

A name, commentary or setting that starts like a formula (`=HYPERLINK(...)`, `+`, `-`, `@`, a tab
or a carriage return) would otherwise run when a partner opens the template or a reader opens an
export. Every cell written with openpyxl goes through `put`; CSV values through `neutralise`.
"""

from __future__ import annotations

from typing import Any, Literal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Guard = Literal["quote", "apostrophe"]


def formula_like(value: object) -> bool:
    """True for text a spreadsheet would read as a formula if it were typed in."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralise(value: object) -> object:
    """Formula-like text with a leading apostrophe (for CSV and exports); anything else as is."""
    return "'" + value if isinstance(value, str) and formula_like(value) else value


def put(ws: Worksheet, row: int, column: int, value: Any, *, guard: Guard = "quote") -> Cell:
    """Write one cell that can never hold a formula.

    Text is always stored as text, never as openpyxl's formula type, without the control
    characters a worksheet cannot hold (openpyxl refuses them). Formula-like text is also
    guarded for people who edit the cell: `quote` sets Excel's quote prefix (the text reads back
    exactly as written and stays text when edited; for the template, which round-trips);
    `apostrophe` prefixes an apostrophe to the value itself (for exports, which are not read back).
    """
    if isinstance(value, str):  # control characters a worksheet cannot hold are dropped
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if guard == "apostrophe":
        value = neutralise(value)
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if formula_like(value):
            cell.quotePrefix = True
    return cell
