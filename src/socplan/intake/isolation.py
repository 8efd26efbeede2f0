"""Run a parser in a child process with memory and time limits, so that a file no check foresaw
costs one child, never the process that asked (a CLI run or an app server with its threads).

From a threaded process (an app server) children come from a fork server, which has already
imported the reader: forking a process whose other threads may hold locks is unsafe, and
starting a fresh interpreter per file would cost a second or more. A process running one
thread (the command line) forks itself, which is safe there and saves starting the fork server.
Either way a call costs a fork and the pickling of its input and result.

A call may also hand the caller parts of its result while it works (`send_part`), which the
caller takes as they come (`Isolated.result(on_part=...)`): the caller can act on them while the
child goes on.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")

PRELOAD = ["socplan.intake.importer", "socplan.intake.isolation", "python_calamine"]
_lock = threading.Lock()


class _Parts:
    """In a child: the parts of a result, sent to the caller by a thread of their own, so the
    call goes on while the caller takes them (a pipe holds little: a part waits until the
    caller has read the ones before it)."""

    def __init__(self, send: Connection):
        self._send = send
        self._queue: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.failed: BaseException | None = None

    def start(self) -> None:
        """Start the sending thread (before the child's memory limit: a thread needs a stack)."""
        self._thread = threading.Thread(target=self._run, name="socplan-parts", daemon=True)
        self._thread.start()

    def put(self, value: Any) -> None:
        self._queue.put((True, value))

    def _run(self) -> None:
        while True:
            more, value = self._queue.get()
            if not more:
                return
            try:
                self._send.send(("part", value))
            except BaseException as exc:  # the result says so instead (see `_child`)
                self.failed = exc
                return

    def close(self) -> None:
        """Wait until every part is sent."""
        if self._thread is not None:
            self._queue.put((False, None))
            self._thread.join()


_parts: _Parts | None = None  # in a child: where `send_part` puts parts
_answer: tuple[Connection, threading.Lock] | None = None  # in a child: where its result goes


def in_child() -> bool:
    """True in a child process that `start_isolated` started."""
    return _answer is not None


def answer_now(value: Any) -> None:
    """In a child, answer `value` at once, from any thread, and end the child there and then
    (whatever its other threads are doing); outside a child, do nothing. No part may be on its
    way (`send_part`): the caller sees `value` as the result."""
    if _answer is None:
        return
    send, lock = _answer
    lock.acquire()  # never released: the child ends here
    try:
        send.send(("ok", value))
    finally:
        os._exit(0)


def send_part(value: Any) -> bool:
    """In a child, hand `value` to the caller as soon as it will take it, ahead of the result;
    True when so (False outside a child: nobody is waiting for parts)."""
    if _parts is None:
        return False
    if _parts.failed is not None:
        raise _parts.failed
    _parts.put(value)
    return True


@dataclass(frozen=True)
class ChildLimits:
    """What one child may use: address space on top of what it starts with, CPU and wall time."""

    memory_mb: int = 2048
    cpu_seconds: int = 60
    timeout_seconds: float = 120.0


class ChildFailed(Exception):
    """The child died (a signal, its memory or time limit) before returning a result."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        for module in PRELOAD:  # imported before the limits apply, once for every child
            importlib.import_module(module)
        return multiprocessing.get_context("fork")
    with _lock:
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if "forkserver" in methods:
            context.set_forkserver_preload(PRELOAD)
        return context


def _address_space() -> int:
    """Bytes of address space this process holds now (0 when the system does not say)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit(limits: ChildLimits) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort leaves no core file behind
    cpu = max(1, int(limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    start = _address_space()
    if start:
        cap = start + limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _child(
    send: Connection, func: Callable[..., Any], args: tuple[Any, ...], limits: ChildLimits
) -> None:
    # The objects inherited from the parent are left out of the child's garbage collections:
    # traversing them would write to, and so copy, every page of the parent's heap. Nor does
    # the child collect its own: it lives for one call (a parse makes few cycles, and none
    # outlives the child), within its memory limit; collecting cost a workbook's check ~5 ms.
    gc.freeze()
    gc.disable()
    global _parts, _answer
    parts = _parts = _Parts(send)
    answering = threading.Lock()
    _answer = (send, answering)
    try:
        parts.start()
        _limit(limits)
        try:
            value = func(*args)
        finally:
            parts.close()  # the result comes after every part
        if parts.failed is not None:
            raise parts.failed
        result: tuple[str, Any] = ("ok", value)
    except MemoryError:
        result = ("limit", "it needed more than the memory limit")
    except BaseException as exc:  # handed to the parent, which raises it there
        result = ("raised", exc)
    answering.acquire()  # held for good if `answer_now` has answered (it ends the child)
    try:
        send.send(result)
    except MemoryError:
        _send_quietly(send, ("limit", "its result needed more than the memory limit"))
    except Exception as exc:  # an exception that cannot be pickled
        _send_quietly(send, ("raised", RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        send.close()


def _send_quietly(send: Connection, message: tuple[str, Any]) -> None:
    """Last words of a child in trouble; if even they fail, the parent sees the child die."""
    try:
        send.send(message)
    except BaseException:
        os._exit(70)


def _describe(code: int | None, limits: ChildLimits) -> str:
    if code is not None and code < 0:
        number = -code
        if number == signal.SIGXCPU:
            return f"it used more than {limits.cpu_seconds} s of processor time"
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"the reader stopped with {name} (out of memory, or a damaged file)"
    return f"the reader stopped unexpectedly (exit status {code})"


def run_isolated(func: Callable[..., T], *args: Any, limits: ChildLimits | None = None) -> T:
    """`func(*args)` in a child process with `limits`; raises ChildFailed if the child dies.

    `func` and `args` must pickle (a module-level function). An exception `func` raises is raised
    again here; a MemoryError in the child counts as a failure of the limits.
    """
    return start_isolated(func, *args, limits=limits).result()


def start_isolated(
    func: Callable[..., T], *args: Any, limits: ChildLimits | None = None
) -> Isolated[T]:
    """`run_isolated`, started: the caller may do other work before it asks for the result."""
    return Isolated(func, args, limits or ChildLimits())


class Isolated(Generic[T]):
    """A call running in a child process (see `run_isolated`)."""

    def __init__(self, func: Callable[..., T], args: tuple[Any, ...], limits: ChildLimits):
        self._limits = limits
        _reap()
        context = _context()
        self._receive, send = context.Pipe(duplex=False)
        self._child = context.Process(target=_child, args=(send, func, args, limits), daemon=True)
        try:
            self._child.start()
        except BaseException:
            self._receive.close()  # no child: nobody will read from the pipe
            raise
        finally:
            send.close()
        self._deadline = time.monotonic() + limits.timeout_seconds

    def result(self, on_part: Callable[[Any], object] | None = None) -> T:
        """The call's result, once the child has answered; raises as `run_isolated` does.

        Parts the child sends first (`send_part`) go to `on_part` as they arrive, in the order
        sent; if `on_part` raises, the child is stopped and the exception raised here.
        """
        limits, child, receive = self._limits, self._child, self._receive
        answered = False
        try:
            while True:
                if not receive.poll(max(0.0, self._deadline - time.monotonic())):
                    child.kill()
                    raise ChildFailed(f"it took longer than {limits.timeout_seconds:g} s")
                try:
                    status, value = receive.recv()
                except (EOFError, OSError):
                    child.join(5)
                    raise ChildFailed(_describe(child.exitcode, limits)) from None
                if status != "part":
                    break
                if on_part is not None:
                    started = time.monotonic()
                    on_part(value)
                    # The caller's time with a part (a database that waits for its lock, say)
                    # is not the child's: the child may have been held up sending the next one.
                    self._deadline += time.monotonic() - started
            answered = True
        finally:
            if answered:  # it is on its way out: not waited for (see `_reap`)
                receive.close()
                _leaving(child)
            else:
                self._end(wait=0)
        if status == "ok":
            return cast(T, value)
        if status == "limit":
            raise ChildFailed(str(value))
        raise value

    def close(self) -> None:
        """Give up on the call: the child is stopped at once."""
        self._end(wait=0)

    def _end(self, wait: float) -> None:
        """Close the pipe; give the child `wait` seconds to finish, then kill it."""
        self._receive.close()
        if wait and self._child.is_alive():
            self._child.join(wait)
        if self._child.is_alive():
            self._child.kill()
            self._child.join()


# Children that have answered and are exiting (which takes a process as large as its parent a
# few milliseconds): the caller goes on, and they are reaped when the next child starts.
_exiting: list[tuple[Any, float]] = []
EXIT_GRACE_SECONDS = 5.0


def _leaving(child: Any) -> None:
    with _lock:
        _exiting.append((child, time.monotonic() + EXIT_GRACE_SECONDS))


def _reap() -> None:
    """Reap the children that have exited; kill those still there after their grace."""
    with _lock:
        leaving = list(_exiting)
        _exiting.clear()
    for child, grace in leaving:
        if child.is_alive() and time.monotonic() > grace:
            child.kill()
            child.join()
        if child.is_alive():
            with _lock:
                _exiting.append((child, grace))
