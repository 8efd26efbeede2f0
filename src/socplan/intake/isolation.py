"""Run a parser in a child process with memory and time limits, so that a file no check foresaw
costs one child, never the process that asked (a CLI run or an app server with its threads).

From a threaded process (an app server) children come from a fork server, which has already
imported the reader: forking a process whose other threads may hold locks is unsafe, and
starting a fresh interpreter per file would cost a second or more. A process running one
thread (the command line) forks itself, which is safe there and saves starting the fork server.
Either way a call costs a fork and the pickling of its input and result.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
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
    # traversing them would write to, and so copy, every page of the parent's heap.
    gc.freeze()
    try:
        _limit(limits)
        result: tuple[str, Any] = ("ok", func(*args))
    except MemoryError:
        result = ("limit", "it needed more than the memory limit")
    except BaseException as exc:  # handed to the parent, which raises it there
        result = ("raised", exc)
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

    def result(self) -> T:
        """The call's result, once the child has answered; raises as `run_isolated` does."""
        limits, child, receive = self._limits, self._child, self._receive
        try:
            if not receive.poll(max(0.0, self._deadline - time.monotonic())):
                child.kill()
                raise ChildFailed(f"it took longer than {limits.timeout_seconds:g} s")
            try:
                status, value = receive.recv()
            except (EOFError, OSError):
                child.join(5)
                raise ChildFailed(_describe(child.exitcode, limits)) from None
        finally:
            self._end(wait=5)
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
