"""Figures: pure functions from the model's frames to plotly figures, shared by the dashboard
and the exports. Status is always shown by word and pattern or marker shape as well as colour.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ..schema import STATUSES

# A colour-blind-safe palette (Okabe and Ito), with a pattern and a marker for each status so
# that nothing depends on colour alone.
STATUS_STYLE: dict[str, dict[str, str]] = {
    "Not started": {
        "colour": "#BBBBBB",
        "pattern": ".",
        "symbol": "circle-open",
        "text": "#000000",
    },
    "On track": {"colour": "#009E73", "pattern": "", "symbol": "circle", "text": "#000000"},
    "At risk": {"colour": "#E69F00", "pattern": "/", "symbol": "triangle-up", "text": "#000000"},
    "Off track": {"colour": "#D55E00", "pattern": "x", "symbol": "x", "text": "#000000"},
    "Complete": {"colour": "#0072B2", "pattern": "+", "symbol": "square", "text": "#FFFFFF"},
    "Cancelled": {"colour": "#666666", "pattern": "-", "symbol": "diamond-open", "text": "#FFFFFF"},
}
FALLBACK_STYLE = {"colour": "#888888", "pattern": "\\", "symbol": "star", "text": "#000000"}
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"


def _figure(*data: object) -> go.Figure:
    """A figure that skips plotly's per-property validation: the builders here are fixed code,
    checked by the tests (which rebuild every figure with validation on), and validation is most
    of the time a dashboard page takes."""
    return go.Figure(data=list(data) or None, _validate=False)


def style_of(status: str) -> dict[str, str]:
    """Colour, pattern and marker for a status (a fallback for configured extra statuses)."""
    return STATUS_STYLE.get(status, FALLBACK_STYLE)


AXIS = {"gridcolor": "#e5e5e5", "zerolinecolor": "#cccccc", "automargin": True}
# An axis of milestones up the side, its numbers in full (10,000 rather than 10k): their width
# is then known before plotly draws them (_reserved). Along the bottom the last number may hang
# past the plot by an amount that depends on the width, so bottom axes keep plotly's shorter one.
COUNTS = {"tickformat": ","}


TITLE_BAND_PX = 40  # the top of every figure is the title's alone; the legend starts below it


def _frame(title: str, height: int) -> dict[str, Any]:
    """The layout every figure shares. Title, legend and plot each have their own band: the
    title at the top, the legend (however many rows it wraps to at this width) below it, and
    the plot below the legend, which reserves its own height because it is placed relative to
    the whole figure rather than to the plot."""
    return {
        "title": {
            "text": title,
            "x": 0,
            "xref": "container",
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 10, "l": 10},
            "font": {"size": 15},
        },
        "font": {"family": FONT, "size": 12, "color": "#212529"},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": TITLE_BAND_PX + 8, "b": 10},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1 - TITLE_BAND_PX / height,
            "yref": "container",
            "yanchor": "top",
            "traceorder": "normal",
        },
        "hoverlabel": {"font": {"family": FONT}},
    }


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(**_frame(title, height), xaxis=AXIS, yaxis=AXIS)
    return fig


def _bar(status: str, x: Sequence[object], y: Sequence[object], orientation: str) -> dict[str, Any]:
    style = style_of(status)
    values = x if orientation == "h" else y
    return dict(  # a plain trace spec: building go.Bar objects costs more than the chart's data
        type="bar",
        name=status,
        x=list(x),
        y=list(y),
        orientation=orientation,
        marker={
            "color": style["colour"],
            "line": {"color": "#333333", "width": 0.5},
            "pattern": {
                "shape": style["pattern"],
                "fgcolor": "#222222",
                "size": 7,
                "solidity": 0.2,
            },
        },
        text=[str(int(v)) if v else "" for v in values],  # type: ignore[call-overload]
        textposition="none",  # counts are drawn as labels with a backing: see _count_labels
        hovertemplate=f"{status}: %{{{'x' if orientation == 'h' else 'y'}}}<extra>%{{{'y' if orientation == 'h' else 'x'}}}</extra>",
    )


LABEL = {
    "showarrow": False,
    "bgcolor": "rgba(255,255,255,0.92)",  # a backing: the count reads on any fill or pattern
    "bordercolor": "#333333",
    "borderwidth": 1,
    "borderpad": 1,
    "font": {"color": "#212529", "size": 12},
}
LABEL_PX = 18  # the height of a label; a segment shorter than this has its label beside it
PLOT_SHARE = 0.55  # the least of a figure's height its plot area takes (legend, axes and title)
LABEL_PAD_PX = 6  # a label's backing and border either side of its text, and a pixel's gap
COLUMNS_PLOT_PX = 480  # about the narrowest plot columns get (half the dashboard's width)


def _labels_fit(counts: pd.DataFrame, plot_px: float = COLUMNS_PLOT_PX) -> bool:
    """Whether the count labels of `counts` (categories down, statuses across) fit side by side
    in columns across a plot `plot_px` wide. With many columns of large counts (twenty
    quarters of four-digit counts, say) they would overlap each other into a block no one can
    read; the chart is clearer without them, and its caption, hover and data table still give
    every count."""
    widest = max((text_px(str(int(v))) for v in counts.to_numpy().ravel() if v > 0), default=0)
    return widest + LABEL_PAD_PX <= plot_px / max(1, len(counts))


def _count_labels(
    counts: pd.DataFrame, orientation: str, height: int
) -> tuple[list[dict[str, Any]], bool]:
    """Labels with a backing for each stacked segment of `counts` (categories down, statuses
    across). In columns, a segment too short to hold its label has it beside the column, with a
    leader line, stepped up so that neighbouring labels do not overlap. Also says whether the
    last column has labels beside it (the axis then needs room on the right)."""
    labels: list[dict[str, Any]] = []
    beside_last = False
    total = float(counts.sum(axis=1).max()) if len(counts) else 0.0
    if total <= 0:
        return labels, beside_last
    per_px = 1.05 * total / (height * PLOT_SHARE)  # milestones per pixel, at the smallest plot
    for i, (category, row) in enumerate(counts.iterrows()):
        base = 0.0
        floor = -float("inf")  # the lowest a label beside this column may go
        for value in row:
            value = float(value)
            if value <= 0:
                continue
            middle = base + value / 2
            base += value
            if orientation == "h":
                labels.append({**LABEL, "x": middle, "y": category, "text": str(int(value))})
            elif value / per_px >= LABEL_PX:
                labels.append({**LABEL, "x": i, "y": middle, "text": str(int(value))})
            else:
                at = max(middle, floor)
                floor = at + LABEL_PX * per_px
                beside_last = beside_last or i == len(counts) - 1
                labels.append(
                    {
                        **LABEL,
                        "x": i + 0.4,  # the right-hand edge of the column (bargap 0.2)
                        "y": middle,
                        "ax": i + 0.46,
                        "ay": at,
                        "axref": "x",
                        "ayref": "y",
                        "xanchor": "left",
                        "showarrow": True,
                        "arrowhead": 0,
                        "arrowwidth": 1,
                        "arrowcolor": "#333333",
                        "text": str(int(value)),
                    }
                )
    return labels, beside_last


# Advance widths of the FONT's first two faces, Liberation Sans and Arial (metric-compatible),
# in thousandths of the font size, for the printable ASCII characters " " to "~".
# fmt: off
_ADVANCE = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722,
    722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722,
    667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556,
    556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500,
    500, 334, 260, 334, 584,
)
# fmt: on
_WIDTH = {chr(32 + i): w for i, w in enumerate(_ADVANCE)}
_OTHER_WIDTH = 500  # any other character: short of most capitals, so rarely too wide


def text_px(text: str, size: float = 12) -> float:
    """About how wide `text` is drawn in FONT at `size` px (exact for ASCII in its first faces)."""
    return sum(_WIDTH.get(c, _OTHER_WIDTH) for c in text) * size / 1000


# Where plotly's automargin puts an axis's labels and title, in px at font size 12 (measured in
# Chromium with the vendored plotly.js): labels of a left-hand axis take their width and this
# much more; a bottom axis of numbers takes this much; an axis title this much again; a
# legend's first row below the title band this much.
TICK_GAP_PX = 11.4
TICK_ROW_PX = 26
AXIS_TITLE_PX = 25
LEGEND_ROW_PX = 31


WIDE_PLOT_PX = 870  # about the widest plot a chart of periods gets (across the dashboard)
LABEL_SPACE_PX = 3  # plotly turns category labels that come closer to each other than this
UPRIGHT_GAP_PX = 13.3  # upright labels of a bottom axis take their length and this much more
NUMBER_GAP_PX = 10.8  # numbers on a left-hand axis take their width and this much more


def _periods(periods: Sequence[object]) -> dict[str, Any]:
    """The axis of reporting periods along the bottom of a chart. Where the labels could not
    stand level side by side even across the widest plot, they stand upright at every width:
    plotly would otherwise turn them by 30 or 90 degrees as the width allows, and draw the
    chart again to find out."""
    axis: dict[str, Any] = {"title": {"text": "Reporting period"}, "type": "category"}
    widest = max((text_px(str(p)) for p in periods), default=0.0)
    if len(periods) * (widest + LABEL_SPACE_PX) > WIDE_PLOT_PX:
        axis["tickangle"] = -90
    return axis


def _count_px(top: float) -> float:
    """How wide the widest label is of an axis of counts (COUNTS) from 0 to `top`."""
    top *= 1.06  # plotly's room above the highest value
    return text_px("2.5" if top < 3 else f"{int(top):,}")


def _top(spec: dict[str, Any], traces: list[dict[str, Any]]) -> float:
    """The highest value on a vertical axis of `traces` (stacked bars' highest total)."""
    ys = [[_finite(y) for y in t.get("y") or ()] for t in traces]
    if spec.get("barmode") == "stack":
        return max(
            (sum(column) for column in itertools.zip_longest(*ys, fillvalue=0.0)), default=0.0
        )
    return max((max(y, default=0.0) for y in ys), default=0.0)


def _finite(value: object) -> float:
    """`value` as a number, 0 for none (a gap in a line, say)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _reserved(spec: dict[str, Any], traces: list[dict[str, Any]]) -> dict[str, Any]:
    """The margins plotly's automargin would push out to, where they do not depend on the
    figure's width: room on the left for a category axis's labels, or for an axis of counts'
    numbers; along the bottom for numbers, for upright period labels, or for at least a row of
    level ones; at the top for the legend's first row. Plotly draws a figure again whenever
    automargin has to widen a margin by more than a pixel; with the room reserved it draws it
    once. A margin is only reserved where the measure is sure (never more than plotly would
    take): plotly still widens one that is too small (a second row of legend, or period labels
    turned at a narrow width), so a figure looks the same either way."""
    margin = dict(spec["margin"])
    xaxis, yaxis = spec["xaxis"], spec["yaxis"]

    def title_px(axis: dict[str, Any]) -> float:
        return AXIS_TITLE_PX if (axis.get("title") or {}).get("text") else 0

    labels = yaxis.get("categoryarray")
    if labels:
        widest = max(text_px(html.unescape(str(label))) for label in labels)
        margin["l"] = max(margin["l"], math.ceil(widest + TICK_GAP_PX + title_px(yaxis)))
    elif yaxis.get("tickformat") == COUNTS["tickformat"] and traces:
        widest = _count_px(_top(spec, traces))
        margin["l"] = max(margin["l"], round(widest + NUMBER_GAP_PX + title_px(yaxis)))
    periods = traces[0].get("x") if traces and xaxis.get("type") == "category" else None
    numbers_across = (
        bool(traces)
        and xaxis.get("type") in (None, "linear")
        and all(
            t.get("type") == "bar" and t.get("orientation") == "h" and "base" not in t
            for t in traces
        )
    )
    below = 0.0
    if periods and xaxis.get("tickangle") == -90:
        below = max(text_px(str(p)) for p in periods) + UPRIGHT_GAP_PX + title_px(xaxis)
    elif periods or numbers_across:  # a row of numbers, or of period labels (turned if narrow)
        below = TICK_ROW_PX + title_px(xaxis)
    margin["b"] = max(margin["b"], math.ceil(below))
    shown = [t for t in traces if t.get("showlegend", True)]
    if spec.get("showlegend", len(shown) > 1):
        margin["t"] = max(margin["t"], TITLE_BAND_PX + LEGEND_ROW_PX + 8)
    return {**spec, "margin": margin}


def _spec(
    traces: list[dict[str, Any]],
    title: str,
    height: int = 360,
    *,
    xaxis: dict[str, Any] | None = None,
    yaxis: dict[str, Any] | None = None,
    **layout: Any,
) -> go.Figure:
    """A figure from plain trace and layout specs, built once (no per-property updates)."""
    spec = {
        **_frame(title, height),
        "xaxis": {**AXIS, **(xaxis or {})},
        "yaxis": {**AXIS, **(yaxis or {})},
        **layout,
    }
    return go.Figure(data=traces, layout=_reserved(spec, traces), _validate=False)


def status_overall(counts: pd.DataFrame, title: str = "Milestones by status") -> go.Figure:
    """One bar per status, labelled with its word and count (from `status_counts()`)."""
    row = counts.iloc[0] if len(counts) else pd.Series(dtype=int)
    statuses = [s for s in counts.columns if s != "Total"]
    traces = []
    for status in statuses:
        trace = _bar(status, [int(row.get(status, 0))], [status], "h")
        trace.update(textposition="outside", cliponaxis=False, textfont={"color": "#212529"})
        traces.append(trace)
    return _spec(
        traces,
        title,
        300,
        barmode="overlay",
        showlegend=False,
        yaxis={"categoryorder": "array", "categoryarray": list(reversed(statuses))},
        xaxis={"title": {"text": "Milestones"}, "rangemode": "tozero"},
    )


def status_by(counts: pd.DataFrame, by_label: str, title: str | None = None) -> go.Figure:
    """Stacked bars of status for each theme, owner or recommendation (from `status_counts(by=)`)."""
    statuses = [s for s in counts.columns if s != "Total"]
    groups = [str(g) for g in counts.index]
    traces = [_bar(status, counts[status].tolist(), groups, "h") for status in statuses]
    height = max(300, 90 + 34 * len(groups))
    labels, _ = _count_labels(counts[statuses].set_axis(groups), "h", height)
    return _spec(
        traces,
        title or f"Status by {by_label.lower()}",
        height,
        barmode="stack",
        annotations=labels,
        yaxis={
            "categoryorder": "array",
            "categoryarray": list(reversed(groups)),
            "title": {"text": by_label},
        },
        xaxis={"title": {"text": "Milestones"}},
    )


def trend(table: pd.DataFrame, title: str = "Status mix by quarter") -> go.Figure:
    """Stacked columns of the status mix in each period (from `DeliveryPlan.trend()`), each
    segment labelled with its count where the labels fit (`_labels_fit`)."""
    statuses = [s for s in table.columns if s != "period"]
    periods = table["period"].tolist()
    traces = [_bar(status, periods, table[status].tolist(), "v") for status in statuses]
    counts = table[statuses].set_axis(periods)
    labels, beside_last = _count_labels(counts, "v", 360) if _labels_fit(counts) else ([], False)
    # Room on the right for labels beside the last column.
    extent = [-0.5, len(periods) - 0.5 + (0.3 if beside_last else 0)]
    return _spec(
        traces,
        title,
        barmode="stack",
        annotations=labels,
        xaxis={**_periods(periods), "range": extent},
        yaxis={**COUNTS, "title": {"text": "Milestones"}},
    )


def burnup(table: pd.DataFrame, title: str = "Milestones due and complete") -> go.Figure:
    """Cumulative milestones due (baseline and forecast) against complete, period by period."""
    lines = (
        ("due_baseline", "Due (baseline)", "#555555", "dash", "square-open", "top left"),
        ("due_forecast", "Due (forecast)", "#8a5a00", "dot", "triangle-up", "middle right"),
        ("complete", "Complete", "#0072B2", "solid", "circle", "bottom right"),
    )
    traces = [
        {
            "type": "scatter",
            "x": table["period"].tolist(),
            "y": table[key].tolist(),
            "name": name,
            "mode": "lines+markers+text",
            "line": {"color": colour, "dash": dash, "width": 2.5},
            "marker": {"symbol": symbol, "size": 9, "color": colour},
            # Label only the newest point: labels on every point of close lines collide.
            "text": [""] * (len(table) - 1) + [str(v) for v in table[key].tail(1)],
            "textposition": position,
            "textfont": {"size": 12, "color": colour},
            "cliponaxis": False,  # the newest point's label may stand above the plot's top
            "hovertemplate": f"{name}: %{{y}}<extra>%{{x}}</extra>",
        }
        for key, name, colour, dash, symbol, position in lines
    ]
    return _spec(
        traces,
        title,
        xaxis=_periods(table["period"].tolist()),
        yaxis={**COUNTS, "title": {"text": "Milestones (cumulative)"}, "rangemode": "tozero"},
    )


def _span(
    rows: pd.DataFrame, end: str, name: str, what: str, marker: dict[str, Any], width: float
) -> dict[str, Any]:
    """A horizontal bar per milestone from its `begin` to its `end` date (at least a week)."""
    return {
        "type": "bar",
        "name": name,
        "y": rows["label"].tolist(),
        "x": (rows[end] - rows["begin"]).dt.days.clip(lower=7).mul(86_400_000).tolist(),
        "base": rows["begin"].dt.strftime("%Y-%m-%d").tolist(),
        "orientation": "h",
        "marker": marker,
        "width": width,
        "hovertemplate": f"%{{y}}: {what} %{{customdata}}<extra></extra>",
        "customdata": rows[end].dt.strftime("%d %b %Y").tolist(),
    }


def timeline(milestones: pd.DataFrame, as_at: date, title: str = "Milestone timeline") -> go.Figure:
    """Baseline and forecast bars per milestone, completion marks and the as-at date marked."""
    frame = milestones.copy()
    frame["label"] = frame["ref"]
    frame["begin"] = frame["start"].fillna(frame["baseline_due"] - pd.Timedelta(days=90))
    known = frame[frame["baseline_due"].notna()]
    traces = [
        _span(
            known,
            "baseline_due",
            "Baseline (start to due)",
            "baseline due",
            {"color": "#dddddd", "line": {"color": "#555555", "width": 1}},
            0.7,
        )
    ]
    moved = frame[
        frame["effective_due"].notna() & (frame["effective_due"] != frame["baseline_due"])
    ]
    if not moved.empty:
        traces.append(
            _span(
                moved,
                "effective_due",
                "Forecast (revised due)",
                "forecast",
                {
                    "color": "rgba(230,159,0,0.55)",
                    "line": {"color": "#8a5a00", "width": 1},
                    "pattern": {"shape": "/", "fgcolor": "#8a5a00", "size": 6},
                },
                0.35,
            )
        )
    for status in [s for s in STATUSES if s in set(frame["status"])] + sorted(
        set(frame["status"]) - set(STATUSES)
    ):
        rows = frame[frame["status"] == status]
        marks = rows["completed"].fillna(rows["effective_due"])
        style = style_of(status)
        traces.append(
            {
                "type": "scatter",
                "name": status,
                "y": rows["label"].tolist(),
                "x": marks.dt.strftime("%Y-%m-%d").tolist(),
                "mode": "markers",
                "marker": {
                    "symbol": style["symbol"],
                    "size": 12,
                    "color": style["colour"],
                    "line": {"color": "#222222", "width": 1.5},
                },
                "hovertemplate": f"%{{y}}: {status}<extra></extra>",
            }
        )
    cut = pd.Timestamp(as_at).strftime("%Y-%m-%d")
    as_at_line = {"color": "#212529", "width": 2, "dash": "dash"}
    # The as-at line is named in the legend (a line sample and no data): a label beside the
    # line would have to sit in the legend's band or over the top bar.
    traces.append(
        {
            "type": "scatter",
            "name": f"As at {pd.Timestamp(as_at):%d %b %Y}",
            "x": [None],
            "y": [None],
            "mode": "lines",
            "line": as_at_line,
            "hoverinfo": "skip",
        }
    )
    labels = frame["label"].tolist()
    return _spec(
        traces,
        title,
        max(260, 110 + 36 * len(labels)),
        xaxis={"type": "date", "title": {"text": "Date"}},
        yaxis={
            "categoryorder": "array",
            "categoryarray": list(reversed(labels)),
            "type": "category",
        },
        barmode="overlay",
        shapes=[
            {
                "type": "line",
                "x0": cut,
                "x1": cut,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": as_at_line,
            }
        ],
    )


def flow(moves: pd.DataFrame, before: str, after: str, title: str | None = None) -> go.Figure:
    """A Sankey of status moves between two periods (from `changes()['flow']`)."""
    left = [f"{s} ({before})" for s in STATUSES]
    right = [f"{s} ({after})" for s in STATUSES]
    index = {s: i for i, s in enumerate(STATUSES)}
    rows = moves[moves["from"].isin(index) & moves["to"].isin(index)]
    title = title or f"Status moves from {before} to {after}"
    if rows.empty:  # a Sankey with no links is no picture (Chromium refuses to draw it)
        fig = _figure()
        fig.add_annotation(
            text=f"No milestone changed status between {before} and {after}.",
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
            showarrow=False,
            font={"size": 15},
        )
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return _layout(fig, title, height=220)
    fig = _figure(
        go.Sankey(
            node={
                "label": left + right,
                "color": [style_of(s)["colour"] for s in STATUSES] * 2,
                "pad": 18,
                "thickness": 16,
                "line": {"color": "#333333", "width": 0.5},
            },
            link={
                "source": [index[s] for s in rows["from"]],
                "target": [len(STATUSES) + index[s] for s in rows["to"]],
                "value": rows["count"].tolist(),
                "color": "rgba(120,120,120,0.35)",
            },
        )
    )
    return _layout(fig, title, height=380)


DRAFT_MARK = "DRAFT"


def draft_marked(fig: go.Figure, note: str) -> go.Figure:
    """A copy of `fig` marked as a draft: a large DRAFT across the plot and after its title,
    so no copy of it passes as signed off (`note`, which periods are not, is the hover text)."""
    out = go.Figure(fig)
    out.add_annotation(
        text=DRAFT_MARK,
        name="draft-mark",
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        textangle=-20,
        hovertext=note,
        font={"size": 72, "color": "rgba(178, 34, 34, 0.22)"},
    )
    # On the title's own line (the title band has room for one): which periods, in the caption.
    title = out.layout.title.text or ""
    out.update_layout(title_text=f'{title} <span style="color:#8b1a1a"><b>{DRAFT_MARK}</b></span>')
    return out
