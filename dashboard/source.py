"""Where pages get the plan: one DeliveryPlan per database version, rebuilt when it changes."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from socplan.model import DeliveryPlan
from socplan.store import Store


@dataclass
class PlanSource:
    """Hands out the plan, reloading it only when the database has a new import.

    The version check is one cheap query, so an import made by another process (or another
    app server) is seen on the next request.
    """

    store: Store
    _plan: DeliveryPlan | None = None
    _version: tuple[int, int] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def plan(self) -> DeliveryPlan:
        """The current plan."""
        version = self.store.version()
        with self._lock:
            if self._plan is None or version != self._version:
                self._plan = DeliveryPlan.from_store(self.store)
                self._version = version
            return self._plan
