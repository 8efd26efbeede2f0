"""HTML for the public site, escaped by default: every string becomes text unless it is `Html`
(markup this module or `site_svg` built). Workbook text can hold `<script>` or `javascript:`; it
only ever reaches a page through `esc`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd

from .figures import style_of


class Html(str):
    """Markup that is already safe to put in a page as it is."""

    __slots__ = ()


Child = Any  # str, Html, numbers, None (nothing), or an iterable of those


def esc(value: object) -> Html:
    """`value` as text in a page (markup passes through unchanged)."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def join(children: Iterable[Child]) -> Html:
    """Children one after another, each escaped unless it is markup."""
    out: list[str] = []
    for child in children:
        if child is None or child is False:
            continue
        if isinstance(child, str | int | float):
            out.append(esc(child))
        else:
            out.append(join(child))
    return Html("".join(out))


_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_SCHEME = re.compile(r"^\s*[a-zA-Z][a-zA-Z0-9+.-]*:")
VOID = frozenset({"meta", "link", "br", "hr", "img", "input"})
# Elements a line break after cannot change the layout of: each ends its line, so a site kept in
# version control shows a change as the lines it touched.
BLOCK = frozenset(
    {
        *("html", "head", "body", "header", "nav", "main", "footer", "div", "section"),
        *("h1", "h2", "h3", "p", "ul", "ol", "li", "dl", "dt", "dd", "figure", "figcaption"),
        *("details", "summary", "table", "caption", "thead", "tbody", "tr", "th", "td"),
        *("meta", "link", "title"),
    }
)


def tag(name: str, /, *children: Child, **attrs: object) -> Html:
    """An element; attribute names take `_` for `-` and a trailing `_` (`class_`); None leaves
    an attribute out and True writes it bare. Links must be relative (the site is read from any
    folder or server, and no workbook text may become a link somewhere else)."""
    assert _NAME.match(name), name
    parts = [name]
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        attr = key.rstrip("_").replace("_", "-")
        assert _NAME.match(attr), attr
        if attr in ("href", "src") and _SCHEME.match(str(value)):
            raise ValueError(f"the site links only within itself, not to {value!r}")
        parts.append(attr if value is True else f'{attr}="{esc(value)}"')
    opening = "<" + " ".join(parts) + ">"
    end = "\n" if name in BLOCK else ""
    if name in VOID:
        return Html(opening + end)
    return Html(f"{opening}{join(children)}</{name}>{end}")


# -- the words and shapes of a status ----------------------------------------------------------

_SHAPES = {
    "circle": '<circle cx="8" cy="8" r="6"/>',
    "circle-open": '<circle cx="8" cy="8" r="5.5" fill="#ffffff" stroke-width="2"/>',
    "triangle-up": '<path d="M8 1.5 15 14.5H1z"/>',
    "x": '<path d="M2.5 5 5 2.5l3 3 3-3L13.5 5l-3 3 3 3-2.5 2.5-3-3-3 3L2.5 11l3-3z"/>',
    "square": '<rect x="2" y="2" width="12" height="12"/>',
    "diamond-open": '<path d="M8 1.5 14.5 8 8 14.5 1.5 8z" fill="#ffffff" stroke-width="2"/>',
    "star": '<path d="m8 1 2 5h5l-4 3.3 1.6 5.2L8 11.4l-4.6 3.1L5 9.3 1 6h5z"/>',
}


def shape(status: str) -> Html:
    """The status's marker (the charts' shape and colour), hidden from screen readers: the word
    beside it says the same."""
    style = style_of(status)
    inner = _SHAPES.get(style["symbol"], _SHAPES["star"])
    return Html(
        '<svg class="shape" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" '
        f'focusable="false" fill="{esc(style["colour"])}" stroke="#222222" '
        f'stroke-width="1">{inner}</svg>'
    )


def status_label(status: str) -> Html:
    """A status as its shape and word."""
    return tag("span", shape(status), " ", status, class_="status")


# -- values ------------------------------------------------------------------------------------


def day(value: object, *, short: bool = False) -> str:
    """A date as `1 October 2019` (`1 Oct 2019` when `short`, for tables); empty for none."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return ""
    if isinstance(value, pd.Timestamp | date):
        return f"{value:%-d %b %Y}" if short else f"{value:%-d %B %Y}"
    return str(value)


def cell_text(value: object) -> str:
    """A table value as text: dates as days, whole numbers without `.0`, none as empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return ""
    if isinstance(value, pd.Timestamp | date):
        return day(value, short=True)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def data_table(frame: pd.DataFrame, caption: str, ident: str, *, row_headers: bool = True) -> Html:
    """A frame as an accessible table: a caption, column headers, the first column as row
    headers (when it holds words), wrapped so that a wide one scrolls on its own. `ident` is
    an id unique on the page."""
    header_col = (
        row_headers
        and len(frame.columns) > 1
        and not pd.api.types.is_numeric_dtype(frame.iloc[:, 0])
    )
    head = tag("tr", [tag("th", str(c), scope="col") for c in frame.columns])
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for i, value in enumerate(values):
            text = cell_text(value)
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            if i == 0 and header_col:
                cells.append(tag("th", text, scope="row"))
            else:
                cells.append(tag("td", text, class_="num" if numeric else None))
        rows.append(tag("tr", cells))
    return scroll_table(caption, ident, head, rows)


def scroll_table(
    caption: Child, ident: str, head: Html, rows: Iterable[Html], class_: str | None = None
) -> Html:
    """A table in a region that scrolls sideways when the table is wider than the page; the
    region is named by the caption and takes keyboard focus, so it scrolls without a mouse."""
    table = tag(
        "table",
        tag("caption", caption, id=ident),
        tag("thead", head),
        tag("tbody", list(rows)),
        class_=class_,
    )
    return tag(
        "div", table, class_="table-wrap", tabindex="0", role="region", aria_labelledby=ident
    )


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 milestone`, `3 milestones`."""
    return f"{count} {word if count == 1 else (many or word + 's')}"
