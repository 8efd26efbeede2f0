"""A parser that runs away costs one child process, never the caller: memory, processor time,
wall-clock time and signals all end in a clean error, and the caller carries on."""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from builders import basic_milestones, recs, template_bytes

from socplan.cli import main
from socplan.intake import importer, isolation
from socplan.intake.importer import check, import_bytes
from socplan.intake.isolation import (
    ChildFailed,
    ChildLimits,
    run_isolated,
    send_part,
    start_isolated,
)
from socplan.intake.safety import Limits
from socplan.periods import Period
from socplan.store import Store

Q3 = Period(2019, 3)


def test_result_comes_back():
    assert run_isolated(sorted, [3, 1, 2]) == [1, 2, 3]


def test_runs_in_another_process():
    assert run_isolated(os.getpid) != os.getpid()


def test_exception_is_raised_again():
    with pytest.raises(ValueError):
        run_isolated(int, "not a number")


def test_memory_beyond_the_limit_is_a_clean_failure_and_the_parent_carries_on():
    with pytest.raises(ChildFailed, match="memory"):
        run_isolated(bytearray, 8 * 1024**3, limits=ChildLimits(memory_mb=256))
    assert run_isolated(len, b"abc") == 3


def test_a_killed_child_is_a_clean_failure():
    with pytest.raises(ChildFailed, match="SIGABRT"):
        run_isolated(os.abort)
    assert run_isolated(len, b"ab") == 2


def test_wall_clock_timeout_kills_the_child():
    start = time.perf_counter()
    with pytest.raises(ChildFailed, match="longer than 1 s"):
        run_isolated(time.sleep, 60, limits=ChildLimits(timeout_seconds=1))
    assert time.perf_counter() - start < 10


def test_processor_time_limit_stops_the_child():
    with pytest.raises(ChildFailed, match="processor time"):
        run_isolated(sum, range(10**12), limits=ChildLimits(cpu_seconds=1, timeout_seconds=30))


def _note_pid_then(path: Path, seconds: float) -> int:
    path.write_text(str(os.getpid()))
    time.sleep(seconds)
    return 7


def _wait_for(path: Path) -> int:
    for _ in range(600):  # up to a minute on a busy machine
        if path.exists() and path.read_text():
            return int(path.read_text())
        time.sleep(0.1)
    raise AssertionError(f"{path} never appeared")


def test_a_started_child_works_while_the_caller_does(tmp_path: Path):
    note = tmp_path / "pid"
    running = start_isolated(_note_pid_then, note, 0)
    assert _wait_for(note) != os.getpid()  # the child ran before its result was asked for
    assert running.result() == 7


def test_closing_a_started_child_stops_it(tmp_path: Path):
    note = tmp_path / "pid"
    running = start_isolated(_note_pid_then, note, 60)
    pid = _wait_for(note)
    running.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def _parts_then(n: int) -> str:
    for i in range(n):
        assert send_part(i)
    return "done"


def _note_pid_part_then(path: Path, seconds: float) -> int:
    send_part("first")
    path.write_text(str(os.getpid()))
    time.sleep(seconds)
    return 7


def test_parts_reach_the_caller_in_order_before_the_result():
    got: list[int] = []
    running = start_isolated(_parts_then, 50)

    def take(part: int) -> None:
        got.append(part)
        time.sleep(0.01)  # the child goes on while the caller is busy with a part

    assert running.result(take) == "done"
    assert got == list(range(50))


def _part_then_wait_for(path: Path) -> str:
    send_part("part")
    while not path.exists():  # until the caller has finished with the part
        time.sleep(0.01)
    time.sleep(0.3)
    return "done"


def test_the_callers_time_with_a_part_does_not_count_against_the_child(tmp_path: Path):
    """A caller slow with a part (a database waiting for its lock) does not make the child run
    out of time while it goes on after that part."""
    done = tmp_path / "done"
    running = start_isolated(_part_then_wait_for, done, limits=ChildLimits(timeout_seconds=1))

    def slowly(part: str) -> None:
        time.sleep(1.2)  # past the child's time limit
        done.write_text(part)

    assert running.result(slowly) == "done"


def test_outside_a_child_nobody_takes_parts():
    assert send_part("part") is False


def test_a_caller_that_fails_on_a_part_stops_the_child(tmp_path: Path):
    note = tmp_path / "pid"
    running = start_isolated(_note_pid_part_then, note, 60)

    def refuse(part: str) -> None:
        _wait_for(note)
        raise ValueError(f"no {part}")

    with pytest.raises(ValueError, match="no first"):
        running.result(refuse)
    with pytest.raises(ProcessLookupError):
        os.kill(int(note.read_text()), 0)


def _answer_then_linger() -> int:
    threading.Thread(target=time.sleep, args=(60,)).start()  # the child's exit waits for it
    return os.getpid()


def test_a_child_that_lingers_after_answering_is_stopped_after_its_grace(monkeypatch):
    """The caller does not wait for a child that has answered to exit (a large child takes a
    few milliseconds); one still there after its grace is killed when the next child starts."""
    monkeypatch.setattr(isolation, "EXIT_GRACE_SECONDS", 0.2)
    started = time.monotonic()
    pid = run_isolated(_answer_then_linger)
    assert time.monotonic() - started < 30  # not waited for
    assert os.path.exists(f"/proc/{pid}")
    for _ in range(100):
        time.sleep(0.05)
        run_isolated(len, b"")
        if not os.path.exists(f"/proc/{pid}"):
            break
    assert not os.path.exists(f"/proc/{pid}"), "the lingering child was never stopped"


def test_from_a_threaded_process_the_fork_server_is_used():
    """An app server has threads; there the child comes from the fork server, limits and all."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert run_isolated(os.getppid) != os.getpid()  # a child of the fork server, not ours
        with pytest.raises(ChildFailed, match="memory"):
            run_isolated(bytearray, 8 * 1024**3, limits=ChildLimits(memory_mb=256))
    finally:
        stop.set()
        other.join()


def test_check_names_the_file_when_the_child_fails():
    limits = Limits(parse_timeout_seconds=0)  # the child is stopped at once
    outcome = check(
        template_bytes(Q3, recs(), basic_milestones()), "plan.xlsx", period=Q3, limits=limits
    )
    [error] = outcome.report.errors
    assert str(error).startswith("plan.xlsx: the workbook could not be read within the limits")


def test_import_fails_cleanly_and_leaves_the_database_alone(tmp_path: Path, runner, monkeypatch):
    db = tmp_path / "plan.db"
    url = f"sqlite:///{db}"
    path = tmp_path / "plan.xlsx"
    path.write_bytes(template_bytes(Q3, recs(), basic_milestones()))
    assert (
        runner.invoke(main, ["import", str(path), "-p", "2019/20 Q3", "--db", url]).exit_code == 0
    )
    before = db.read_bytes()
    monkeypatch.setenv("SOCPLAN_PARSE_TIMEOUT_SECONDS", "0")
    for command in (
        ["import", str(path), "-p", "2019/20 Q3", "--db", url],
        ["validate", str(path)],
    ):
        result = runner.invoke(main, command)
        assert result.exit_code == 1, result.output
        assert "plan.xlsx: the workbook could not be read within the limits" in result.output
        assert "Traceback" not in result.output
    assert db.read_bytes() == before


# -- a worker kept between calls (`reuse`) ---------------------------------------------------


def _reused(func, *args, limits: ChildLimits | None = None):
    return start_isolated(func, *args, limits=limits, reuse=True).result()


def test_calls_with_reuse_go_to_one_worker_in_turn():
    first = _reused(os.getpid)
    assert first != os.getpid()
    assert [_reused(os.getpid) for _ in range(3)] == [first] * 3
    assert run_isolated(os.getpid) != first  # a call without reuse has a child of its own


def test_a_worker_sends_each_calls_parts_before_its_result():
    for _ in range(2):
        got: list[int] = []
        assert start_isolated(_parts_then, 30, reuse=True).result(got.append) == "done"
        assert got == list(range(30))
    assert len(isolation._workers) == 1


def test_a_call_that_raises_leaves_no_worker_behind():
    pid = _reused(os.getpid)
    with pytest.raises(ValueError):
        _reused(int, "not a number")
    assert isolation._workers == {}
    assert not _alive(pid)
    assert _reused(os.getpid) != pid


def _alive(pid: int) -> bool:
    for _ in range(100):  # a worker that is not kept ends by itself, soon
        if not os.path.exists(f"/proc/{pid}") or _zombie(pid):
            return False
        time.sleep(0.05)
    return True


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def test_a_worker_that_died_between_calls_is_replaced():
    pid = _reused(os.getpid)
    os.kill(pid, 9)
    assert _reused(len, b"abc") == 3  # whether its end was seen before the call or after
    assert _reused(os.getpid) not in (pid, os.getpid())


def test_a_worker_that_went_before_taking_the_call_is_replaced():
    """A worker may end (idle, or killed) with a call already sent it: the call goes to a child
    of its own."""
    pid = _reused(os.getpid)
    os.kill(pid, signal.SIGSTOP)  # the call waits in its pipe, not taken
    running = start_isolated(os.getpid, reuse=True)
    os.kill(pid, signal.SIGKILL)
    assert running.result() not in (pid, os.getpid())
    assert isolation._workers == {}  # (that child was the call's own)


def test_a_worker_that_does_not_read_the_call_is_given_up(monkeypatch):
    """A worker alive but not reading (here stopped) does not hold the caller: a call it has
    not taken in WORKER_TAKE_SECONDS goes to a child of its own."""
    monkeypatch.setattr(isolation, "WORKER_TAKE_SECONDS", 0.5)
    pid = _reused(os.getpid)
    os.kill(pid, signal.SIGSTOP)
    big = b"x" * (4 << 20)  # more than a pipe holds: its sending waits for the worker to read
    got: list[int] = []
    calling = threading.Thread(target=lambda: got.append(_reused(len, big)), daemon=True)
    try:
        calling.start()
        calling.join(60)
        assert not calling.is_alive(), "the call is held by a worker that does not read it"
    finally:
        if calling.is_alive():  # (this lets it go)
            os.kill(pid, signal.SIGKILL)
    assert got == [len(big)]
    assert not _alive(pid)  # given up


def test_a_call_sent_to_a_worker_is_read_as_sent():
    """`_send_within` frames a call as `send_bytes` does, whatever its size."""
    receive, send = multiprocessing.Pipe(duplex=False)
    for job in (b"", b"abc", os.urandom(3 << 20)):
        got: list[bytes] = []
        reader = threading.Thread(
            target=lambda got=got: got.append(receive.recv_bytes()), daemon=True
        )
        reader.start()
        assert isolation._send_within(send, job, 30)
        reader.join(30)
        assert got == [job]
    assert not isolation._send_within(send, os.urandom(1 << 20), 0.2)  # nobody reads it
    receive.close()
    with pytest.raises(OSError):
        isolation._send_within(send, b"abc", 1)


def _forked_workers(monkeypatch) -> list[int]:
    """Workers forked from this process (so they run what the test patched), each one's pid
    recorded, in the order started, in the list returned."""
    monkeypatch.setattr(isolation, "_context", lambda: multiprocessing.get_context("fork"))
    started: list[int] = []

    class Worker(isolation._Worker):
        def __init__(self, *args):
            super().__init__(*args)
            started.append(self.process.pid)

    monkeypatch.setattr(isolation, "_Worker", Worker)
    return started


def _wrong_worker(how: str, jobs, send, limits, keep) -> None:
    """In place of `_serve`: a worker that answers a call wrongly (`how`), then lingers."""
    number, _, _ = jobs.recv()
    if how == "another call's number":
        send.send(("took", number - 1))
    elif how == "no took":
        send.send(("ok", "not this call's answer", True))
    elif how == "unreadable":
        send.send_bytes(b"not a pickle")
    if how != "silent":
        send.send(("ok", "not this call's answer", True))
    time.sleep(600)  # (longer than the call's own time)


@pytest.mark.parametrize("how", ["another call's number", "no took", "unreadable", "silent"])
def test_a_call_a_worker_does_not_take_as_sent_goes_to_a_child_of_its_own(monkeypatch, how):
    started = _forked_workers(monkeypatch)
    monkeypatch.setattr(isolation, "_serve", functools.partial(_wrong_worker, how))
    # Only a worker that says nothing is given up for its time; the others for what they say.
    monkeypatch.setattr(isolation, "WORKER_TAKE_SECONDS", 0.5 if how == "silent" else 60)
    limits = ChildLimits(timeout_seconds=30)  # (the call's own time)
    assert _reused(len, b"abc", limits=limits) == 3
    assert len(started) == 1
    assert not _alive(started[0])
    assert isolation._workers == {}


def test_each_call_to_a_worker_has_its_own_processor_time():
    limits = ChildLimits(cpu_seconds=1, timeout_seconds=60)
    pids = {_reused(_spin, 0.7, limits=limits) for _ in range(3)}  # 2.1 s in all
    assert len(pids) == 1


def _spin(seconds: float) -> int:
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
    return os.getpid()


def test_a_call_past_its_processor_time_stops_the_worker():
    limits = ChildLimits(cpu_seconds=1, timeout_seconds=60)
    pid = _reused(os.getpid, limits=limits)
    assert isolation._workers[limits].process.pid == pid  # the next call goes to it
    with pytest.raises(ChildFailed, match="processor time"):
        _reused(sum, range(10**12), limits=limits)
    assert not _alive(pid)
    assert _reused(len, b"ab", limits=limits) == 2


def test_a_worker_keeps_its_memory_limit():
    limits = ChildLimits(memory_mb=256)
    pid = _reused(os.getpid, limits=limits)
    assert isolation._workers[limits].process.pid == pid  # the next call goes to it
    with pytest.raises(ChildFailed, match="memory"):
        _reused(_allocate, 512, limits=limits)
    assert not _alive(pid)
    assert _reused(len, b"abc", limits=limits) == 3


def test_each_call_to_a_worker_has_its_memory_limit_on_top_of_what_it_holds():
    limits = ChildLimits(memory_mb=256)
    pid = _reused(_hold, 128, limits=limits)  # kept: within what a worker may keep
    assert _reused(_allocate, 192, limits=limits) == pid  # 128 + 192 > 256, yet its own 192 fit


def _allocate(mb: int) -> int:
    block = bytearray(mb * 1024**2)
    block[::4096] = b"x" * len(block[::4096])  # touched, not only reserved
    return os.getpid()


def test_a_worker_past_its_time_is_stopped():
    limits = ChildLimits(timeout_seconds=1)
    pid = _reused(os.getpid, limits=limits)
    with pytest.raises(ChildFailed, match="longer than 1 s"):
        _reused(time.sleep, 60, limits=limits)
    assert not _alive(pid)


def test_a_call_that_leaves_a_thread_running_leaves_no_worker_behind():
    pid = _reused(_answer_then_linger)
    assert isolation._workers == {}
    assert _reused(os.getpid) != pid


def test_a_worker_that_answered_at_once_is_not_sent_another_call():
    pid = _reused(_answer_at_once)
    assert pid != os.getpid()
    assert isolation._workers == {}
    assert _reused(os.getpid) != pid


def _answer_at_once() -> int:
    threading.Thread(target=isolation.answer_now, args=(os.getpid(),)).start()
    time.sleep(60)
    return 0


def test_giving_up_on_a_call_stops_its_worker(tmp_path: Path):
    note = tmp_path / "pid"
    running = start_isolated(_note_pid_then, note, 60, reuse=True)
    pid = _wait_for(note)
    running.close()
    assert not _alive(pid)
    assert isolation._workers == {}


@pytest.mark.parametrize("threaded", [False, True], ids=["forked", "from the fork server"])
def test_a_worker_idle_too_long_ends(monkeypatch, threaded):
    monkeypatch.setattr(isolation, "WORKER_IDLE_SECONDS", 0.2)
    with _threads(threaded):
        pid = _reused(os.getpid)
        assert not _alive(pid)
        assert _reused(os.getpid) != pid  # the call went to another worker


@contextmanager
def _threads(on: bool) -> Iterator[None]:
    """With `on`, a second thread runs meanwhile (so children come from the fork server)."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    if on:
        other.start()
    try:
        yield
    finally:
        stop.set()
        if on:
            other.join()


def test_a_worker_grown_past_what_is_kept_ends(monkeypatch):
    monkeypatch.setattr(isolation, "WORKER_KEEP_MB", 16)
    pid = _reused(_hold, 64)
    assert not _alive(pid)
    assert isolation._workers == {}


_held: list[bytes] = []


def _hold(mb: int) -> int:
    _held.append(os.urandom(1024) * (mb * 1024))
    return os.getpid()


def test_calls_at_the_same_time_each_have_a_worker(tmp_path: Path):
    results: list[int] = []
    calls = [
        threading.Thread(target=lambda: results.append(_reused(_meet, tmp_path, 2)))
        for _ in range(2)
    ]
    for call in calls:
        call.start()
    for call in calls:
        call.join()
    assert len(set(results)) == 2  # both ran at once (each waited for the other)
    assert len(isolation._workers) == 1  # one is kept; the other stopped


def _meet(folder: Path, count: int) -> int:
    """Wait until `count` calls are here, then answer (their process ids)."""
    (folder / str(os.getpid())).touch()
    for _ in range(600):
        if len(list(folder.iterdir())) >= count:
            return os.getpid()
        time.sleep(0.05)
    raise AssertionError("the other call never came")


def test_a_call_that_has_answered_leaves_its_worker_alone():
    first = start_isolated(os.getpid, reuse=True)
    pid = first.result()
    second = start_isolated(_parts_then, 3, reuse=True)  # the same worker, now the second's
    first.close()
    with pytest.raises(RuntimeError):
        first.result()
    assert second.result() == "done"
    assert _reused(os.getpid) == pid


@pytest.mark.parametrize("wrong", ["refused", "an error"])
def test_a_check_that_finds_the_file_wrong_leaves_no_worker_behind(wrong):
    good = template_bytes(Q3, recs(), basic_milestones())
    assert check(good, "plan.xlsx", period=Q3).report.ok
    (worker,) = isolation._workers.values()
    if wrong == "refused":
        outcome = check(b"not a workbook", "plan.xlsx", period=Q3)
    else:  # a workbook of another period than the one given
        outcome = check(good, "plan.xlsx", period=Period(2019, 4))
    assert not outcome.report.ok
    assert isolation._workers == {}
    assert not _alive(worker.process.pid)


def test_from_a_threaded_process_a_worker_comes_from_the_fork_server():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        first = _reused(os.getpid)
        assert _reused(os.getpid) == first != os.getpid()
        assert _reused(os.getppid) != os.getpid()  # a child of the fork server, not ours
    finally:
        stop.set()
        other.join()


def _sending_too_many(send, value) -> bool:
    """In place of a check child's `send_part`: after each part of milestones, many more rows
    of its own (a child gone wrong)."""
    sent = send(value)
    if value[0] == "milestones":
        part = value[1]
        more = pd.concat([part.assign(ref=part["ref"] + f"-{i}") for i in range(500)])
        send(("milestones", more))
    return sent


def test_a_check_child_that_sends_more_rows_than_two_sheets_hold_is_stopped(
    monkeypatch, tmp_path: Path
):
    """The import takes in no more than two sheets' rows: a child that sends more is stopped
    (not kept for the next check), the import is refused, and nothing is stored."""
    started = _forked_workers(monkeypatch)
    monkeypatch.setattr(importer, "send_part", functools.partial(_sending_too_many, send_part))
    store = Store(f"sqlite:///{tmp_path / 'plan.db'}")
    limits = Limits(max_sheet_rows=600)  # (the template's sheets reach row 504): 1,200 rows
    outcome = import_bytes(
        store,
        template_bytes(Q3, recs(), basic_milestones()),
        "plan.xlsx",
        period=Q3,
        imported_by="test",
        limits=limits,
    )
    [error] = outcome.report.errors
    assert "it sent more rows than two sheets may hold" in str(error)
    assert outcome.revision is None
    assert store.history().empty
    assert len(started) == 1
    assert isolation._workers == {}
    assert not _alive(started[0])


def _answer_while_parts_go() -> bytes:
    """A call that leaves a thread putting parts while its (large) answer is sent."""

    def keep_sending() -> None:
        for _ in range(40):
            send_part(b"p" * (1 << 20))

    threading.Thread(target=keep_sending, daemon=True).start()
    time.sleep(0.01)
    return b"r" * (8 << 20)


@pytest.mark.parametrize("reuse", [False, True])
def test_a_part_put_late_never_cuts_into_the_answer(reuse):
    """Parts and the answer are sent one whole message at a time, whichever thread puts them:
    the answer arrives as sent (no torn message, no caller waiting for bytes that never come)."""
    for _ in range(5):  # (torn, without the lock, in most tries)
        got: list[object] = []

        def call(got=got) -> None:
            try:
                running = start_isolated(
                    _answer_while_parts_go, limits=ChildLimits(timeout_seconds=30), reuse=reuse
                )
                got.append(running.result(lambda part: None))
            except Exception as exc:
                got.append(exc)

        caller = threading.Thread(target=call, daemon=True)
        caller.start()
        caller.join(60)
        assert not caller.is_alive(), "the caller waits for an answer that never comes"
        assert got == [b"r" * (8 << 20)]
