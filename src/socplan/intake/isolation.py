"""Run a parser in a child process with memory and time limits, so that a file no check foresaw
costs one child, never the process that asked (a CLI run or an app server with its threads).

From a threaded process (an app server) children come from a fork server, which has already
imported the reader: forking a process whose other threads may hold locks is unsafe, and
starting a fresh interpreter per file would cost a second or more. A process running one
thread (the command line) forks itself, which is safe there and saves starting the fork server.
Either way a call costs a fork (unless a kept worker takes it, below) and the pickling of its
result.

A call may also hand the caller parts of its result while it works (`send_part`), which the
caller takes as they come (`Isolated.result(on_part=...)`): the caller can act on them while the
child goes on.

A call started with `reuse` goes to a child kept for such calls (a worker) when one is free: it
costs neither a fork nor the fresh memory a new process is given page by page (on a small
server, a tenth of a 10,000-milestone import), and its input is pickled to the worker. The
worker takes calls one at a time, each with the child's limits (memory on top of what the
worker holds when the call starts, processor time counted from then), and is given up, so that
the next call starts a fresh one, after any call that did not end with a result (an error, its
limits, the caller giving up) or that said so (`dismiss`: a check that found anything wrong with
its file), after a call that left a thread running or grew it by more than `WORKER_KEEP_MB`
(resident) or `WORKER_SLACK_MB` (address space), after `WORKER_CALLS` calls, and after
`WORKER_IDLE_SECONDS` with nothing to do. A worker that has not taken a call within
`WORKER_TAKE_SECONDS` of its sending (gone, or alive and not reading) is given up too, and the
call goes to a child of its own, within the call's own time.
"""

from __future__ import annotations

import gc
import importlib
import itertools
import multiprocessing
import os
import queue
import select
import signal
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")

PRELOAD = ["socplan.intake.importer", "socplan.intake.isolation", "python_calamine"]
_lock = threading.Lock()


class _Parts:
    """In a child: the parts of a result, sent to the caller by a thread of their own, so the
    call goes on while the caller takes them (a pipe holds little: a part waits until the
    caller has read the ones before it). Each is sent under `lock`, the one the answer is sent
    under: a part put late (by a thread the call left running) never cuts into the answer."""

    def __init__(self, send: Connection, lock: threading.Lock):
        self._send = send
        self._lock = lock
        self._queue: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.failed: BaseException | None = None

    def start(self) -> None:
        """Start the sending thread (before the child's memory limit: a thread needs a stack)."""
        self._thread = threading.Thread(target=self._run, name="socplan-parts", daemon=True)
        self._thread.start()

    def put(self, value: Any) -> None:
        self._queue.put(("part", value))

    def _run(self) -> None:
        while True:
            what, value = self._queue.get()
            if what == "flushed":
                value.set()
                continue
            if self.failed is not None:
                continue  # (the pipe is broken: the call's result says so)
            try:
                with self._lock:
                    self._send.send(("part", value))
            except BaseException as exc:  # the result says so instead (see `_call`)
                self.failed = exc

    def flush(self) -> None:
        """Wait until every part put so far is sent."""
        if self._thread is not None:
            done = threading.Event()
            self._queue.put(("flushed", done))
            done.wait()


_parts: _Parts | None = None  # in a child: where `send_part` puts parts
_answer: tuple[Connection, threading.Lock] | None = None  # in a child: where its result goes
_dismissed = False  # in a worker: the call under way said the worker is not to be kept


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
        send.send(("ok", value, False))
    finally:
        os._exit(0)


def dismiss() -> None:
    """In a worker, have it stopped once the call under way has answered (the next call starts
    a fresh child); anywhere else this has no effect."""
    global _dismissed
    if _answer is not None:  # (in a child)
        _dismissed = True


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


def _statm(field: int) -> int:
    """Bytes of one of /proc/self/statm's measures (0 when the system does not say)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[field]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _address_space() -> int:
    """Bytes of address space this process holds now (0 when the system does not say)."""
    return _statm(0)


def _resident() -> int:
    """Bytes of memory this process holds now (0 when the system does not say)."""
    return _statm(1)


def _limit(limits: ChildLimits, *, slack_mb: int | None = None) -> None:
    """The child's limits; with `slack_mb` (a worker), its address space may reach that much
    past the memory limit over its life, and each call's limits are set by `_budget`."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort leaves no core file behind
    if slack_mb is None:
        cpu = max(1, int(limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    start = _address_space()
    if start:
        cap = start + (limits.memory_mb + (slack_mb or 0)) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _budget(limits: ChildLimits) -> None:
    """In a worker: the next call may add `limits.memory_mb` of address space to what the
    worker holds now (within its life's cap) and use `limits.cpu_seconds` of processor time."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(usage.ru_utime + usage.ru_stime) + 1 + max(1, int(limits.cpu_seconds))
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    now = _address_space()
    _, cap = resource.getrlimit(resource.RLIMIT_AS)
    if now and cap != resource.RLIM_INFINITY:
        resource.setrlimit(resource.RLIMIT_AS, (min(cap, now + (limits.memory_mb << 20)), cap))


def _call(parts: _Parts, func: Callable[..., Any], args: tuple[Any, ...]) -> tuple[str, Any]:
    """`func(*args)` in a child, as the message that answers the caller (after every part)."""
    try:
        try:
            value = func(*args)
        finally:
            parts.flush()  # the result comes after every part
        if parts.failed is not None:
            raise parts.failed
        return ("ok", value)
    except MemoryError:
        return ("limit", "it needed more than the memory limit")
    except BaseException as exc:  # handed to the parent, which raises it there
        return ("raised", exc)


def _answer_with(send: Connection, result: tuple[str, Any], keep: bool) -> bool:
    """Send a call's result (`keep`: the worker takes another call); False if it did not go."""
    try:
        send.send((*result, keep))
        return True
    except MemoryError:
        _send_quietly(send, ("limit", "its result needed more than the memory limit", False))
    except Exception as exc:  # an exception that cannot be pickled
        _send_quietly(send, ("raised", RuntimeError(f"{type(exc).__name__}: {exc}"), False))
    return False


def _begin(send: Connection) -> tuple[_Parts, threading.Lock]:
    """Make this process a child answering on `send`: its parts' sender and the lock its answer
    is sent under (`answer_now` takes it for good)."""
    # The objects inherited from the parent are left out of the child's garbage collections:
    # traversing them would write to, and so copy, every page of the parent's heap. Nor does
    # the child collect its own as it goes (a parse makes few cycles; a worker collects them
    # between calls, while idle): collecting cost a workbook's check ~5 ms.
    gc.freeze()
    gc.disable()
    global _parts, _answer
    answering = threading.Lock()
    parts = _parts = _Parts(send, answering)
    _answer = (send, answering)
    return parts, answering


def _child(
    send: Connection, func: Callable[..., Any], args: tuple[Any, ...], limits: ChildLimits
) -> None:
    parts, answering = _begin(send)
    try:
        parts.start()
        _limit(limits)
        result = _call(parts, func, args)
    except MemoryError:
        result = ("limit", "it needed more than the memory limit")
    except BaseException as exc:  # (the limits could not be set)
        result = ("raised", exc)
    answering.acquire()  # held for good if `answer_now` has answered (it ends the child)
    try:
        _answer_with(send, result, False)
    finally:
        send.close()


# A worker (see the module's docstring) is given up after this many calls, or once it holds
# this much more memory (resident) or address space than when it started, or idle this long.
WORKER_CALLS = 100
WORKER_KEEP_MB = 256
WORKER_SLACK_MB = 1024
WORKER_IDLE_SECONDS = 60.0
# A worker that has not taken a call (read it whole and said so) this long after it was sent is
# given up, and the call goes to a child of its own: a worker alive but not reading (stopped,
# say) would otherwise hold the caller.
WORKER_TAKE_SECONDS = 5.0


def _serve(
    jobs: Connection, send: Connection, limits: ChildLimits, keep: tuple[int, int, int, float]
) -> None:
    """A worker: calls from `jobs`, one at a time, each acknowledged ("took", its number)
    before it runs and answered on `send`, until one says the worker is not kept (`keep`: the
    caller's WORKER_CALLS, WORKER_KEEP_MB, WORKER_SLACK_MB and WORKER_IDLE_SECONDS, as a fork
    server's may differ)."""
    most_calls, keep_mb, slack_mb, idle_seconds = keep
    global _dismissed
    parts, answering = _begin(send)
    parts.start()
    _limit(limits, slack_mb=slack_mb)
    threads, start, space = threading.active_count(), _resident(), _address_space()
    for calls in range(1, most_calls + 1):
        try:
            if not jobs.poll(idle_seconds):
                return
            number, func, args = jobs.recv()
            _dismissed = False
            _budget(limits)
            send.send(("took", number))
            result = _call(parts, func, args)
        except BaseException:  # the caller has gone, or a call it could not make: no more
            return
        kept = (
            result[0] == "ok"
            and not _dismissed
            and parts.failed is None
            and calls < most_calls
            and threading.active_count() == threads
            and _resident() - start < keep_mb << 20
            and _address_space() - space < slack_mb << 20
        )
        with answering:  # (`answer_now` takes it for good)
            if not _answer_with(send, result, kept) or not kept:
                return
        del func, args, result
        if not jobs.poll(0.5):  # nothing waiting: a good moment to collect the call's cycles
            gc.collect()


def _send_quietly(send: Connection, message: tuple[str, Any, bool]) -> None:
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
    func: Callable[..., T], *args: Any, limits: ChildLimits | None = None, reuse: bool = False
) -> Isolated[T]:
    """`run_isolated`, started: the caller may do other work before it asks for the result.
    With `reuse`, a worker kept for such calls takes it when one is free (see the module's
    docstring); `func` and `args` are then pickled to it."""
    return Isolated(func, args, limits or ChildLimits(), reuse=reuse)


def _send_within(jobs: Connection, job: bytes | memoryview, seconds: float) -> bool:
    """`jobs.send_bytes(job)` (the same framing, read by `recv`), if it is all in the pipe
    within `seconds` (the other end has read all but what the pipe holds); False if not (part
    of it may have gone). Raises OSError if the other end has closed."""
    job = memoryview(job).cast("B")
    size = len(job)
    header = struct.pack("!i", size) if size <= 0x7FFFFFFF else struct.pack("!iQ", -1, size)
    fd, ready = jobs.fileno(), select.poll()
    ready.register(fd, select.POLLOUT)
    deadline = time.monotonic() + seconds
    os.set_blocking(fd, False)
    try:
        for piece in (header, job):
            left = memoryview(piece)
            while left:
                try:
                    left = left[os.write(fd, left) :]
                except BlockingIOError:
                    wait = deadline - time.monotonic()
                    if wait <= 0 or not ready.poll(wait * 1000):
                        return False
    finally:
        os.set_blocking(fd, True)
    return True


class _Worker:
    """A child that takes calls one after another (`_serve`)."""

    def __init__(self, context: Any, limits: ChildLimits):
        self.limits = limits
        jobs, self.jobs = context.Pipe(duplex=False)
        self.receive, send = context.Pipe(duplex=False)
        keep = (WORKER_CALLS, WORKER_KEEP_MB, WORKER_SLACK_MB, WORKER_IDLE_SECONDS)
        self.process = context.Process(target=_serve, args=(jobs, send, limits, keep), daemon=True)
        try:
            self.process.start()
        except BaseException:
            self.jobs.close()
            self.receive.close()
            raise
        finally:
            jobs.close()
            send.close()

    def stop(self, kill: bool) -> None:
        """Close the pipes; with `kill`, stop the worker at once, else leave it to end by itself
        (as it does after a call that says so), reaped as a child that has answered."""
        self.jobs.close()
        self.receive.close()
        if kill and self.process.is_alive():
            self.process.kill()
            self.process.join()
        else:
            _leaving(self.process)


_workers: dict[ChildLimits, _Worker] = {}  # free workers, by their limits


def _take_worker(limits: ChildLimits) -> _Worker:
    """A free worker with these limits, started if there is none (a call that finds the
    worker busy, in another thread, starts one of its own: the one given back last is kept)."""
    with _lock:
        worker = _workers.pop(limits, None)
    if worker is not None and not worker.process.is_alive():
        worker.stop(kill=True)
        worker = None
    return worker or _Worker(_context(), limits)


def _give_back(worker: _Worker) -> None:
    with _lock:
        other = _workers.pop(worker.limits, None)
        _workers[worker.limits] = worker
    if other is not None:
        other.stop(kill=True)


def stop_workers() -> None:
    """Stop every free worker (a test that changes what a child runs starts afresh)."""
    with _lock:
        workers = list(_workers.values())
        _workers.clear()
    for worker in workers:
        worker.stop(kill=True)


_numbers = itertools.count(1)  # of the calls sent to workers


class Isolated(Generic[T]):
    """A call running in a child process (see `run_isolated`)."""

    def __init__(
        self, func: Callable[..., T], args: tuple[Any, ...], limits: ChildLimits, reuse: bool
    ):
        self._limits, self._func, self._args = limits, func, args
        self._worker: _Worker | None = None
        self._finished = False
        self._number = next(_numbers)
        self._deadline = self._take_by = time.monotonic() + limits.timeout_seconds
        _reap()
        if reuse:
            job = ForkingPickler.dumps((self._number, func, args))  # (may raise: nothing sent)
            worker = _take_worker(limits)
            self._take_by = min(self._deadline, time.monotonic() + WORKER_TAKE_SECONDS)
            try:
                sent = _send_within(worker.jobs, job, self._take_by - time.monotonic())
            except OSError:  # it had gone: the call goes to a child of its own
                sent = False
            except BaseException:  # part of the call may have gone: the worker is not kept
                worker.stop(kill=True)
                raise
            if sent:
                self._worker, self._receive, self._child = worker, worker.receive, worker.process
            else:  # gone, or not reading: the call goes to a child of its own
                worker.stop(kill=True)
        if self._worker is None:
            self._start()

    def _start(self) -> None:
        """Start a child of the call's own."""
        context = _context()
        self._receive, send = context.Pipe(duplex=False)
        self._child = context.Process(
            target=_child, args=(send, self._func, self._args, self._limits), daemon=True
        )
        try:
            self._child.start()
        except BaseException:
            self._receive.close()  # no child: nobody will read from the pipe
            raise
        finally:
            send.close()

    def result(self, on_part: Callable[[Any], object] | None = None) -> T:
        """The call's result, once the child has answered; raises as `run_isolated` does.

        Parts the child sends first (`send_part`) go to `on_part` as they arrive, in the order
        sent; if `on_part` raises, the child is stopped and the exception raised here.
        """
        if self._finished:
            raise RuntimeError("the call's result has been taken")
        limits = self._limits
        answered = keep = False
        taken = self._worker is None  # a worker says when it has taken the call
        try:
            while True:
                until = self._deadline if taken else self._take_by
                if not self._receive.poll(max(0.0, until - time.monotonic())):
                    if not taken and until < self._deadline:  # a worker that does not take it
                        taken = self._lost_worker()
                        continue
                    self._child.kill()
                    raise ChildFailed(f"it took longer than {limits.timeout_seconds:g} s")
                try:
                    message = self._receive.recv()
                except (EOFError, OSError):
                    if not taken:  # the worker had gone before it took the call
                        taken = self._lost_worker()
                        continue
                    self._child.join(5)
                    raise ChildFailed(_describe(self._child.exitcode, limits)) from None
                except Exception:  # a message that cannot be read: a child gone wrong
                    if not taken:
                        taken = self._lost_worker()
                        continue
                    self._child.kill()
                    raise ChildFailed("its answer could not be read") from None
                status, value = message[0], message[1]
                if not taken:
                    # Anything but this call's number is not the answer to this call.
                    taken = (status, value) == ("took", self._number) or self._lost_worker()
                    continue
                if status != "part":
                    keep = bool(message[2])
                    break
                if on_part is not None:
                    started = time.monotonic()
                    on_part(value)
                    # The caller's time with a part (a database that waits for its lock, say)
                    # is not the child's: the child may have been held up sending the next one.
                    self._deadline += time.monotonic() - started
            answered = True
        finally:
            if not answered:
                self._end(wait=0)
                self._finished = True
            elif self._worker is not None:
                # Done with it before it is given back: from then on it is another call's.
                worker, self._worker, self._finished = self._worker, None, True
                if keep:
                    _give_back(worker)
                else:  # it is on its way out
                    worker.stop(kill=False)
            else:  # it is on its way out: not waited for (see `_reap`)
                self._finished = True
                self._receive.close()
                _leaving(self._child)
        if status == "ok":
            return cast(T, value)
        if status == "limit":
            raise ChildFailed(str(value))
        raise value

    def _lost_worker(self) -> bool:
        """The worker did not take the call (gone, not in time, or not as it was sent): it is
        stopped, and the call goes to a child of its own (True: that child has it)."""
        assert self._worker is not None
        self._worker.stop(kill=True)
        self._worker = None
        self._start()  # (within the call's own deadline)
        return True

    def close(self) -> None:
        """Give up on the call: the child is stopped at once."""
        self._end(wait=0)

    def _end(self, wait: float) -> None:
        """Close the pipe; give the child `wait` seconds to finish, then kill it (nothing once
        the call has answered)."""
        if self._finished:
            return
        if self._worker is not None:  # a worker left in the middle of a call is not kept
            self._worker.stop(kill=True)
            self._worker = None
            return
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
