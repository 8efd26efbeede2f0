"""Synthetic plans of any size, for benchmarks and scale tests (deterministic for a seed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .periods import Period
from .schema import MS_COLUMNS, REC_COLUMNS, STATUSES, THEMES, contract_frame

OWNERS = (
    "West Mercia Police",
    "Community Safety Partnerships",
    "SOC Joint Action Groups",
    "Local authorities",
    "NHS and clinical commissioning groups",
    "Public health",
    "Prisons and probation",
    "PCC commissioning team",
    "PCC diversionary network",
)


def synthetic_plan(milestones: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A plan of `milestones` milestones (about 8 per recommendation) as it stands at first."""
    rng = np.random.default_rng(seed)
    n_recs = max(1, milestones // 8)
    recs = pd.DataFrame(
        {
            "ref": [f"R{i}" for i in range(1, n_recs + 1)],
            "text": [
                f"Recommendation {i}: strengthen partnership work on organised crime"
                for i in range(1, n_recs + 1)
            ],
            "theme": [THEMES[i % len(THEMES)] for i in range(n_recs)],
            "lead": [OWNERS[i % len(OWNERS)] for i in range(n_recs)],
            "partners": "Community Safety Partnerships; Local authorities",
            "public": True,
        }
    )
    rec_of = np.arange(milestones) % n_recs
    number = np.arange(milestones) // n_recs + 1
    due = pd.Timestamp("2019-10-01") + pd.to_timedelta(
        rng.integers(0, 365 * 5, milestones), unit="D"
    )
    ms = pd.DataFrame(
        {
            "ref": [f"R{r + 1}.{k}" for r, k in zip(rec_of, number, strict=True)],
            "recommendation": [f"R{r + 1}" for r in rec_of],
            "milestone": [
                f"Deliver action {i} with partners across the force area" for i in range(milestones)
            ],
            "owner": [OWNERS[i] for i in rng.integers(0, len(OWNERS), milestones)],
            "start": (due - pd.Timedelta(days=180)).astype("datetime64[ns]"),
            "due": due.astype("datetime64[ns]"),
            "status": "Not started",
            "progress": 0.0,
            "public": True,
        }
    )
    # Every other column (forecast, reason, update, completed, ...) starts blank.
    return contract_frame(recs, REC_COLUMNS), contract_frame(ms, MS_COLUMNS)


def advance(ms: pd.DataFrame, period: Period, seed: int) -> pd.DataFrame:
    """The same milestones one quarter on: some complete, some slip, some change rating."""
    rng = np.random.default_rng(seed)
    out = ms.copy()
    n = len(out)
    open_ = ~out["status"].isin(["Complete", "Cancelled"]).to_numpy()
    roll = rng.random(n)
    end = pd.Timestamp(period.end)
    due_soon = (out["due"] <= end + pd.Timedelta(days=90)).to_numpy()
    complete = open_ & due_soon & (roll < 0.5)
    out.loc[complete, "status"] = "Complete"
    out.loc[complete, "progress"] = 100.0
    out.loc[complete, "completed"] = end - pd.Timedelta(days=10)
    live = open_ & ~complete
    rated = rng.choice(np.array(STATUSES[1:4], dtype=object), n, p=[0.7, 0.2, 0.1])
    out.loc[live, "status"] = rated[live]
    out.loc[live, "progress"] = np.minimum(100.0, out.loc[live, "progress"] + 10.0)
    slip = live & (roll > 0.95)
    out.loc[slip, "forecast"] = out.loc[slip, "due"] + pd.Timedelta(days=91)
    out.loc[slip, "reason"] = "Partner capacity"
    off = out["status"] == "Off track"
    out.loc[off, "update"] = f"Recovery plan agreed in {period}"
    out.loc[live & ~off.to_numpy(), "update"] = f"Progressing as planned ({period})"
    return out


def synthetic_history(
    milestones: int, periods: int, first: Period | None = None, seed: int = 1
) -> list[tuple[Period, pd.DataFrame, pd.DataFrame]]:
    """`periods` quarters of a synthetic plan: (period, recommendations, milestones) each."""
    recs, ms = synthetic_plan(milestones, seed)
    out = []
    period = first or Period(2019, 3)
    for i in range(periods):
        ms = advance(ms, period, seed + i)
        out.append((period, recs, ms))
        period = period.next()
    return out
