"""The panel progress report as a list of blocks, in the shape of a panel paper: panel and date,
title, numbered paragraphs, a recommendation to the panel, supporting information, contacts.
Renderers turn the blocks into Word (`report_docx`) or PDF (`report_pdf`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from ..config import Settings
from ..metrics import labelled
from ..model import DeliveryPlan
from ..periods import Period
from ..schema import CLOSED_STATUSES, OFF_TRACK
from .charts import Chart, build_chart, changes_chart, draft_note, timeline_chart
from .formats import file_size
from .table_layout import readable_width_cm

if TYPE_CHECKING:
    from ..evidence_store import EvidenceFile


@dataclass(frozen=True)
class Page:
    """An A4 page of the report and its margins, in centimetres (Word and PDF alike)."""

    width: float
    height: float
    margin_y: float  # top and bottom
    margin_x: float  # left and right

    @property
    def text_width(self) -> float:
        return self.width - 2 * self.margin_x


PORTRAIT = Page(21.0, 29.7, 2.0, 2.5)
LANDSCAPE = Page(29.7, 21.0, 1.5, 1.8)  # narrower margins: a timeline and its table on one page


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Para:
    """A paragraph; numbered ones are the paper's numbered paragraphs."""

    text: str
    numbered: bool = True


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table; a numbered one is captioned "Table N: title", an unnumbered one by its title."""

    title: str
    frame: pd.DataFrame
    number: int | None = None

    @property
    def caption(self) -> str:
        """The caption above the table."""
        return self.title if self.number is None else f"Table {self.number}: {self.title}"


@dataclass(frozen=True)
class Figure:
    """A chart with its figure number; `width_cm` is its width on the page."""

    number: int
    chart: Chart
    width_cm: float = 16.0


@dataclass(frozen=True)
class Landscape:
    """Start a landscape section (True) or return to portrait (False)."""

    on: bool


Block = Heading | Para | Bullets | Table | Figure | Landscape


@dataclass
class Report:
    """The report's front matter and blocks. Figures and numbered tables are numbered here, in
    the order they are added, so a table left out leaves no gap; text that refers to the next
    figure or table reads its number from `next_figure` or `next_table` before adding it."""

    panel_line: str
    title: str
    draft: str = ""  # when not empty, printed on every page: what is not signed off
    blocks: list[Block] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def add(self, block: Block) -> None:
        self.blocks.append(block)
        if isinstance(block, Figure):
            self.figures.append(block)
        elif isinstance(block, Table) and block.number is not None:
            self.tables.append(block)

    @property
    def next_figure(self) -> int:
        """The number the next figure added will get."""
        return len(self.figures) + 1

    @property
    def next_table(self) -> int:
        """The number the next numbered table added will get."""
        return len(self.tables) + 1

    def add_figure(self, chart: Chart, width_cm: float = 16.0) -> Figure:
        """Add a chart as the next figure."""
        block = Figure(self.next_figure, chart, width_cm)
        self.add(block)
        return block

    def add_table(self, title: str, frame: pd.DataFrame) -> Table:
        """Add the next numbered table; one that needs more than a portrait page's width to read
        well goes on a landscape page of its own."""
        block = Table(title, frame, self.next_table)
        wide = readable_width_cm(frame) > PORTRAIT.text_width
        if wide:
            self.add(Landscape(True))
        self.add(block)
        if wide:
            self.add(Landscape(False))
        return block


def _dmy(day: date | pd.Timestamp) -> str:
    return f"{day:%-d %B %Y}"


def _exceptions(plan: DeliveryPlan, period: Period) -> pd.DataFrame:
    rows = []
    for _, r in plan.off_track(period).iterrows():
        rows.append(
            ("Off track", r["ref"], r["milestone"], r["owner"], r["effective_due"], r["update"])
        )
    for _, r in plan.overdue(period).iterrows():
        if r["status"] != OFF_TRACK:
            rows.append(
                ("Overdue", r["ref"], r["milestone"], r["owner"], r["effective_due"], r["update"])
            )
    slipped = plan.slipped(period)
    for _, r in slipped[~slipped["status"].isin(list(CLOSED_STATUSES))].iterrows():
        if r["status"] != OFF_TRACK and not r["overdue"]:
            rows.append(
                (
                    "Slipped",
                    r["ref"],
                    r["milestone"],
                    r["owner"],
                    r["effective_due"],
                    f"{r['reason']} (agreed {_dmy(r['baseline_due'])}). {r['update']}".strip(),
                )
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "Exception",
            "Ref",
            "Milestone",
            "Owner",
            "Due or expected",
            "Reason, corrective action and latest update",
        ],
    )
    frame["Due or expected"] = frame["Due or expected"].map(
        lambda d: _dmy(d) if pd.notna(d) else ""
    )
    return frame


def build_report(
    plan: DeliveryPlan,
    settings: Settings,
    period: Period | None = None,
    *,
    public: bool = False,
    meeting_date: str | None = None,
    evidence: Sequence[EvidenceFile] = (),
) -> Report:
    """The panel progress report as at `period` (default: the newest); `evidence` (files the
    panel may see) is listed by name in an appendix, for the milestones and periods shown."""
    full = plan
    if public:
        plan = plan.filtered(public_only=True)
    target = full.resolve(period)
    ms = plan.milestones(target)
    recs = plan.recommendations_at(target)
    counts = plan.status_counts(target).iloc[0]
    meeting = meeting_date or settings.meeting_date or "[meeting date]"
    report = Report(
        panel_line=f"{settings.panel} {meeting}".upper(),
        title=f"{settings.strategy}: delivery plan progress report, {target}",
    )
    drafts = full.draft_periods(target)
    if drafts:
        report.draft = f"DRAFT: {draft_note(drafts)} for the panel"
    report.add(Heading("Recommendation"))
    report.add(
        Para(
            f"Members of the Panel are invited to note the progress made in delivering the "
            f"{settings.strategy} delivery plan as at {_dmy(target.end)}, and to consider the "
            f"exceptions (milestones off track, overdue or slipped) set out in this report."
        )
    )
    report.add(Heading("Background"))
    report.add(
        Para(
            f"The delivery plan sets out how the {len(recs)} recommendations of the {settings.strategy} "
            f"will be delivered, through {len(ms)} milestones, each with an owner and a due date agreed "
            f"when the milestone was set. Owners report progress each quarter."
        )
    )
    report.add(
        Para(
            f"This report covers {target} ({_dmy(target.start)} to {_dmy(target.end)}). Dates are "
            f"judged as at the end of the quarter."
        )
    )
    if public:
        hidden_recs = len(full.recommendations_at(target)) - len(recs)
        hidden_ms = len(full.milestones(target)) - len(ms)
        report.add(
            Para(
                f"This version is for publication: {hidden_recs} recommendations and {hidden_ms} "
                f"milestones that are not for publication have been left out, and every figure and "
                f"table excludes them."
            )
        )
    report.add(Heading("Summary of progress"))
    statuses = [s for s in counts.index if s != "Total" and int(counts[s])]
    first = report.next_figure
    report.add(
        Para(
            f"As at {_dmy(target.end)}, of {int(counts['Total'])} milestones "
            + ", ".join(
                f"{int(counts[s])} {'is' if int(counts[s]) == 1 else 'are'} {s.lower()}"
                for s in statuses
            )
            + f". Figure {first} shows the milestones by status and Figure {first + 1} by theme."
        )
    )
    report.add_figure(build_chart(plan, "status", target))
    report.add_figure(build_chart(plan, "by-theme", target))
    first = report.next_figure
    report.add(
        Para(
            f"Figure {first} shows how the status mix has changed quarter by quarter, and Figure "
            f"{first + 1} the milestones due, by the dates first agreed and as now forecast, "
            "against those complete."
        )
    )
    report.add_figure(build_chart(plan, "trend", target))
    report.add_figure(build_chart(plan, "burnup", target))
    by_theme = (
        plan.status_counts(target, by="theme").reset_index().rename(columns={"theme": "Theme"})
    )
    report.add_table("milestones by theme and status", by_theme)

    report.add(Heading("Exceptions"))
    exceptions = _exceptions(plan, target)
    kinds = exceptions["Exception"].value_counts()
    report.add(
        Para(
            f"Off track: {int(kinds.get('Off track', 0))}. Overdue (open past the date now "
            f"expected): {int(kinds.get('Overdue', 0))}. Slipped (open and expected later than first "
            f"agreed): {int(kinds.get('Slipped', 0))}. Table {report.next_table} lists each with its "
            f"owner, reason and corrective action."
            if len(exceptions)
            else "No milestone is off track, overdue or slipped."
        )
    )
    if len(exceptions):
        report.add_table("exceptions", exceptions)

    previous = [p for p in full.periods if p < target]
    report.add(Heading(f"Changes since {previous[-1]}" if previous else "Changes"))
    if previous:
        since = previous[-1]
        changed = plan.changes(since, target)
        report.add(
            Para(
                f"Since {since}, {len(changed['moves'])} milestones changed status, "
                f"{len(changed['new'])} were added, {len(changed['cancelled'])} were cancelled and "
                f"{len(changed['dates'])} had their expected date changed. Figure {report.next_figure} "
                f"shows the status moves."
            )
        )
        report.add_figure(changes_chart(plan, target, since))
        shown = labelled(changed)
        if len(changed["dates"]):
            dates = shown["dates"].assign(
                **{c: shown["dates"][c].map(_dmy) for c in ("Was expected", "Now expected")}
            )
            report.add_table("date changes this quarter", dates)
        if len(changed["cancelled"]):
            report.add_table("milestones cancelled this quarter", shown["cancelled"])
    else:
        report.add(
            Para(f"{target} is the first reporting period, so there are no changes to report.")
        )

    report.add(Heading("Updates not received"))
    missing = plan.missing_updates(target)
    late = missing[missing["missing"] > 0]
    if len(late):
        report.add(
            Para(
                f"{len(late)} owners did not send an update for some of their open milestones this "
                f"quarter; those milestones are shown as last reported."
            )
        )
        report.add_table(
            "owners with missing updates",
            late.rename(
                columns={
                    "owner": "Owner",
                    "open": "Open milestones",
                    "missing": "No update",
                    "refs": "Milestones",
                }
            ),
        )
    else:
        report.add(Para(f"Every owner sent an update for {target}."))

    report.add(Heading("Status definitions"))
    report.add(
        Para(
            "Status is reported against these definitions (RAG: red, amber, green; "
            "blue for complete):"
        )
    )
    report.add_table(
        "status definitions in force",
        pd.DataFrame(list(settings.rag_definitions.items()), columns=["Status", "Definition"]),
    )
    report.add(Heading("Next steps"))
    report.add(
        Para(
            f"Owners will be sent the pre-filled template for {target.next()}, to return after the "
            f"quarter ends on {_dmy(target.next().end)}. The next report will come to the Panel after that."
        )
    )
    shown_refs = set(ms["ref"].astype(str))
    files = [e for e in evidence if e.milestone in shown_refs and e.period <= target]
    report.add(Heading("Supporting information"))
    report.add(
        Para(
            "Appendix A: milestone timelines, one page for each recommendation, in the landscape pages "
            "that follow.",
            numbered=False,
        )
    )
    if files:
        report.add(
            Para(
                f"Appendix B: the {len(files)} evidence files held for these milestones, by name; "
                "ask the policy team for a copy.",
                numbered=False,
            )
        )
    report.add(Heading("Contact points"))
    report.add(Bullets(tuple(settings.contacts)))

    report.add(Landscape(True))
    report.add(Heading("Appendix A: milestone timelines"))
    for ref in recs["ref"]:
        if (ms["recommendation"] == ref).any():
            text = str(recs.set_index("ref").at[ref, "text"])
            report.add(Heading(f"{ref}: {text}", level=2))
            item = timeline_chart(plan, target, ref)
            report.add_figure(item, width_cm=25.0)
            data = item.data.copy()
            for column in ("Start", "Agreed due", "Now expected", "Completed"):
                data[column] = data[column].map(lambda d: _dmy(d) if pd.notna(d) else "")
            report.add(
                Table(f"Milestones of {ref}", data)
            )  # unnumbered, on its recommendation's page
    report.add(Landscape(False))
    if files:
        report.add(Heading("Appendix B: evidence files"))
        report.add(
            Table(
                f"Evidence files of the {settings.strategy} delivery plan",
                pd.DataFrame(
                    [
                        (e.milestone, e.name, file_size(e.size), str(e.period), _dmy(e.added_at))
                        for e in files
                    ],
                    columns=["Milestone", "File", "Size", "Period", "Added"],
                ),
            )
        )
    return report
