"""Where pages get the plan: one DeliveryPlan per database version, rebuilt when it changes,
and the pages rendered from it, kept until the next import."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from socplan.model import DeliveryPlan
from socplan.store import Store

PAGES_KEPT = 256


def query_key(query: dict[str, Any]) -> tuple[tuple[str, object], ...]:
    """A hashable, order-free form of a page's query."""
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in query.items()))


@dataclass
class PlanSource:
    """Hands out the plan, reloading it only when the database has a new import.

    The version check is one cheap query, so an import made by another process (or another
    app server) is seen on the next request. Rendered viewer pages are kept per version: panel
    members mostly look at the same few views, and a page's content depends only on the plan
    and the query (never on who asks).
    """

    store: Store
    _plan: DeliveryPlan | None = None
    _version: tuple[int, int] | None = None
    _pages: OrderedDict[object, Any] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def plan(self) -> DeliveryPlan:
        """The current plan."""
        version = self.store.version()
        with self._lock:
            if self._plan is None or version != self._version:
                self._plan = DeliveryPlan.from_store(self.store)
                self._version = version
                self._pages.clear()
            return self._plan

    def forget_pages(self) -> None:
        """Drop the rendered pages (benchmarks use this to time a page's real work)."""
        with self._lock:
            self._pages.clear()

    def page(self, key: object, build: Callable[[], Any]) -> Any:
        """A rendered page for the current version, built once."""
        self.plan()  # notice a new import first
        with self._lock:
            version = self._version
            if (version, key) in self._pages:
                self._pages.move_to_end((version, key))
                return self._pages[(version, key)]
        rendered = build()
        with self._lock:
            if version == self._version:
                self._pages[(version, key)] = rendered
                while len(self._pages) > PAGES_KEPT:
                    self._pages.popitem(last=False)
        return rendered
