"""The public site: a static copy of one period of the plan, for an organisation's website.

Public items only, an overview with the headline counts and key charts (inline SVG with their
data as tables), a page per recommendation, the status definitions in force, and the data as
CSV with CSV on the Web (W3C CSVW) metadata. No script, nothing fetched from elsewhere, relative
links only (it reads the same from a web server or straight from the folder), and the same
plan gives the same bytes, so a site can be kept in version control.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from ..config import Settings
from ..model import DeliveryPlan
from ..periods import Period
from ..schema import REC_COLUMNS
from .charts import Chart, UnknownChart, build_chart, timeline_chart
from .export import csv_bytes, csvw_metadata, export_frame
from .site_folder import MARKER, SiteError, write_folder
from .site_html import Html, day, plural
from .site_pages import SitePages
from .site_svg import clean_svg

__all__ = ["MARKER", "PublicSite", "SiteError", "WrittenSite", "build_site", "write_site"]

OVERVIEW_CHARTS = ("status", "by-theme", "trend", "burnup")
# Columns the public data leaves out: every row is public, and evidence names internal papers.
PRIVATE_COLUMNS = ("Public", "Evidence")


@dataclass(frozen=True)
class PublicSite:
    """A site ready to write: its files (relative name to bytes) and what it holds."""

    period: Period
    files: dict[str, bytes]
    recommendations: int
    milestones: int
    left_out_recommendations: int
    left_out_milestones: int

    @property
    def left_out(self) -> str:
        """What was not published, as a sentence."""
        if not self.left_out_recommendations and not self.left_out_milestones:
            return "Every recommendation and milestone in the plan is published."
        verb = "is" if self.left_out_recommendations + self.left_out_milestones == 1 else "are"
        return (
            f"{plural(self.left_out_recommendations, 'recommendation')} and "
            f"{plural(self.left_out_milestones, 'milestone')} {verb} not published."
        )


@dataclass(frozen=True)
class WrittenSite:
    """What `write_site` did: the folder, the files written (relative names, the marker
    last), the files of an earlier site removed, and what the site holds."""

    folder: Path
    files: tuple[str, ...]
    removed: tuple[str, ...]
    site: PublicSite


def published_plan(plan: DeliveryPlan, period: Period) -> DeliveryPlan:
    """The plan as the public may see it at `period`: public items only, and only those public
    at `period` (an item since made private leaves no trace, not even in earlier quarters'
    counts), and nothing from later periods."""
    public = plan.filtered(public_only=True)
    if public.snapshots.empty:
        return public
    recs = set(public.recommendations_at(period)["ref"])
    ms = set(public.milestones(period)["ref"])
    r = public.recommendations
    s = public.snapshots
    return DeliveryPlan(
        r[r["ref"].isin(recs) & (r["period_index"] <= period.index)].reset_index(drop=True),
        s[s["ref"].isin(ms) & (s["period_index"] <= period.index)].reset_index(drop=True),
    )


_SAFE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


def page_names(refs: list[str]) -> dict[str, str]:
    """A file name per recommendation: its ref when that is a plain word, else a slug of it
    with a short hash, so any ref (`../x`, `<b>`, `R1` beside `r1`) has its own safe name."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for ref in refs:
        stem = ref
        if not _SAFE_REF.match(ref) or ref.lower() in taken:
            slug = re.sub(r"[^A-Za-z0-9]+", "-", ref).strip("-")[:32] or "recommendation"
            stem = f"{slug}-{hashlib.sha256(ref.encode()).hexdigest()[:8]}"
        taken.add(stem.lower())
        names[ref] = f"recommendations/{stem}.html"
    return names


SvgRenderer = Callable[[go.Figure, float], bytes]


def _kaleido(settings: Settings) -> SvgRenderer:
    from .render import to_bytes

    def render(figure: go.Figure, width_cm: float) -> bytes:
        return to_bytes(figure, "svg", width_cm=width_cm, settings=settings)

    return render


def _stylesheet(settings: Settings) -> bytes:
    """The stylesheet with the brand colour (the default when the setting's colour is not a
    plain hex colour or white text on it would be hard to read)."""
    colour = settings.primary_colour.strip()
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour) or _contrast_with_white(colour) < 4.5:
        colour = Settings.primary_colour
    css = resources.files(__package__).joinpath("site.css").read_text(encoding="utf-8")
    return f":root {{ --brand: {colour}; }}\n{css}".encode()


def _contrast_with_white(colour: str) -> float:
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def _milestones_data(milestones: pd.DataFrame) -> pd.DataFrame:
    frame = export_frame(milestones)
    return frame.drop(columns=[c for c in PRIVATE_COLUMNS if c in frame.columns])


def _recommendations_data(recs: pd.DataFrame) -> pd.DataFrame:
    keys = [c.key for c in REC_COLUMNS if c.heading not in PRIVATE_COLUMNS]
    return recs[keys].rename(columns={c.key: c.heading for c in REC_COLUMNS})


def _csvw(
    frame: pd.DataFrame, name: str, title: str, publisher: str, note: str, as_at: Period
) -> dict[str, object]:
    """The CSVW metadata of a CSV; modified as at the period end, not today (the same bytes)."""
    document = csvw_metadata(frame, name, title=title, publisher=publisher, description=note)
    document["dc:modified"] = as_at.end.isoformat()
    return document


def build_site(
    plan: DeliveryPlan,
    period: Period | str | None,
    settings: Settings,
    *,
    title: str | None = None,
    organisation: str | None = None,
    render: SvgRenderer | None = None,
) -> PublicSite:
    """The public site of `plan` as at `period` (default: the newest period with data), titled
    with the plan's `title` and `organisation` (default: the strategy and organisation settings)."""
    target = plan.resolve(period)
    if target not in plan.periods:
        known = ", ".join(str(p) for p in plan.periods) or "none"
        raise SiteError(f"there is no data for {target}; periods with data: {known}")
    title = title or settings.strategy
    organisation = organisation or settings.organisation
    render = render or _kaleido(settings)
    public = published_plan(plan, target)
    recs = public.recommendations_at(target)
    ms = public.milestones(target)
    all_recs = plan.recommendations_at(target)
    all_ms = plan.milestones(target)
    names = page_names([str(r) for r in recs["ref"]])

    def drawn(chart: Chart, prefix: str, width_cm: float) -> Html:
        return clean_svg(render(chart.figure, width_cm), prefix=prefix, label=chart.title)

    overview_charts: list[tuple[Chart, Html]] = []
    if len(ms):
        for i, name in enumerate(OVERVIEW_CHARTS, start=1):
            chart = build_chart(public, name, target)
            overview_charts.append((chart, drawn(chart, f"c{i}-", 16.0)))
    timelines: dict[str, tuple[Chart, Html]] = {}
    for ref in names:
        try:
            chart = timeline_chart(public, target, ref)
        except UnknownChart:  # a recommendation with no published milestones
            continue
        timelines[ref] = (chart, drawn(chart, "t1-", 25.0))

    files: dict[str, bytes] = {"site.css": _stylesheet(settings)}
    site = PublicSite(
        period=target,
        files=files,
        recommendations=len(recs),
        milestones=len(ms),
        left_out_recommendations=len(all_recs) - len(recs),
        left_out_milestones=len(all_ms) - len(ms),
    )
    pages = SitePages(
        title=title,
        organisation=organisation,
        period=target,
        settings=settings,
        recommendations=recs,
        milestones=ms,
        names=names,
        left_out=site.left_out,
    )
    files["index.html"] = pages.overview(overview_charts)
    for ref, name in names.items():
        files[name] = pages.recommendation(ref, timelines.get(ref))
    files["status-definitions.html"] = pages.definitions()

    heading = f"{title}: delivery plan as at {day(target.end)} ({target})"
    note = f"Published by {organisation}. {site.left_out}"
    tables = {
        "data/milestones.csv": (
            _milestones_data(ms),
            f"{heading}: milestones",
            "One row per published milestone as at the period end. " + note,
        ),
        "data/recommendations.csv": (
            _recommendations_data(recs),
            f"{heading}: recommendations",
            "One row per published recommendation. " + note,
        ),
    }
    described = []
    for name, (frame, table_title, description) in tables.items():
        files[name] = csv_bytes(frame)
        base = name.rpartition("/")[2]
        document = _csvw(frame, base, table_title, organisation, description, target)
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        files[f"{name}-metadata.json"] = text.encode("utf-8")
        schema = document["tableSchema"]
        assert isinstance(schema, dict)
        columns = [(str(c["titles"]), c["datatype"]) for c in schema["columns"]]
        described.append((name, f"{table_title}. {description}", len(frame), columns))
    files["data.html"] = pages.data(described)
    return site


def write_site(
    plan: DeliveryPlan,
    period: Period | str | None,
    settings: Settings,
    out_dir: Path | str,
    *,
    title: str | None = None,
    organisation: str | None = None,
) -> WrittenSite:
    """Write the public site of `plan` as at `period` (default: the newest period with data)
    into `out_dir`: a new or empty folder, or one an earlier `write_site` wrote (its files are
    replaced, and its pages the new site lacks removed). Raises SiteError for any other folder
    or a period with no data."""
    from .site_folder import check_folder

    folder = Path(out_dir)
    check_folder(folder)  # before the charts are drawn: refuse at once
    site = build_site(plan, period, settings, title=title, organisation=organisation)
    written, removed = write_folder(folder, site.files)
    return WrittenSite(folder, tuple(written), tuple(removed), site)
