"""Bounds on the slow downloads (charts as images, the panel report): a few at a time per
process and one at a time per person, answered from a cache when the plan has not changed.

Past the bound the answer is "busy, try again" (503 with Retry-After) at once rather than a
queue: a queue would hold the server's threads, and `/health` and page views must never wait
behind a report.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

RETRY_AFTER = 5  # seconds


class Busy(Exception):
    """Every render slot is taken, or this person already has a render running."""


class RenderGate:
    """At most `slots` renders at once in this process, and one per person."""

    def __init__(self, slots: int):
        self._slots = threading.BoundedSemaphore(slots)
        self._running: set[str] = set()
        self._lock = threading.Lock()

    @contextmanager
    def enter(self, who: str) -> Iterator[None]:
        """Hold a slot for `who`, or raise Busy without waiting."""
        with self._lock:
            if who in self._running:
                raise Busy(who)
            self._running.add(who)
        try:
            if not self._slots.acquire(blocking=False):
                raise Busy(who)
            try:
                yield
            finally:
                self._slots.release()
        finally:
            with self._lock:
                self._running.discard(who)


class FileCache:
    """Rendered files by key, least recently used first out, bounded in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._files: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        """The file kept under `key`, if any."""
        with self._lock:
            data = self._files.get(key)
            if data is not None:
                self._files.move_to_end(key)
            return data

    def put(self, key: Hashable, data: bytes) -> None:
        """Keep `data` unless it alone would take over a quarter of the budget."""
        if len(data) > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._files:
                self._bytes -= len(self._files.pop(key))
            self._files[key] = data
            self._bytes += len(data)
            while self._bytes > self.max_bytes:
                _, dropped = self._files.popitem(last=False)
                self._bytes -= len(dropped)
