"""The public site's pages, laid out from what `site.build_site` worked out. Every value goes
through `site_html`, which escapes it; links are relative to the page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..config import Settings
from ..periods import Period
from ..schema import CLOSED_STATUSES
from .charts import Chart
from .site_html import (
    Child,
    Html,
    cell_text,
    data_table,
    day,
    join,
    plural,
    scroll_table,
    shape,
    status_label,
    tag,
)

NAV = (
    ("index.html", "Overview"),
    ("index.html#recommendations", "Recommendations"),
    ("status-definitions.html", "Status definitions"),
    ("data.html", "Open data"),
)
# No script at all; styles from the site's own stylesheet and the charts' style attributes.
CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'"
)


def _percent(value: object) -> str:
    text = cell_text(value)
    return f"{text}%" if text else "Not given"


@dataclass(frozen=True)
class SitePages:
    """The pages of one site; each method returns a page's bytes."""

    title: str
    organisation: str
    period: Period
    settings: Settings
    recommendations: pd.DataFrame
    milestones: pd.DataFrame
    names: dict[str, str]  # recommendation ref -> page file name
    left_out: str

    @property
    def as_at(self) -> str:
        return f"{day(self.period.end)} ({self.period})"

    # -- the frame every page shares -------------------------------------------------------
    def _page(self, name: str, heading: str, body: Child, current: str = "") -> bytes:
        root = "../" * name.count("/")
        links = [
            tag(
                "li",
                tag("a", label, href=root + href, aria_current="page" if href == current else None),
            )
            for href, label in NAV
        ]
        nav = tag(
            "nav", tag("div", tag("ul", links), class_="wrap"), class_="site-nav", aria_label="Site"
        )
        header = tag(
            "header",
            tag(
                "div",
                tag("p", self.organisation, class_="org"),
                tag("p", tag("a", self.title, href=root + "index.html"), class_="plan"),
                tag("p", f"Delivery progress as at {self.as_at}"),
                class_="wrap",
            ),
            class_="site-header",
        )
        footer = tag(
            "footer",
            tag(
                "div",
                tag("p", f"Published by {self.organisation}. Progress as at {self.as_at}."),
                tag("p", self.left_out),
                tag(
                    "p",
                    "Status is shown in words and shapes, never by colour alone; see the ",
                    tag("a", "status definitions", href=root + "status-definitions.html"),
                    ". The data behind these pages is ",
                    tag("a", "open data", href=root + "data.html"),
                    ".",
                ),
                class_="wrap",
            ),
            class_="site-footer",
        )
        head = join(
            [
                tag("meta", charset="utf-8"),
                tag("meta", name="viewport", content="width=device-width, initial-scale=1"),
                tag("meta", http_equiv="Content-Security-Policy", content=CSP),
                tag("meta", name="referrer", content="no-referrer"),
                tag("title", f"{heading} – {self.title} – {self.organisation}"),
                tag("link", rel="stylesheet", href=root + "site.css"),
            ]
        )
        page = tag(
            "html",
            tag("head", head),
            tag(
                "body",
                tag("a", "Skip to main content", href="#main", class_="skip-link"),
                header,
                nav,
                tag("main", tag("div", body, class_="wrap"), id="main", tabindex="-1"),
                footer,
            ),
            lang="en-GB",
        )
        return ("<!DOCTYPE html>\n" + page + "\n").encode("utf-8")

    # -- pieces ----------------------------------------------------------------------------
    def _counts(self, milestones: pd.DataFrame, label: str) -> Html:
        """The milestones by status as a list: number, shape and word for every status."""
        statuses = list(self.settings.statuses)
        statuses += sorted(set(milestones["status"]) - set(statuses))
        counts = milestones["status"].value_counts()
        items = [
            tag(
                "li",
                tag("span", str(len(milestones)), class_="n"),
                tag(
                    "span", "milestone in total" if len(milestones) == 1 else "milestones in total"
                ),
                class_="total",
            )
        ]
        for status in statuses:
            items.append(
                tag(
                    "li",
                    tag("span", str(int(counts.get(status, 0))), class_="n"),
                    shape(status),
                    tag("span", status),
                )
            )
        return tag("ul", items, class_="counts", aria_label=label)

    def _figure(self, number: int, chart: Chart, svg: Html, ident: str) -> Html:
        caption = f"Figure {number}: {chart.title}"
        return tag(
            "figure",
            svg,
            tag("figcaption", tag("strong", caption + "."), " ", chart.caption),
            tag(
                "details",
                tag("summary", f"Figure {number} as a table"),
                data_table(chart.data, f"{caption}: the data", f"{ident}-data"),
            ),
            id=ident,
        )

    def _status_summary(self, milestones: pd.DataFrame, *, inline: bool = False) -> Html:
        counts = milestones["status"].value_counts()
        statuses = [s for s in self.settings.statuses if counts.get(s, 0)]
        statuses += sorted(set(counts.index) - set(statuses))
        return tag(
            "ul",
            [tag("li", shape(s), f" {int(counts[s])} {s}") for s in statuses],
            class_="plain inline" if inline else "plain",
        )

    def _link(self, ref: str, root: str) -> Html:
        return tag("a", ref, href=root + self.names[ref])

    # -- pages -----------------------------------------------------------------------------
    def overview(self, charts: Sequence[tuple[Chart, Html]]) -> bytes:
        """The front page: headline counts, what was left out, key charts, recommendations."""
        ms = self.milestones
        open_ = ~ms["status"].isin(list(CLOSED_STATUSES))
        overdue = int(ms["overdue"].sum()) if len(ms) else 0
        slipped = int(((ms["slip_days"] > 0) & open_).sum()) if len(ms) else 0
        body: list[Child] = [
            tag("h1", f"Delivery progress as at {day(self.period.end)}"),
            tag(
                "p",
                f"How the {plural(len(self.recommendations), 'recommendation')} of the "
                f"{self.title} published here are being delivered, through "
                f"{plural(len(ms), 'milestone')}, as reported for {self.period} "
                f"({day(self.period.start)} to {day(self.period.end)}).",
                class_="lede",
            ),
            tag("p", self.left_out, class_="note"),
            tag("h2", "Milestones by status", id="summary"),
            self._counts(ms, f"Milestones by status as at {day(self.period.end)}"),
            tag(
                "p",
                f"{plural(overdue, 'open milestone is', 'open milestones are')} overdue (past the "
                f"date now expected) and {plural(slipped, 'open milestone is', 'open milestones are')}"
                " expected later than first agreed. What each status means: ",
                tag("a", "status definitions", href="status-definitions.html"),
                ".",
            ),
        ]
        if charts:
            body += [
                tag("h2", "Progress in charts", id="charts"),
                tag(
                    "div",
                    [
                        self._figure(i, chart, svg, f"figure-{i}")
                        for i, (chart, svg) in enumerate(charts, start=1)
                    ],
                    class_="figures",
                ),
            ]
        body += [tag("h2", "Recommendations", id="recommendations"), self._recommendation_table()]
        return self._page("index.html", f"Delivery progress, {self.period}", body, "index.html")

    def _recommendation_table(self) -> Html:
        if self.recommendations.empty:
            return tag("p", "No recommendation is published for this period.")
        columns = ("Ref", "Recommendation", "Theme", "Lead", "Milestones", "Status of milestones")
        head = tag("tr", [tag("th", c, scope="col") for c in columns])
        rows = []
        for rec in self.recommendations.itertuples(index=False):
            ref = str(rec.ref)
            mine = self.milestones[self.milestones["recommendation"] == ref]
            rows.append(
                tag(
                    "tr",
                    tag("th", self._link(ref, ""), scope="row"),
                    tag("td", str(rec.text), class_="text", data_label="Recommendation"),
                    tag("td", str(rec.theme), data_label="Theme"),
                    tag("td", str(rec.lead), data_label="Lead"),
                    tag("td", str(len(mine)), class_="num", data_label="Milestones"),
                    tag("td", self._status_summary(mine), data_label="Status"),
                )
            )
        caption = f"Published recommendations as at {day(self.period.end)}"
        return scroll_table(caption, "recommendations-table", head, rows, class_="cards")

    def recommendation(self, ref: str, timeline: tuple[Chart, Html] | None) -> bytes:
        """A recommendation's page: what it is, its milestones, their timeline."""
        name = self.names[ref]
        rec = self.recommendations.set_index("ref").loc[ref]
        mine = self.milestones[self.milestones["recommendation"] == ref]
        refs = list(self.names)
        at = refs.index(ref)
        facts = [
            ("Theme", rec["theme"]),
            ("Lead organisation", rec["lead"]),
            ("Partners", rec["partners"] or "None named"),
            ("Milestones published", str(len(mine))),
        ]
        body: list[Child] = [
            tag("p", tag("a", "All recommendations", href="../index.html#recommendations")),
            tag("h1", f"Recommendation {ref}"),
            tag("p", str(rec["text"]), class_="lede text"),
            tag("dl", [(tag("dt", k), tag("dd", str(v))) for k, v in facts], class_="facts"),
            tag("h2", "Milestones"),
        ]
        if mine.empty:
            body.append(tag("p", "No milestone of this recommendation is published."))
        else:
            body += [
                tag("p", f"{plural(len(mine), 'milestone')} by status:"),
                self._status_summary(mine, inline=True),
                self._milestone_table(ref, mine),
            ]
        if timeline is not None:
            body += [tag("h2", "Timeline"), self._figure(1, *timeline, "timeline")]
        pager = []
        if at > 0:
            pager.append(
                tag("a", f"Previous: {refs[at - 1]}", href="../" + self.names[refs[at - 1]])
            )
        if at + 1 < len(refs):
            pager.append(tag("a", f"Next: {refs[at + 1]}", href="../" + self.names[refs[at + 1]]))
        if pager:
            body.append(tag("nav", pager, class_="pager", aria_label="Recommendations"))
        return self._page(name, f"Recommendation {ref}", body)

    def _milestone_table(self, ref: str, mine: pd.DataFrame) -> Html:
        columns = ("Ref", "Milestone", "Owner", "Due", "Forecast", "Status", "Progress", "Update")
        head = tag("tr", [tag("th", c, scope="col") for c in columns])
        rows = []
        for m in mine.to_dict("records"):
            forecast: list[Child] = ["No change"]
            if pd.notna(m["forecast"]) and m["forecast"] != m["due"]:
                forecast = [tag("span", day(m["forecast"], short=True), class_="date")]
                if m["reason"]:
                    forecast += [tag("br"), tag("span", f"Reason: {m['reason']}", class_="muted")]
            status: list[Child] = [status_label(str(m["status"]))]
            if pd.notna(m["completed"]):
                status += [tag("br"), f"Completed {day(m['completed'], short=True)}"]
            if m["overdue"]:
                status += [tag("br"), tag("span", "Overdue", class_="flag")]
            if not m["updated"]:
                status += [tag("br"), tag("span", "No update received this quarter", class_="flag")]
            rows.append(
                tag(
                    "tr",
                    tag("th", str(m["ref"]), scope="row"),
                    tag("td", str(m["milestone"]), class_="text", data_label="Milestone"),
                    tag("td", str(m["owner"]), data_label="Owner"),
                    tag("td", day(m["due"], short=True) or "None", class_="date", data_label="Due"),
                    tag("td", forecast, data_label="Forecast"),
                    tag("td", status, data_label="Status"),
                    tag("td", _percent(m["progress"]), class_="num", data_label="Progress"),
                    tag("td", str(m["update"]) or "None", class_="text", data_label="Update"),
                )
            )
        caption = f"Milestones of recommendation {ref} as at {day(self.period.end)}"
        return scroll_table(caption, "milestones-table", head, rows, class_="cards")

    def definitions(self) -> bytes:
        """The status definitions in force, and the other words the pages use."""
        head = tag("tr", tag("th", "Status", scope="col"), tag("th", "Definition", scope="col"))
        rows = [
            tag("tr", tag("th", status_label(s), scope="row"), tag("td", text))
            for s, text in self.settings.rag_definitions.items()
        ]
        terms = (
            ("As at", f"Dates are judged as at the end of the reporting period: {self.as_at}."),
            ("Due", "The date agreed for the milestone."),
            ("Forecast", "A revised date the owner now expects, with the reason for the change."),
            ("Overdue", "Not complete or cancelled, and past the date now expected."),
            (
                "No update received",
                "The owner sent no update this quarter; the milestone is shown as last reported.",
            ),
            ("Not published", "Items the plan marks as not for publication are left out."),
        )
        body = [
            tag("h1", "Status definitions"),
            tag(
                "p",
                "Each milestone's owner reports its status every quarter against these "
                "definitions. Each status has its own shape in the tables and charts.",
            ),
            scroll_table("Status definitions in force", "definitions-table", head, rows),
            tag("h2", "Other terms"),
            tag("dl", [(tag("dt", t), tag("dd", d)) for t, d in terms], class_="facts"),
        ]
        return self._page(
            "status-definitions.html", "Status definitions", body, "status-definitions.html"
        )

    def data(self, tables: Sequence[tuple[str, str, int, list[tuple[str, object]]]]) -> bytes:
        """The open data: each CSV (name, description, rows, columns with their CSVW
        datatypes), a link to it and to its CSVW metadata."""
        body: list[Child] = [
            tag("h1", "Open data"),
            tag(
                "p",
                "The published data behind these pages, as CSV (UTF-8, one header row, dates as "
                "YYYY-MM-DD) with metadata in the W3C CSV on the Web (CSVW) form. Text a "
                "spreadsheet could run as a formula starts with an apostrophe.",
            ),
        ]
        for i, (name, description, rows, columns) in enumerate(tables, start=1):
            file = name.rpartition("/")[2]
            head = tag("tr", tag("th", "Column", scope="col"), tag("th", "Holds", scope="col"))
            lines = [
                tag("tr", tag("th", title, scope="row"), tag("td", _datatype(kind)))
                for title, kind in columns
            ]
            body += [
                tag("h2", file),
                tag("p", description),
                tag(
                    "ul",
                    tag("li", tag("a", f"{file} (CSV, {plural(rows, 'row')})", href=name)),
                    tag(
                        "li",
                        tag(
                            "a",
                            f"{file}-metadata.json (CSVW metadata)",
                            href=f"{name}-metadata.json",
                        ),
                    ),
                ),
                scroll_table(f"Columns of {file}", f"columns-{i}", head, lines, class_="narrow"),
            ]
        return self._page("data.html", "Open data", body, "data.html")


DATATYPES = {
    "string": "Text",
    "date": "A date, YYYY-MM-DD",
    "number": "A number",
    "integer": "A whole number",
}


def _datatype(kind: object) -> str:
    """A CSVW datatype in words."""
    if isinstance(kind, dict):
        return " or ".join(str(kind.get("format", "")).split("|")) or "Text"
    return DATATYPES.get(str(kind), str(kind))
