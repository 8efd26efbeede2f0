"""The workbook contract (v1): sheet names, columns, synonyms, statuses and themes, defined once."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Column:
    """One column of a contract sheet: its canonical header, synonyms and whether it is required."""

    name: str
    key: str
    required: bool
    synonyms: tuple[str, ...] = ()
    width: int = 14


REC_COLUMNS: tuple[Column, ...] = (
    Column(
        "Ref", "ref", True, ("reference", "rec ref", "recommendation ref", "no", "number", "id"), 8
    ),
    Column("Recommendation", "text", True, ("recommendation text", "description", "title"), 60),
    Column("Theme", "theme", True, ("pillar", "strand", "4p", "priority"), 12),
    Column("Lead", "lead", True, ("lead organisation", "lead agency", "lead partner"), 28),
    Column(
        "Partners", "partners", False, ("partner", "supporting partners", "partner agencies"), 40
    ),
    Column("Public", "public", False, ("publish", "publishable", "published"), 9),
)

MS_COLUMNS: tuple[Column, ...] = (
    Column("Ref", "ref", True, ("milestone ref", "action ref", "reference", "id", "no"), 9),
    Column(
        "Recommendation",
        "recommendation",
        True,
        ("rec", "rec ref", "recommendation ref", "recommendation no"),
        9,
    ),
    Column(
        "Milestone",
        "milestone",
        True,
        ("action", "milestone description", "description", "task"),
        50,
    ),
    Column(
        "Owner",
        "owner",
        True,
        ("lead agency", "lead", "responsible", "responsible organisation", "owner organisation"),
        28,
    ),
    Column("Start", "start", False, ("start date",), 12),
    Column(
        "Due", "due", True, ("deadline", "target date", "due date", "baseline", "baseline due"), 12
    ),
    Column(
        "Forecast",
        "forecast",
        False,
        ("revised due", "revised date", "forecast date", "revised deadline"),
        12,
    ),
    Column(
        "Reason", "reason", False, ("reason for change", "reason for delay", "slippage reason"), 30
    ),
    Column(
        "Status",
        "status",
        True,
        ("rag", "brag", "rag status", "brag status", "progress status"),
        12,
    ),
    Column(
        "Progress",
        "progress",
        False,
        ("% complete", "percent complete", "% progress", "progress %"),
        10,
    ),
    Column(
        "Update",
        "update",
        False,
        ("commentary", "comment", "comments", "progress update", "notes"),
        60,
    ),
    Column(
        "Completed", "completed", False, ("completed date", "date completed", "completion date"), 12
    ),
    Column("Public", "public", False, ("publish", "publishable", "published"), 9),
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
DATE_FIELDS: tuple[str, ...] = ("start", "due", "forecast", "completed")
