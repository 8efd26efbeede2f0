"""An illustrative SOC delivery plan with four quarters of partner returns.

Its text is package data in `sample_data/` (UTF-8 CSV with a header row): the organisations,
the recommendations, the milestones, what each quarter's returns change, and the updates written
for milestones whose return says nothing new. This module turns them into each return's frames.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources

import pandas as pd

from socplan.periods import Period
from socplan.schema import (
    CANCELLED,
    CLOSED_STATUSES,
    COMPLETE,
    MS_COLUMNS,
    NOT_STARTED,
    ON_TRACK,
    REC_COLUMNS,
    contract_frame,
)

SAMPLE_NOTE = (
    "This delivery plan is illustrative: its recommendations, milestones and updates were "
    "invented for demonstration and do not describe real work by any organisation."
)

PERIODS: tuple[str, ...] = ("2019/20 Q3", "2019/20 Q4", "2020/21 Q1", "2020/21 Q2")
MISSED_RETURN = ("2020/21 Q1", "Prisons and probation")
PARTIAL_RETURN = ("2020/21 Q2", "Public health")


@dataclass(frozen=True, eq=False)
class SampleReturn:
    """One illustrative quarterly return: the workbook's frames, its file name and its period."""

    file_name: str
    period: str
    partial: bool
    recommendations: pd.DataFrame
    milestones: pd.DataFrame


Row = dict[str, str]


@dataclass(frozen=True)
class _Text:
    """The sample's text, read from its data files."""

    organisations: dict[str, str]  # code -> name
    recommendations: list[Row]
    milestones: list[Row]
    changes: dict[str, dict[str, Row]]  # period -> milestone ref -> change
    updates: dict[str, list[str]]  # status (or "other") -> update templates, used in turn


@dataclass
class _State:
    """What a milestone carries from one quarter to the next."""

    forecast: date | None = None
    reason: str = ""
    progress: float = 0.0
    closed: dict[str, object] | None = None


def _read(name: str) -> list[Row]:
    """The rows of one file in sample_data/."""
    data = resources.files("socplan") / "sample_data" / name
    return list(csv.DictReader(io.StringIO(data.read_text(encoding="utf-8"))))


def _text() -> _Text:
    """Every sample data file, read."""
    changes: dict[str, dict[str, Row]] = {}
    for change in _read("changes.csv"):
        changes.setdefault(change["period"], {})[change["ref"]] = change
    updates: dict[str, list[str]] = {}
    for update in _read("updates.csv"):
        updates.setdefault(update["status"], []).append(update["template"])
    return _Text(
        organisations={o["code"]: o["name"] for o in _read("organisations.csv")},
        recommendations=_read("recommendations.csv"),
        milestones=_read("milestones.csv"),
        changes=changes,
        updates=updates,
    )


def _words(d: date) -> str:
    """A date as British English words, e.g. 31 March 2020."""
    return f"{d.day} {d:%B %Y}"


def _completion(start: date, deadline: date, i: int) -> date:
    """A completion date a little before the deadline, inside the deadline's quarter."""
    floor = max(start, Period.containing(deadline).start)
    return max(floor, deadline - timedelta(days=(i * 5) % 17))


def _elapsed(start: date, deadline: date, end: date) -> float:
    """Progress in proportion to time elapsed, to the nearest 5, between 5 and 90."""
    share = (end - start).days / max(1, (deadline - start).days)
    return float(min(90, max(5, round(share * 20) * 5)))


def _row(
    i: int, m: Row, qi: int, state: _State, change: Row | None, text: _Text, public: bool
) -> dict[str, object]:
    """A milestone's row in quarter qi, from its dates, carried state and this quarter's change
    (empty values in a change: nothing new, so they follow from the dates)."""
    if state.closed is not None:
        return dict(state.closed)
    start, due = date.fromisoformat(m["start"]), date.fromisoformat(m["due"])
    end = Period.parse(PERIODS[qi]).end
    change = change or {}
    status = change.get("status") or None
    if change.get("forecast"):
        forecast = date.fromisoformat(change["forecast"])
        state.forecast = None if forecast == due else forecast
        state.reason = change["reason"] if state.forecast else ""
    deadline = state.forecast or due
    if status is None:
        status = NOT_STARTED if end < start else COMPLETE if deadline <= end else ON_TRACK
    completed: date | None = None
    if status == COMPLETE:
        progress = 100.0
        completed = date.fromisoformat(change["completed"]) if change.get("completed") else None
        completed = completed or _completion(start, deadline, i)
    elif status == NOT_STARTED:
        progress = 0.0
    elif status == CANCELLED:
        progress = state.progress
    elif change.get("progress"):
        progress = float(change["progress"])
    else:
        progress = max(state.progress, _elapsed(start, deadline, end))
    state.progress = progress
    note = change.get("update")
    if not note:
        templates = text.updates.get(status) or text.updates["other"]
        note = templates[(qi + i) % len(templates)].format(
            p=round(progress),
            d=_words(deadline),
            m=f"{end:%B}",
            s=f"{start:%B %Y}",
            c=_words(completed or end),
        )
    row: dict[str, object] = {
        "ref": m["ref"],
        "recommendation": m["ref"].split(".")[0],
        "milestone": m["text"],
        "owner": text.organisations[m["owner"]],
        "start": start,
        "due": due,
        "forecast": state.forecast,
        "reason": state.reason,
        "status": status,
        "progress": progress,
        "update": note,
        "completed": completed,
        "public": public,
    }
    if status in CLOSED_STATUSES:
        state.closed = row
    return row


def _recommendation_rows(text: _Text) -> list[dict[str, object]]:
    """The recommendations, the same in every full return."""
    return [
        {
            "ref": r["ref"],
            "text": r["text"],
            "theme": r["theme"],
            "lead": text.organisations[r["lead"]],
            "partners": "; ".join(text.organisations[p] for p in r["partners"].split()),
            "public": r["public"] == "yes",
        }
        for r in text.recommendations
    ]


def sample_returns() -> list[SampleReturn]:
    """The illustrative plan's returns, from 2019/20 Q3 to 2020/21 Q2, in import order."""
    text = _text()
    recommendations = _recommendation_rows(text)
    public_recs = {r["ref"] for r in recommendations if r["public"]}
    # A milestone of a recommendation not for publication is not for publication either.
    public = {
        m["ref"]: m["public"] == "yes" and m["ref"].split(".")[0] in public_recs
        for m in text.milestones
    }
    states = {m["ref"]: _State() for m in text.milestones}
    returns: list[SampleReturn] = []
    for qi, period in enumerate(PERIODS):
        rows = []
        for i, m in enumerate(text.milestones):
            if m["first_period"] and PERIODS.index(m["first_period"]) > qi:
                continue
            change = text.changes.get(period, {}).get(m["ref"])
            rows.append(_row(i, m, qi, states[m["ref"]], change, text, public[m["ref"]]))
        left_out = {owner for p, owner in (MISSED_RETURN, PARTIAL_RETURN) if p == period}
        full = [r for r in rows if r["owner"] not in left_out]
        slug = Period.parse(period).slug
        returns.append(
            SampleReturn(
                file_name=f"{slug}-full.xlsx",
                period=period,
                partial=False,
                recommendations=contract_frame(recommendations, REC_COLUMNS),
                milestones=contract_frame(full, MS_COLUMNS),
            )
        )
        if period == PARTIAL_RETURN[0]:
            owner = PARTIAL_RETURN[1]
            returns.append(
                SampleReturn(
                    file_name=f"{slug}-partial-{owner.lower().replace(' ', '-')}.xlsx",
                    period=period,
                    partial=True,
                    recommendations=contract_frame([], REC_COLUMNS),
                    milestones=contract_frame([r for r in rows if r["owner"] == owner], MS_COLUMNS),
                )
            )
    return returns


__all__ = ["SAMPLE_NOTE", "SampleReturn", "sample_returns"]
