"""Where pages get a plan: one DeliveryPlan per plan version, rebuilt when it changes, and the
pages rendered from it, kept until the next import within a byte budget. A worker serving many
plans keeps only the plans recently viewed, within a byte budget of its own (`PlanSources`)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from dash import html

from socplan.model import DeliveryPlan
from socplan.periods import Period
from socplan.store import Store

from .filters import Filters, clean_query

# What a plan held in a worker costs, as a multiple of its frames' own size (`nbytes`): the
# frames pages derive from it (per period, per filter) and the allocator's slack come on top.
# Measured by bench/bench_plans.py at 10,000 milestones x 20 quarters: frames 31 MiB, about
# 30 MiB resident once loaded, 55 MiB with its pages viewed (46 and 59 before the store read a
# plan one period at a time).
FOOTPRINT = 2
PAGES_KEPT = 256
PAGE_BYTES_KEPT = 32 * 1024 * 1024  # per plan kept


def query_key(query: dict[str, Any]) -> tuple[tuple[str, object], ...]:
    """A hashable, order-free form of a page's query."""
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in query.items()))


SERVING = "socplan_serving"  # set on `flask.g` for requests the app dispatches


def _after_the_response(work: Callable[[], None]) -> bool:
    """Run `work` once the response has gone out, when serving a request; False otherwise.

    Measuring a page for the byte budget costs about a fifth of rendering it: nobody should
    wait for that."""
    from flask import after_this_request, g, has_request_context

    if not has_request_context() or not g.get(SERVING):
        return False

    @after_this_request
    def later(response: Any) -> Any:
        response.call_on_close(work)
        return response

    return True


def _size(rendered: Any) -> int:
    """What a rendered page costs to keep, as the length of the JSON Dash sends for it."""
    from dash._utils import to_json

    return len(to_json(rendered))


@dataclass
class PlanSource:
    """Hands out the plan, reloading it only when the database has a new import.

    The version check is one cheap query, so an import made by another process (or another
    app server) is seen on the next request. Rendered viewer pages are kept per version: panel
    members mostly look at the same few views, and a page's content depends only on the plan
    and the query (never on who asks). The query is first reduced to what the plan knows, and
    the pages kept are bounded in number and in bytes.
    """

    store: Store
    published: bool = False  # the panel's view (signed-off periods only), else with drafts
    max_pages: int = PAGES_KEPT
    max_bytes: int = PAGE_BYTES_KEPT
    _plan: DeliveryPlan | None = None
    _version: tuple[int, ...] | None = None
    _pages: OrderedDict[object, tuple[Any, int]] = field(default_factory=OrderedDict)
    _bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    _bytes_held: int = 0
    on_load: Callable[[], None] = lambda: None  # told when a new version was loaded

    def plan(self) -> DeliveryPlan:
        """The current plan."""
        version = self.store.version()
        loaded = False
        with self._lock:
            if self._plan is None or version != self._version:
                # Only what changed is read again: an import changes one period of the history.
                held = self._plan
                self._plan = None
                self._plan = (
                    held.refreshed(self.store, published=self.published)
                    if held is not None
                    else DeliveryPlan.from_store(self.store, published=self.published)
                )
                self._version = version
                self._bytes_held = FOOTPRINT * self._plan.nbytes()
                self._clear()
                loaded = True
            plan = self._plan
        if loaded:
            self.on_load()
        return plan

    @property
    def held_bytes(self) -> int:
        """What this plan's frames and kept pages take."""
        return self._bytes_held + self._bytes

    def _clear(self) -> None:
        self._pages.clear()
        self._bytes = 0

    def forget_pages(self) -> None:
        """Drop the rendered pages (benchmarks use this to time a page's real work)."""
        with self._lock:
            self._clear()

    @property
    def version(self) -> tuple[int, ...] | None:
        """The database version the current plan was loaded at."""
        return self._version

    @property
    def kept_bytes(self) -> int:
        """The size of the rendered pages kept."""
        return self._bytes

    def page(self, name: object, query: dict[str, Any], build: Callable[..., Any]) -> Any:
        """Page `name` for `query`, built by `build(**clean query)` once per plan version."""
        clean = clean_query(query, self.plan())  # also notices a new import first
        key = (name, query_key(clean))
        with self._lock:
            version = self._version
            if (version, key) in self._pages:
                self._pages.move_to_end((version, key))
                return self._pages[(version, key)][0]
        rendered = build(**clean)
        keep = partial(self._keep, version, key, rendered)
        if not _after_the_response(keep):
            keep()
        return rendered

    def _keep(self, version: tuple[int, ...] | None, key: object, rendered: Any) -> None:
        size = _size(rendered)
        with self._lock:
            if version == self._version and size <= self.max_bytes // 4:
                if (version, key) in self._pages:
                    self._bytes -= self._pages.pop((version, key))[1]
                self._pages[(version, key)] = (rendered, size)
                self._bytes += size
                while len(self._pages) > self.max_pages or self._bytes > self.max_bytes:
                    _, (_, dropped) = self._pages.popitem(last=False)
                    self._bytes -= dropped


class PlanSources:
    """One `PlanSource` per plan and view (the panel's, or with drafts), made when first asked
    for; a viewer's pages are never kept with an editor's. When the plans held
    take more than `max_bytes`, the ones viewed least recently are let go (their memory with
    them), so a worker serving many plans holds the few in use, not all of them."""

    def __init__(self, store: Store, max_bytes: int):
        self.store = store
        self.max_bytes = max_bytes
        self._sources: OrderedDict[tuple[str, bool], PlanSource] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, slug: str, *, published: bool = True) -> PlanSource:
        """The source of plan `slug` as the panel sees it (`published`) or with its drafts;
        the caller has checked the plan exists and that the requester may see that view."""
        key = (slug, published)
        with self._lock:
            found = self._sources.get(key)
            if found is None:
                found = PlanSource(self.store.for_plan(slug), published)
                found.on_load = self._trim
                self._sources[key] = found
            self._sources.move_to_end(key)
            return found

    def _trim(self) -> None:
        with self._lock:
            while len(self._sources) > 1 and self.held_bytes > self.max_bytes:
                self._sources.popitem(last=False)

    @property
    def held_bytes(self) -> int:
        """What the plans held take, with their kept pages."""
        return sum(s.held_bytes for s in list(self._sources.values()))

    @property
    def held(self) -> list[str]:
        """The slugs of the plans held, least recently used first (a plan held in both
        views is listed where its view used last stands)."""
        slugs = [slug for slug, _ in self._sources]
        return [s for i, s in enumerate(slugs) if s not in slugs[i + 1 :]]


@dataclass(frozen=True)
class View:
    """What a viewer page renders from: the filters (already reduced to what the plan knows),
    the plan narrowed by them, the as-at period, and the page's own parameters."""

    filters: Filters
    plan: DeliveryPlan
    period: Period
    query: dict[str, Any]


def viewer_page(title: str, render: Callable[[View], Any]) -> Callable[..., Any]:
    """A viewer page's `layout`: kept per plan version and query (see `PlanSource.page`), and
    'no plan yet' before the first import; `render` draws the rest."""
    from .context import source

    def layout(**query: Any) -> Any:
        query.pop("plan", None)  # the plan is the request's (see auth.py), checked there
        kept = source()

        def build(**clean: Any) -> Any:
            filters = Filters.from_query(clean)
            plan, period = filters.apply(kept.plan())
            if plan.latest is None:
                from .components import no_plan

                return no_plan(title)
            shown = render(View(filters, plan, period, clean))
            drafts = plan.draft_periods(period)
            if drafts:
                from .components import draft_banner

                return html.Div([draft_banner(drafts), shown])
            return shown

        return kept.page(render.__module__, query, build)

    layout.__doc__ = f"The {title} page for the filters in the URL."
    return layout
