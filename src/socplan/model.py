"""`DeliveryPlan`: recommendations, milestones and their per-period updates, as pandas frames."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import metrics
from .periods import Period

if TYPE_CHECKING:
    from .store import Store


@dataclass
class DeliveryPlan:
    """The plan across periods; every method returns a fresh frame the caller may change.

    `recommendations` and `snapshots` hold one row per period and ref (the current revision of
    each period), with `period` and `period_index` columns.
    """

    recommendations: pd.DataFrame
    snapshots: pd.DataFrame
    # Indexes of the periods held as drafts (not signed off as they are here); none in the
    # panel's view, which holds signed-off revisions only.
    drafts: frozenset[int] = frozenset()
    _cache: dict[object, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)
    _plans: dict[object, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_store(cls, store: Store, *, published: bool = False) -> DeliveryPlan:
        """The plan as stored now, drafts included; with `published`, as the panel sees it
        (each period's signed-off revision; periods never signed off are left out)."""
        from .signoffs import draft_periods

        recs, ms = store.load(published=published)
        return cls(recs, ms, frozenset() if published else draft_periods(store))

    def refreshed(self, store: Store, *, published: bool = False) -> DeliveryPlan:
        """The plan as stored now, reading only the periods whose revision shown changed since
        this one was loaded (an import or a sign-off changes one period; the others are this
        plan's). `published` as for `from_store`."""
        from .signoffs import draft_periods

        held = self.snapshots.drop_duplicates("period_index")
        known = dict(
            zip(held["period_index"].astype(int), held["import_id"].astype(int), strict=True)
        )
        shown = store.shown_ids(published=published)
        drafts = frozenset() if published else draft_periods(store)
        if shown == known:  # a sign-off may still have changed which periods are drafts
            if drafts == self.drafts:
                return self
            same = DeliveryPlan(self.recommendations, self.snapshots, drafts)
            same._cache.update(self._cache)  # no memoised frame depends on the drafts
            if "nbytes" in self._plans:
                same._plans["nbytes"] = self._plans["nbytes"]
            return same
        recs, ms = store.load(known=known, published=published)
        changed = set(ms["period_index"].astype(int)) | set(recs["period_index"].astype(int))
        kept = {p for p, i in shown.items() if known.get(p) == i} - changed
        kept_recs = _periods(self.recommendations, kept)
        kept_ms = _periods(self.snapshots, kept)
        plan = DeliveryPlan(
            pd.concat([kept_recs, recs], ignore_index=True),
            pd.concat([kept_ms, ms], ignore_index=True),
            drafts,
        )
        if "nbytes" in self._plans:  # this plan's, less the periods let go, plus those read
            gone = set(known) - kept
            let_go = _frame_bytes(
                _periods(self.recommendations, gone), _periods(self.snapshots, gone)
            )
            plan._plans["nbytes"] = self._plans["nbytes"] - let_go + _frame_bytes(recs, ms)
        plan._carry(self, kept, ms)
        return plan

    def _carry(self, held: DeliveryPlan, kept: set[int], read: pd.DataFrame) -> None:
        """Take over what `held` had worked out for the periods kept, working out only the rows
        of the periods `read` again: the as-at frames of kept periods, and the per-period rows
        of the trend and the burn-up (each row depends on its own period alone)."""
        for key, frame in list(held._cache.items()):  # pages may still be adding to it
            if isinstance(key, tuple) and key[0] == "milestones" and key[1] in kept:
                self._cache[key] = frame
        if read.empty or held.snapshots.empty:
            return
        ends = {p.index: p.end for p in self.periods}
        rows: dict[tuple[str], Callable[[pd.DataFrame], pd.DataFrame]] = {
            ("trend",): metrics.trend,
            ("burnup",): lambda frame: metrics.burnup(frame, ends),
        }
        for key, build in rows.items():
            if key in held._cache:
                old = held._cache[key]
                old = old[np.array([Period.parse(p).index in kept for p in old["period"]], bool)]
                table = pd.concat([old, build(read)], ignore_index=True)
                order = np.argsort([Period.parse(p).index for p in table["period"]], kind="stable")
                self._cache[key] = table.take(order).reset_index(drop=True)

    def nbytes(self) -> int:
        """About what the plan's frames take in memory: their arrays, and each distinct string
        once (the store keeps repeated text as one object: see `store._Column`). Worked out
        once; a plan `refreshed` from this one adjusts it by the periods read again."""
        if "nbytes" not in self._plans:
            self._plans["nbytes"] = _frame_bytes(self.recommendations, self.snapshots)
        return int(self._plans["nbytes"])

    # -- periods ---------------------------------------------------------------------------
    @property
    def periods(self) -> list[Period]:
        """Periods with data, oldest first."""
        if "periods" not in self._plans:
            indexes = sorted(int(i) for i in self.snapshots["period_index"].unique())
            self._plans["periods"] = [Period(i // 4, i % 4 + 1) for i in indexes]
        return list(self._plans["periods"])

    @property
    def latest(self) -> Period | None:
        """The newest period with data."""
        periods = self.periods
        return periods[-1] if periods else None

    def resolve(self, period: Period | str | None) -> Period:
        """A period to show: the one given (as text or Period) or the newest."""
        if period is None or period == "":
            if self.latest is None:
                raise LookupError("the plan is empty; import a workbook first")
            return self.latest
        return period if isinstance(period, Period) else Period.parse(period)

    def draft_periods(self, period: Period | str | None = None) -> list[Period]:
        """The draft periods that what is shown as at `period` (default: the newest) draws on:
        that period's data and the trend up to it. Empty when everything shown is signed off."""
        if not self.drafts or self.latest is None:
            return []
        upto = self.resolve(period).index
        return [p for p in self.periods if p.index in self.drafts and p.index <= upto]

    def _source_index(self, period: Period) -> int | None:
        earlier = [p.index for p in self.periods if p.index <= period.index]
        return max(earlier) if earlier else None

    # -- views -----------------------------------------------------------------------------
    def recommendations_at(self, period: Period | str | None = None) -> pd.DataFrame:
        """Recommendations as at a period."""
        target = self.resolve(period)
        source = self._source_index(target)
        rows = self.recommendations[self.recommendations["period_index"] == source]
        return (
            rows.drop(columns=["period", "period_index", "revision", "import_id"])
            .sort_values("ref", key=metrics.natural)
            .reset_index(drop=True)
        )

    def milestones(self, period: Period | str | None = None) -> pd.DataFrame:
        """Every milestone as at a period, with its theme and measures as at the period end.

        A period with no data of its own shows the newest earlier one, all flagged not updated.
        """
        target = self.resolve(period)
        key = ("milestones", target.index)
        if key not in self._cache:
            source = self._source_index(target)
            rows = self.snapshots[self.snapshots["period_index"] == source]
            recs = self.recommendations[self.recommendations["period_index"] == source]
            rows = rows.merge(
                recs[["ref", "theme", "text", "public"]].rename(
                    columns={
                        "ref": "recommendation",
                        "text": "recommendation_text",
                        "public": "recommendation_public",
                    }
                ),
                on="recommendation",
                how="left",
            )
            if source != target.index:
                rows["updated"] = False
            rows = metrics.with_measures(rows, target.end)
            self._cache[key] = rows.sort_values("ref", key=metrics.natural).reset_index(drop=True)
        return self._cache[key].copy()

    def status_counts(
        self, period: Period | str | None = None, by: str | None = None
    ) -> pd.DataFrame:
        """Counts by status overall, or by `theme`, `owner` or `recommendation`."""
        return metrics.status_counts(self.milestones(period), by)

    def _memo(self, key: object, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """A derived frame, built once per plan (the plan never changes once loaded)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key].copy()

    def trend(self) -> pd.DataFrame:
        """Status counts for every period."""
        return self._memo(("trend",), lambda: metrics.trend(self.snapshots))

    def overdue(self, period: Period | str | None = None) -> pd.DataFrame:
        """Open milestones due by the period end."""
        return metrics.overdue(self.milestones(period))

    def slipped(self, period: Period | str | None = None) -> pd.DataFrame:
        """Milestones expected later than their baseline."""
        return metrics.slipped(self.milestones(period))

    def off_track(self, period: Period | str | None = None) -> pd.DataFrame:
        """Milestones rated Off track."""
        return metrics.off_track(self.milestones(period))

    def missing_updates(self, period: Period | str | None = None) -> pd.DataFrame:
        """Per owner, open milestones with no update this period."""
        return metrics.missing_by_owner(self.milestones(period))

    def changes(
        self, before: Period | str | None, after: Period | str | None = None
    ) -> dict[str, pd.DataFrame]:
        """Status moves, new and cancelled milestones and date changes between two periods."""
        target = self.resolve(after)
        start = self.resolve(before) if before else target.previous()
        return metrics.changes(self.milestones(start), self.milestones(target))

    def date_changes(self, refs: Iterable[str] | None = None) -> pd.DataFrame:
        """The date-change log: every change of expected date with its period and reason."""
        if refs is None:
            return self._memo(("date_changes",), lambda: metrics.date_change_log(self.snapshots))
        wanted = self.snapshots[self.snapshots["ref"].isin(list(refs))]
        return metrics.date_change_log(wanted)

    def burnup(self) -> pd.DataFrame:
        """Milestones due (baseline and forecast) against complete, period by period."""
        ends = {p.index: p.end for p in self.periods}
        return self._memo(("burnup",), lambda: metrics.burnup(self.snapshots, ends))

    def _themed_snapshots(self) -> pd.DataFrame:
        key = ("themed",)
        if key not in self._cache:
            recs = self.recommendations[["period_index", "ref", "theme"]].rename(
                columns={"ref": "recommendation"}
            )
            self._cache[key] = self.snapshots.merge(
                recs, on=["period_index", "recommendation"], how="left"
            )
        return self._cache[key].copy()

    def filtered(
        self,
        themes: Iterable[str] | None = None,
        owners: Iterable[str] | None = None,
        public_only: bool = False,
    ) -> DeliveryPlan:
        """A plan narrowed to some themes and owners (and, for publication, public rows)."""
        themes = sorted(t for t in themes or [] if t)
        owners = sorted(o for o in owners or [] if o)
        if not themes and not owners and not public_only:
            return self
        key = ("filtered", tuple(themes), tuple(owners), public_only)
        if key not in self._plans:
            self._plans[key] = self._filter(themes, owners, public_only)
        return self._plans[key]

    def _filter(self, themes: list[str], owners: list[str], public_only: bool) -> DeliveryPlan:
        recs = self.recommendations
        ms = self._themed_snapshots()
        if themes:
            recs = recs[recs["theme"].isin(themes)]
            ms = ms[ms["theme"].isin(themes)]
        if owners:
            ms = ms[ms["owner"].isin(owners)]
        if public_only:
            recs = recs[recs["public"]]
            public_recs = recs[["period_index", "ref"]].rename(columns={"ref": "recommendation"})
            ms = ms[ms["public"]].merge(public_recs, on=["period_index", "recommendation"])
        return DeliveryPlan(
            recs.reset_index(drop=True),
            ms.drop(columns="theme").reset_index(drop=True),
            self.drafts,
        )

    @property
    def owners(self) -> list[str]:
        """Every owner named in the plan (worked out once: every request's filters use it)."""
        if "owners" not in self._plans:
            self._plans["owners"] = sorted(self.snapshots["owner"].unique())
        return list(self._plans["owners"])

    @property
    def refs(self) -> frozenset[str]:
        """Every recommendation ref in the plan (worked out once: pages check URLs against it)."""
        if "refs" not in self._plans:
            self._plans["refs"] = frozenset(self.recommendations["ref"].astype(str))
        return self._plans["refs"]

    @property
    def themes(self) -> list[str]:
        """Every theme used in the plan."""
        if "themes" not in self._plans:
            self._plans["themes"] = sorted(self.recommendations["theme"].unique())
        return list(self._plans["themes"])


def _periods(frame: pd.DataFrame, indexes: set[int]) -> pd.DataFrame:
    """The rows of `frame` in these periods; a view when they are one run of rows (as the
    periods a plan keeps on a refresh usually are), so keeping them copies nothing."""
    rows = np.flatnonzero(frame["period_index"].isin(list(indexes)).to_numpy())
    if len(rows) and rows[-1] - rows[0] + 1 == len(rows):
        return frame.iloc[rows[0] : rows[-1] + 1]
    return frame.iloc[rows]


def _frame_bytes(*frames: pd.DataFrame) -> int:
    """The arrays of `frames`, and each distinct string in a column once (see `nbytes`)."""
    total = 0
    for frame in frames:
        total += int(frame.memory_usage(deep=False, index=True).sum())
        for name in frame.columns:
            if frame[name].dtype.kind in "OT" or str(frame[name].dtype) == "str":
                distinct = pd.Series(frame[name].unique()).dropna().to_numpy(dtype=object)
                total += sum(map(sys.getsizeof, distinct))
    return total
