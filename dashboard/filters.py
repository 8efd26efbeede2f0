"""The filters shared by every page (period, themes, owners), kept in the URL's query string.

Whatever the URL says is attacker-controlled: before a page is rendered or cached its query is
reduced to what the plan knows (`Filters.within`, `clean_query`), so neither the page, nor the
links it echoes, nor the cache key grow with what was sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from socplan.model import DeliveryPlan
from socplan.periods import Period, PeriodError

MAX_VALUE = 64  # longer than any period label, theme or owner name a plan uses
EXTRA_PARAMS = ("since",)  # page-specific parameters kept beside the filters: periods only


def _period_label(text: str | None) -> str | None:
    if not text or len(text) > MAX_VALUE:
        return None
    try:
        return Period.parse(text).label
    except PeriodError:
        return None


FILTERS = ("period", "theme", "owner")


def _matches(pathname: str, template: str) -> bool:
    want, got = template.strip("/").split("/"), pathname.strip("/").split("/")
    return len(want) == len(got) and all(
        w == g or (w.startswith("<") and w.endswith(">")) for w, g in zip(want, got, strict=True)
    )


def filters_used(pathname: str | None, pages: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The filters the page at `pathname` uses, as its `register_page(..., filters=...)` says;
    a page that does not say uses them all."""
    for page in pages:
        template = page.get("path_template") or page.get("path", "")
        if _matches(pathname or "/", template):
            return tuple(f for f in FILTERS if f in page.get("filters", FILTERS))
    return FILTERS


def filters_shown(pathname: str | None) -> tuple[bool, ...]:
    """`hidden` for the filters bar, then for each filter's box, on the page at `pathname`."""
    import dash

    from . import ids

    used = filters_used(pathname, dash.page_registry.values())
    return (not used, *(name not in used for name in ids.FILTER_BOXES))


def _list(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v]
    return [str(value)]


@dataclass(frozen=True)
class Filters:
    """What the reader chose: an as-at period (None for the newest), themes and owners."""

    period: str | None = None
    themes: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, query: dict[str, object]) -> Filters:
        """From Dash Pages' parsed query (single values or lists)."""
        period = _list(query.get("period"))
        return cls(
            period[0] if period else None,
            tuple(_list(query.get("theme"))),
            tuple(_list(query.get("owner"))),
        )

    @classmethod
    def from_search(cls, search: str | None) -> Filters:
        """From a raw `?a=b` query string."""
        parsed = parse_qs((search or "").lstrip("?"))
        return cls.from_query({k: v for k, v in parsed.items()})

    def within(self, plan: DeliveryPlan) -> Filters:
        """These filters with whatever the plan does not know dropped, in a canonical order."""
        themes, owners = set(plan.themes), set(plan.owners)
        return Filters(
            _period_label(self.period),
            tuple(sorted({t for t in self.themes if t in themes})),
            tuple(sorted({o for o in self.owners if o in owners})),
        )

    def only(self, names: Iterable[str]) -> Filters:
        """These filters with all but `names` cleared: a page that hides a filter ignores it."""
        return Filters(
            self.period if "period" in names else None,
            self.themes if "theme" in names else (),
            self.owners if "owner" in names else (),
        )

    def search(self, **extra: str | None) -> str:
        """The query string for these filters (empty when nothing is chosen)."""
        pairs: list[tuple[str, str]] = []
        if self.period:
            pairs.append(("period", self.period))
        pairs += [("theme", t) for t in self.themes] + [("owner", o) for o in self.owners]
        pairs += [(k, v) for k, v in extra.items() if v]
        return f"?{urlencode(pairs)}" if pairs else ""

    def apply(self, plan: DeliveryPlan) -> tuple[DeliveryPlan, Period]:
        """The plan narrowed to the themes and owners, and the as-at period to show."""
        return plan.filtered(self.themes, self.owners), self.as_at(plan)

    def as_at(self, plan: DeliveryPlan) -> Period:
        """The as-at period to show: the one chosen, else (none, or one the plan cannot show)
        the newest; before any import, the next one due."""
        if plan.latest is None:  # nothing imported yet
            from socplan.intake.uploads import next_due

            return next_due(plan)
        try:
            period = plan.resolve(self.period)
        except PeriodError:
            period = plan.resolve(None)
        if plan.periods and period < plan.periods[0]:
            period = plan.periods[0]
        return period

    def drawn(self, plan: DeliveryPlan) -> Filters:
        """These filters as what they draw: `within(plan)` with the period resolved, so that
        no period and the newest one's label (which show the same) are one key."""
        known = self.within(plan)
        return replace(known, period=known.as_at(plan).label)


def clean_query(query: dict[str, object], plan: DeliveryPlan) -> dict[str, object]:
    """A page's query reduced to the filters the plan knows and the page parameters that are
    valid (`since`: a period); everything else is dropped."""
    filters = Filters.from_query(query).within(plan)
    clean: dict[str, object] = {}
    if filters.period:
        clean["period"] = filters.period
    if filters.themes:
        clean["theme"] = list(filters.themes)
    if filters.owners:
        clean["owner"] = list(filters.owners)
    return clean | _extras(query)


def _extras(query: dict[str, object]) -> dict[str, str]:
    """The page parameters that are valid (`since`: a period), canonical; the rest dropped."""
    kept = {}
    for name in EXTRA_PARAMS:
        values = _list(query.get(name))
        label = _period_label(values[0]) if values else None
        if label:
            kept[name] = label
    return kept


def extra_params(search: str | None) -> dict[str, str]:
    """The page parameters of a raw query string that are valid (see `clean_query`)."""
    return _extras(dict(parse_qs((search or "").lstrip("?"))))


def clean_search(search: str | None, plan: DeliveryPlan) -> str:
    """A raw query string reduced as `clean_query` does, as a query string again."""
    return Filters.from_search(search).within(plan).search(**extra_params(search))
