"""The workbook contract (v1): sheet names, columns, synonyms, statuses and themes, defined once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where a frame is built, not with the contract
    import pandas as pd

RECOMMENDATIONS = "Recommendations"
MILESTONES = "Milestones"
ABOUT = "About"
INSTRUCTIONS = "Instructions"
LISTS = "Lists"

SHEET_SYNONYMS: dict[str, tuple[str, ...]] = {
    RECOMMENDATIONS: ("recommendations", "recommendation", "recs"),
    MILESTONES: (
        "milestones",
        "milestone",
        "actions",
        "action plan",
        "delivery plan",
        "actions plan",
    ),
    ABOUT: ("about",),
}


class Kind(StrEnum):
    """What a column holds: how the reader reads it, the store keeps it and the writers write it."""

    TEXT = "text"  # free text, trimmed
    REF = "ref"  # an identifier: line breaks and control characters collapsed (a warning)
    DATE = "date"  # a date (day first in text); TBC-like words mean none
    PERCENT = "percent"  # a percentage from 0 to 100 (50, 50% or 0.5)
    FLAG = "flag"  # Yes or No; blank means Yes
    STATUS = "status"  # a status word or letter, with an optional RAG column beside it


# A blank cell of each kind, as the frames hold it (None: a missing date or number).
BLANKS: dict[Kind, object] = {
    Kind.TEXT: "",
    Kind.REF: "",
    Kind.DATE: None,
    Kind.PERCENT: None,
    Kind.FLAG: True,
    Kind.STATUS: "",
}


@dataclass(frozen=True)
class Column:
    """One column of a contract sheet, declared once for the reader, the store, the template,
    the exports and the data builders.

    `label` is how a problem names a value; a required text or ref column with a label must not
    be empty ("the {label} is empty; fill it in"). `size` is the longest text the store keeps
    (None: any length). `export` is the heading exports use when it is not `name`.
    """

    name: str
    key: str
    kind: Kind
    required: bool = False
    synonyms: tuple[str, ...] = ()
    width: int = 14
    size: int | None = None
    label: str = ""
    export: str | None = None

    @property
    def heading(self) -> str:
        """The column's heading in exports."""
        return self.export or self.name

    @property
    def blank(self) -> object:
        """An empty cell of this column, as the frames hold it."""
        return BLANKS[self.kind]


REC_COLUMNS: tuple[Column, ...] = (
    Column(
        "Ref",
        "ref",
        Kind.REF,
        required=True,
        synonyms=("reference", "rec ref", "recommendation ref", "no", "number", "id"),
        width=8,
        size=64,
        label="recommendation ref",
    ),
    Column(
        "Recommendation",
        "text",
        Kind.TEXT,
        required=True,
        synonyms=("recommendation text", "description", "title"),
        width=60,
        label="recommendation text",
    ),
    # No label: an empty theme is told to use one of the themes.
    Column(
        "Theme",
        "theme",
        Kind.TEXT,
        required=True,
        synonyms=("pillar", "strand", "4p", "priority"),
        width=12,
        size=64,
    ),
    Column(
        "Lead",
        "lead",
        Kind.TEXT,
        required=True,
        synonyms=("lead organisation", "lead agency", "lead partner"),
        width=28,
        size=255,
        label="lead organisation",
    ),
    Column(
        "Partners",
        "partners",
        Kind.TEXT,
        synonyms=("partner", "supporting partners", "partner agencies"),
        width=40,
    ),
    Column(
        "Public", "public", Kind.FLAG, synonyms=("publish", "publishable", "published"), width=9
    ),
)

MS_COLUMNS: tuple[Column, ...] = (
    Column(
        "Ref",
        "ref",
        Kind.REF,
        required=True,
        synonyms=("milestone ref", "action ref", "reference", "id", "no"),
        width=9,
        size=64,
        label="milestone ref",
    ),
    # No label: an empty or unknown recommendation is told to use a Recommendations Ref.
    Column(
        "Recommendation",
        "recommendation",
        Kind.REF,
        required=True,
        synonyms=("rec", "rec ref", "recommendation ref", "recommendation no"),
        width=9,
        size=64,
    ),
    Column(
        "Milestone",
        "milestone",
        Kind.TEXT,
        required=True,
        synonyms=("action", "milestone description", "description", "task"),
        width=50,
        label="milestone description",
    ),
    Column(
        "Owner",
        "owner",
        Kind.TEXT,
        required=True,
        synonyms=(
            "lead agency",
            "lead",
            "responsible",
            "responsible organisation",
            "owner organisation",
        ),
        width=28,
        size=255,
        label="owner",
    ),
    Column("Start", "start", Kind.DATE, synonyms=("start date",), width=12),
    Column(
        "Due",
        "due",
        Kind.DATE,
        required=True,
        synonyms=("deadline", "target date", "due date", "baseline", "baseline due"),
        width=12,
    ),
    Column(
        "Forecast",
        "forecast",
        Kind.DATE,
        synonyms=("revised due", "revised date", "forecast date", "revised deadline"),
        width=12,
    ),
    Column(
        "Reason",
        "reason",
        Kind.TEXT,
        synonyms=("reason for change", "reason for delay", "slippage reason"),
        width=30,
    ),
    Column(
        "Status",
        "status",
        Kind.STATUS,
        required=True,
        synonyms=("rag", "brag", "rag status", "brag status", "progress status"),
        width=12,
        size=32,
    ),
    Column(
        "Progress",
        "progress",
        Kind.PERCENT,
        synonyms=("% complete", "percent complete", "% progress", "progress %"),
        width=10,
    ),
    Column(
        "Update",
        "update",
        Kind.TEXT,
        synonyms=("commentary", "comment", "comments", "progress update", "notes"),
        width=60,
    ),
    Column(
        "Completed",
        "completed",
        Kind.DATE,
        synonyms=("completed date", "date completed", "completion date"),
        width=12,
    ),
    Column(
        "Public", "public", Kind.FLAG, synonyms=("publish", "publishable", "published"), width=9
    ),
    # A link to or reference for the evidence behind the update (kept as text: never a live link).
    Column(
        "Evidence",
        "evidence",
        Kind.TEXT,
        synonyms=(
            "evidence link",
            "evidence ref",
            "evidence reference",
            "link to evidence",
            "supporting evidence",
        ),
        width=30,
    ),
)

# A second status column that a workbook may carry beside a Status column (Not started /
# In progress / Complete), holding the RAG rating.
RAG_HEADERS = ("rag", "brag", "rag status", "brag status", "rag rating")

NOT_STARTED = "Not started"
ON_TRACK = "On track"
AT_RISK = "At risk"
OFF_TRACK = "Off track"
COMPLETE = "Complete"
CANCELLED = "Cancelled"
STATUSES: tuple[str, ...] = (NOT_STARTED, ON_TRACK, AT_RISK, OFF_TRACK, COMPLETE, CANCELLED)
CLOSED_STATUSES = frozenset({COMPLETE, CANCELLED})

STATUS_SYNONYMS: dict[str, str] = {
    "not started": NOT_STARTED,
    "not yet started": NOT_STARTED,
    "n": NOT_STARTED,
    "ns": NOT_STARTED,
    "grey": NOT_STARTED,
    "gray": NOT_STARTED,
    "on track": ON_TRACK,
    "on-track": ON_TRACK,
    "g": ON_TRACK,
    "green": ON_TRACK,
    "in progress": ON_TRACK,
    "at risk": AT_RISK,
    "a": AT_RISK,
    "amber": AT_RISK,
    "off track": OFF_TRACK,
    "off-track": OFF_TRACK,
    "r": OFF_TRACK,
    "red": OFF_TRACK,
    "complete": COMPLETE,
    "completed": COMPLETE,
    "done": COMPLETE,
    "b": COMPLETE,
    "blue": COMPLETE,
    "cancelled": CANCELLED,
    "canceled": CANCELLED,
    "c": CANCELLED,
    "withdrawn": CANCELLED,
}

THEMES: tuple[str, ...] = ("Pursue", "Prevent", "Protect", "Prepare")

# A Status cell left empty but filled with one of these colours (or one near it) is read as its
# status: the reds, ambers, greens and blues of Excel's and LibreOffice's standard palettes and
# of Office's themes. Nearest by RGB distance, within intake.fills.MAX_DISTANCE.
STATUS_COLOURS: dict[str, str] = {
    "#FF0000": OFF_TRACK,  # red
    "#C00000": OFF_TRACK,  # dark red
    "#C0504D": OFF_TRACK,  # Office 2007 theme red (accent 2)
    "#FFC000": AT_RISK,  # amber (Excel's gold)
    "#FFBF00": AT_RISK,  # amber
    "#FFA500": AT_RISK,  # orange
    "#FFFF00": AT_RISK,  # yellow, as many RAG sheets show amber
    "#F79646": AT_RISK,  # Office 2007 theme orange (accent 6)
    "#ED7D31": AT_RISK,  # Office theme orange (accent 2)
    "#00B050": ON_TRACK,  # green
    "#92D050": ON_TRACK,  # light green
    "#00FF00": ON_TRACK,  # bright green
    "#008000": ON_TRACK,  # dark green
    "#9BBB59": ON_TRACK,  # Office 2007 theme green (accent 3)
    "#70AD47": ON_TRACK,  # Office theme green (accent 6)
    "#0070C0": COMPLETE,  # blue
    "#00B0F0": COMPLETE,  # light blue
    "#0000FF": COMPLETE,  # bright blue
    "#4472C4": COMPLETE,  # Office theme blue (accent 1)
    "#4F81BD": COMPLETE,  # Office 2007 theme blue (accent 1)
}

RAG_DEFINITIONS: dict[str, str] = {
    NOT_STARTED: "Work has not begun and is not yet due to begin.",
    ON_TRACK: "Green: on course to be delivered by the due date.",
    AT_RISK: "Amber: delivery by the due date is at risk; the owner is managing the issues.",
    OFF_TRACK: "Red: will not be delivered by the due date without corrective action.",
    COMPLETE: "Blue: delivered. Complete is not green.",
    CANCELLED: "No longer being delivered; kept in the plan for the record.",
}

NO_DATE_WORDS = frozenset(
    {"tbc", "tba", "tbd", "ongoing", "on-going", "n/a", "na", "-", "ongoing."}
)

YES_WORDS = frozenset({"yes", "y", "true", "1", "public", "publish"})
NO_WORDS = frozenset({"no", "n", "false", "0", "private", "restricted", "not for publication"})

# Canonical column order of the model's milestone frame (also the export column order).
MILESTONE_FIELDS: tuple[str, ...] = tuple(c.key for c in MS_COLUMNS)
RECOMMENDATION_FIELDS: tuple[str, ...] = tuple(c.key for c in REC_COLUMNS)
DATE_FIELDS: tuple[str, ...] = tuple(c.key for c in MS_COLUMNS if c.kind is Kind.DATE)


def contract_frame(
    records: pd.DataFrame | Iterable[Mapping[str, object]], columns: tuple[Column, ...]
) -> pd.DataFrame:
    """Records as a frame with every one of `columns`, in order, each with its kind's dtype (text
    as object, dates as datetime64[ns], percentages as float64, flags as bool); a column the
    records lack is blank. Keys that are not columns follow, as given."""
    import pandas as pd

    frame = records.copy() if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
    keys = [c.key for c in columns]
    for column in columns:
        if column.key in frame.columns:
            values = frame[column.key]
        else:
            values = pd.Series([column.blank] * len(frame), index=frame.index, dtype=object)
        if column.kind is Kind.DATE:
            if values.dtype.kind != "M":
                values = pd.to_datetime(values.astype(object))
            frame[column.key] = values.astype("datetime64[ns]")
        elif column.kind is Kind.PERCENT:
            frame[column.key] = values.astype("float64")
        elif column.kind is Kind.FLAG:
            frame[column.key] = values.astype(bool)
        else:
            frame[column.key] = values.astype(object)
    return frame[keys + [k for k in frame.columns if k not in keys]]
