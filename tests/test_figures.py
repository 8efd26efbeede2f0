"""Figure builders, tested without a browser on three-row frames."""

import itertools
from datetime import date

import pandas as pd
import pytest
from builders import T, milestone, milestones

from socplan import metrics
from socplan.reporting import figures
from socplan.reporting.figures import STATUS_STYLE


def counts():
    return pd.DataFrame(
        [
            {
                "Total": 3,
                "Not started": 0,
                "On track": 2,
                "At risk": 1,
                "Off track": 0,
                "Complete": 0,
                "Cancelled": 0,
            }
        ]
    )


def test_status_overall_names_every_status_with_a_pattern():
    fig = figures.status_overall(counts())
    assert [t.name for t in fig.data] == list(STATUS_STYLE)
    patterns = {t.name: t.marker.pattern.shape for t in fig.data}
    assert len(set(patterns.values())) == len(patterns)  # each status has its own pattern
    on_track = next(t for t in fig.data if t.name == "On track")
    assert list(on_track.x) == [2] and list(on_track.text) == ["2"]


def test_status_by_stacks_groups():
    table = pd.DataFrame(
        {"Total": [2, 1], "On track": [1, 1], "Complete": [1, 0]}, index=["Pursue", "Prevent"]
    )
    fig = figures.status_by(table, "Theme")
    assert fig.layout.barmode == "stack"
    assert [list(t.y) for t in fig.data] == [["Pursue", "Prevent"]] * 2
    assert fig.layout.yaxis.title.text == "Theme"


def _luminance(colour: str) -> float:
    rgb = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_count_labels_have_a_backing_and_small_segments_have_them_beside():
    """Counts on patterned segments are hard to read: each is a label on a near-opaque white
    backing, in text that meets WCAG contrast (4.5:1) on it; in columns, a segment too short for
    its label has the label beside the column, and labels there do not overlap."""
    table = pd.DataFrame(
        {
            "period": ["a", "b"],
            "Not started": [37, 1],
            "At risk": [1, 2],
            "Off track": [1, 1],
            "Complete": [4, 35],
        }
    )
    for fig in (
        figures.trend(table),
        figures.status_by(table.set_index("period"), "Theme"),
    ):
        assert all(t.textposition == "none" for t in fig.data)  # no text on the pattern itself
        labels = fig.layout.annotations
        assert sorted(int(a.text) for a in labels) == sorted(
            int(v) for v in table.drop(columns="period").to_numpy().ravel() if v
        )
        for label in labels:
            assert (
                label.bgcolor.startswith("rgba(255,255,255,")
                and float(label.bgcolor.rstrip(")").split(",")[-1]) >= 0.9
            )
            ratio = 1.05 / (_luminance(label.font.color) + 0.05)
            assert ratio >= 4.5
    column = figures.trend(table)
    beside = [a for a in column.layout.annotations if a.showarrow]
    assert {a.text for a in beside} >= {"1", "4"} and "37" not in {a.text for a in beside}
    first = sorted(a.ay for a in beside if a.x < 1)
    assert all(b - a > 1 for a, b in itertools.pairwise(first))  # stepped apart, not stacked
    assert column.layout.xaxis.range[1] > 1.5  # room for labels beside the last column


def test_column_labels_only_where_they_fit():
    """Twenty quarters of four-digit counts would overlap each other's labels: none are drawn.
    Twenty quarters of two-digit counts, or a few quarters of large ones, fit."""

    def periods(n: int, count: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "period": [f"Q{i}" for i in range(n)],
                "On track": [count] * n,
                "Complete": [count] * n,
            }
        )

    assert not figures.trend(periods(20, 6682)).layout.annotations
    assert len(figures.trend(periods(20, 12)).layout.annotations) == 40
    assert len(figures.trend(periods(4, 6682)).layout.annotations) == 8
    assert len(figures.trend(periods(12, 6682)).layout.annotations) == 24


def test_trend_and_burnup():
    trend = pd.DataFrame(
        {"period": ["2019/20 Q3", "2019/20 Q4"], "On track": [3, 1], "Complete": [0, 2]}
    )
    fig = figures.trend(trend)
    assert [t.name for t in fig.data] == ["On track", "Complete"] and list(fig.data[1].y) == [0, 2]
    burn = pd.DataFrame(
        {"period": ["a", "b"], "due_baseline": [1, 3], "due_forecast": [1, 2], "complete": [0, 2]}
    )
    fig = figures.burnup(burn)
    assert [t.name for t in fig.data] == ["Due (baseline)", "Due (forecast)", "Complete"]
    assert (
        len({t.marker.symbol for t in fig.data}) == 3 and len({t.line.dash for t in fig.data}) == 3
    )


def test_timeline_marks_as_at_and_forecasts():
    ms = milestones(
        milestone("R1.1", start=T("2019-10-01"), due=T("2020-03-31")),
        milestone(
            "R1.2", due=T("2019-12-31"), forecast=T("2020-06-30"), reason="late", status="At risk"
        ),
        milestone("R1.3", due=T("2019-11-30"), status="Complete", completed=T("2019-11-15")),
    )
    ms["baseline_due"] = ms["due"]
    ms = metrics.with_measures(ms, date(2020, 3, 31))
    fig = figures.timeline(ms, date(2020, 3, 31))
    names = [t.name for t in fig.data]
    assert names[:2] == ["Baseline (start to due)", "Forecast (revised due)"]
    assert {"On track", "At risk", "Complete"} <= set(names)
    assert list(fig.data[1].y) == ["R1.2"]
    assert fig.layout.shapes[0].x0 == "2020-03-31"
    assert names[-1] == "As at 31 Mar 2020" and fig.data[-1].line.dash == "dash"


def test_flow_links_statuses():
    flow = pd.DataFrame(
        {"from": ["On track", "At risk"], "to": ["Complete", "Off track"], "count": [3, 1]}
    )
    fig = figures.flow(flow, "2019/20 Q3", "2019/20 Q4")
    sankey = fig.data[0]
    assert (
        "On track (2019/20 Q3)" in sankey.node.label
        and "Complete (2019/20 Q4)" in sankey.node.label
    )
    assert list(sankey.link.value) == [3, 1]


def test_every_figure_passes_plotly_validation(demo_db):
    """The builders skip validation for speed; rebuilding with it on catches any bad property."""
    import plotly.graph_objects as go

    from socplan.model import DeliveryPlan
    from socplan.reporting.charts import build_chart, chart_names
    from socplan.reporting.render import for_print
    from socplan.store import Store

    plan = DeliveryPlan.from_store(Store(demo_db))
    for name, _ in chart_names(plan):
        fig = build_chart(plan, name).figure
        go.Figure(fig.to_dict())  # raises ValueError on any invalid property
        go.Figure(for_print(fig).to_dict())


def _bands(svg: bytes) -> dict[str, tuple[float, float]]:
    """The vertical extent (top, bottom, in px) of the title, the legend and the plot area of a
    figure rendered as SVG by plotly.js."""
    import re
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    by_class: dict[str, list[ET.Element]] = {}
    for element in root.iter():
        for name in element.get("class", "").split():
            by_class.setdefault(name, []).append(element)

    def translate(element: ET.Element) -> tuple[float, float]:
        x, y = re.search(
            r"translate\(([-\d.]+),\s*([-\d.]+)\)", element.get("transform", "")
        ).groups()
        return float(x), float(y)

    bands = {}
    for title in by_class.get("gtitle", []):
        size = float(re.search(r"font-size: ([\d.]+)px", title.get("style", "")).group(1))
        dy = float(title.get("dy", "0em").removesuffix("em"))
        baseline = float(title.get("y", "0")) + dy * size
        bands["title"] = (baseline - size, baseline + 0.3 * size)  # cap height to descender
    for legend in by_class.get("legend", []):
        top = translate(legend)[1]
        height = float(next(r for r in legend.iter() if r.get("class") == "bg").get("height"))
        bands["legend"] = (top, top + height)
    for plot in by_class.get("xy", []):
        if plot.get("clip-path"):
            clip = plot.get("clip-path").removeprefix("url(#").removesuffix(")")
            rect = next(c for c in root.iter() if c.get("id") == clip)[0]
            top = translate(plot)[1]
            bands["plot"] = (top, top + float(rect.get("height")))
    for i, note in enumerate(by_class.get("annotation-text-g", [])):
        box = next(r for r in note.iter() if r.get("class") == "bg")
        top = translate(next(iter(note)))[1]
        bands[f"annotation {i}"] = (top, top + float(box.get("height")))
    return bands


@pytest.mark.slow
def test_title_legend_and_plot_each_have_their_own_space(demo_db):
    """Every chart in the registry, at page widths (a half-width column and a full-width one)
    and at its export width: no two of title, legend, plot and annotations overlap."""
    from socplan.model import DeliveryPlan
    from socplan.reporting.charts import build_chart, chart_names
    from socplan.reporting.render import CM_PER_INCH, CSS_DPI, to_bytes
    from socplan.store import Store

    plan = DeliveryPlan.from_store(Store(demo_db))
    checked = 0
    for name, _ in chart_names(plan):
        fig = build_chart(plan, name).figure
        export_cm = 25.0 if name.startswith("timeline-") else 16.0
        for width_cm in (480 * CM_PER_INCH / CSS_DPI, 1140 * CM_PER_INCH / CSS_DPI, export_cm):
            bands = _bands(to_bytes(fig, "svg", width_cm=width_cm))
            assert "title" in bands, name
            if fig.layout.showlegend is not False and fig.data[0].type != "sankey":
                assert "legend" in bands, name
            # Title, legend and plot apart; labels (in the plot, or beside) clear of title and legend.
            pairs = [("title", "legend"), ("title", "plot"), ("legend", "plot")] + [
                (band, label)
                for label in bands
                if label.startswith("annotation")
                for band in ("title", "legend")
            ]
            for a, b in pairs:
                if a in bands and b in bands:
                    (a_top, a_bottom), (b_top, b_bottom) = bands[a], bands[b]
                    overlap = a_top < b_bottom and b_top < a_bottom
                    assert not overlap, f"{name} at {width_cm:.1f} cm: {a} overlaps {b}: {bands}"
            checked += 1
    assert checked >= 3 * 20


def test_a_quarter_with_no_status_moves_still_draws():
    """A quarter returned unchanged has no moves: Chromium refuses a Sankey with no links, so
    the chart says so in words instead (it used to fail the whole panel report)."""
    import pandas as pd

    from socplan.reporting.figures import flow
    from socplan.reporting.render import to_bytes

    fig = flow(pd.DataFrame(columns=["from", "to", "count"]), "2020/21 Q2", "2020/21 Q3")
    assert "No milestone changed status" in fig.layout.annotations[0].text
    assert to_bytes(fig, "png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_reserved_margins_are_what_plotly_would_push_to(demo_db, browser):
    """Each figure comes with the room for its category labels or numbers on the left, its
    numbers or period labels along the bottom and its legend's first row reserved (so plotly
    draws it once, not again after automargin), on the sample plan and at twenty quarters of
    large counts. In the dashboard's own plotly.js, at a phone's, a half-width column's and a
    full-width column's width, every chart ends with the margins it would have had with nothing
    reserved (to a pixel or two), and at full width what was reserved was enough (to a pixel)."""
    import copy

    from socplan.model import DeliveryPlan
    from socplan.reporting.charts import build_chart, chart_names
    from socplan.reporting.export_server import PLOTLY_JS
    from socplan.store import Store

    plan = DeliveryPlan.from_store(Store(demo_db))
    built = {name: build_chart(plan, name).figure.to_plotly_json() for name, _ in chart_names(plan)}
    # And a plan of five years' quarters and tens of thousands of milestones.
    quarters = [f"{2019 + i // 4}/{20 + i // 4} Q{i % 4 + 1}" for i in range(20)]
    big = pd.DataFrame({"period": quarters, "On track": [4321] * 20, "Complete": [6543] * 20})
    growth = [1234 * (i + 1) for i in range(20)]
    built["big trend"] = figures.trend(big).to_plotly_json()
    built["big burn-up"] = figures.burnup(
        pd.DataFrame(
            {"period": quarters, "due_baseline": growth, "due_forecast": growth, "complete": growth}
        )
    ).to_plotly_json()
    owners = big.set_axis([f"Owner {i}" for i in range(20)]).drop(columns="period")
    built["big by owner"] = figures.status_by(owners, "Owner").to_plotly_json()
    unreserved = {}
    for name, figure in built.items():
        unreserved[name] = copy.deepcopy(figure)
        unreserved[name]["layout"]["margin"] = {"l": 10, "r": 10, "t": 48, "b": 10}
    page = browser.new_page()
    try:
        page.set_content("<html><body><div id='charts'></div></body></html>")
        page.add_script_tag(path=str(PLOTLY_JS))
        draw = """async ([figures, width]) => {
            const out = {};
            for (const [name, f] of Object.entries(figures)) {
                const div = document.createElement('div');
                div.style.width = width + 'px';
                document.getElementById('charts').appendChild(div);
                await Plotly.newPlot(div, f.data, f.layout, {});
                const s = div._fullLayout._size;
                out[name] = {l: s.l, r: s.r, t: s.t, b: s.b};
                Plotly.purge(div);
                div.remove();
            }
            return out;
        }"""
        reserved_sides = 0
        for width in (360, 600, 1200):
            ours = page.evaluate(draw, [built, width])
            theirs = page.evaluate(draw, [unreserved, width])
            for name in built:
                for side in "lrtb":
                    assert abs(ours[name][side] - theirs[name][side]) <= 2, (
                        f"{name} at {width} px: margin {side} {ours[name][side]:.0f} px, "
                        f"plotly alone {theirs[name][side]:.0f} px"
                    )
                    preset = built[name]["layout"]["margin"][side]
                    if width == 1200 and preset > unreserved[name]["layout"]["margin"][side]:
                        reserved_sides += 1
                        # Plotly draws a figure again only for a margin more than a pixel off.
                        off = abs(ours[name][side] - preset)
                        assert off <= 1, (name, side, ours[name], preset)
        # Labels and legend of each of the 14 timelines; the bar charts' labels, numbers and
        # legends (the status chart has none); the trend's and the burn-up's numbers, periods
        # and legends; and the same for the big trend, burn-up and owners' chart.
        assert reserved_sides == 14 * 2 + 8 + 2 * 3 + 3 * 3
    finally:
        page.close()
