"""compiler.fanout: chunks run in forked children, come back in order; what a child raises, the parent raises."""

from __future__ import annotations

import itertools
import os
import pickle
import re
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from compiler.diagnostics import Diagnostic, InvalidInput, UsageError
from compiler.diagnostics.errors import CycleError
from compiler.fanout import MAX_CHUNK, MAX_CHUNKS, WorkerDied, chunks, fan_out


class DiskFull(OSError):
    pass


class TwoParts(Exception):
    def __init__(self, a: str, b: str) -> None:  # default pickling calls TwoParts("one and two"): a TypeError
        super().__init__(f"{a} and {b}")
        self.parts = (a, b)


class Unpicklable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.callback = lambda: message


def pids(share: Sequence[int]) -> tuple[int, list[int]]:
    return os.getpid(), list(share)


def test_chunks_run_in_children_and_come_back_in_chunk_order() -> None:
    results = fan_out(pids, list(range(10)), workers=3, threshold=0)
    assert [chunk for _, chunk in results] == [[n] for n in range(10)]
    workers = {pid for pid, _ in results}
    assert 1 <= len(workers) <= 3 and os.getpid() not in workers


@pytest.mark.parametrize(("count", "workers"), [(1, 2), (10, 3), (4075, 2), (40075, 2), (3_000_000, 8)])
def test_chunks_cover_everything_in_order_about_eight_per_worker(count: int, workers: int) -> None:
    found = chunks(count, workers)
    assert found[0][0] == 0 and found[-1][1] == count
    assert all(stop == start for (_, stop), (start, _) in itertools.pairwise(found))
    assert len(found) <= MAX_CHUNKS
    assert all(stop - start <= max(MAX_CHUNK, -(-count // MAX_CHUNKS)) for start, stop in found)
    assert len(found) >= min(count, workers * 8) or found[0][1] - found[0][0] == MAX_CHUNK


def test_a_free_worker_takes_the_next_chunk_while_another_is_busy(tmp_path: Path) -> None:
    def func(chunk: Sequence[int]) -> int:
        if 0 in chunk:
            time.sleep(1.0)
        return os.getpid()

    done_by = fan_out(func, list(range(20)), workers=2, threshold=0)
    slow = done_by[0]
    assert done_by.count(slow) <= 2 and len(set(done_by)) == 2  # the other child did (nearly) all the rest


@pytest.mark.parametrize(("workers", "threshold"), [(1, 0), (4, 11)])
def test_one_worker_or_few_items_run_in_process(workers: int, threshold: int) -> None:
    assert fan_out(pids, list(range(10)), workers=workers, threshold=threshold) == [(os.getpid(), list(range(10)))]


def raise_on(value: int, exc: BaseException) -> Callable[[Sequence[int]], None]:
    def func(share: Sequence[int]) -> None:
        if value in share:
            raise exc

    return func


@pytest.mark.parametrize(
    "exc",
    [
        DiskFull(28, "No space left on device", "/x/y.yaml"),
        UsageError("output folder 'x' is not a directory", "remove it"),
        InvalidInput([Diagnostic("tenants/a.yaml", 3, 1, "RLC301", "no such candidate", "hint")]),
        CycleError(["entity", "payments"], "candidate q2-2025"),
        KeyError("name"),
        TwoParts("one", "two"),
    ],
)
def test_a_childs_exception_is_raised_in_the_parent_with_its_type_and_data(exc: BaseException) -> None:
    with pytest.raises(type(exc)) as raised:
        fan_out(raise_on(3, exc), list(range(6)), workers=2, threshold=0)
    assert type(raised.value) is type(exc)
    assert str(raised.value) == str(exc)
    assert vars(raised.value) | {"__notes__": None} == vars(exc) | {"__notes__": None}
    assert re.match(r"raised in worker [12] of 2 \(pid \d+\):\n", raised.value.__notes__[0])  # + its traceback
    assert "in func" in raised.value.__notes__[0]


def test_an_exception_that_cannot_be_pickled_becomes_a_runtime_error_with_its_repr() -> None:
    with pytest.raises(RuntimeError, match=r"Unpicklable\('a lambda inside'\) \(could not be sent") as raised:
        fan_out(raise_on(0, Unpicklable("a lambda inside")), list(range(6)), workers=2, threshold=0)
    assert "Traceback" in str(raised.value) and "in func" in str(raised.value)


def test_a_killed_child_is_an_error() -> None:
    def func(share: Sequence[int]) -> None:
        if 1 in share:
            os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(WorkerDied, match=r"worker [12] of 2 .* ended without a result \(killed by signal 9\)"):
        fan_out(func, list(range(6)), workers=2, threshold=0)


def test_on_a_failure_the_other_children_are_killed_and_reaped_before_it_is_raised(tmp_path: Path) -> None:
    sleeper = tmp_path / "sleeper"

    def func(share: Sequence[int]) -> None:
        if 0 in share:
            sleeper.write_text(str(os.getpid()))
            time.sleep(60)
        while not sleeper.exists():
            time.sleep(0.01)
        raise DiskFull(28, "No space left on device")

    started = time.monotonic()
    with pytest.raises(DiskFull):
        fan_out(func, list(range(4)), workers=2, threshold=0)
    assert time.monotonic() - started < 30
    with pytest.raises(ProcessLookupError):  # killed and reaped, not a zombie
        os.kill(int(sleeper.read_text()), 0)


def test_children_never_write_to_the_parents_output(capfd: pytest.CaptureFixture[str]) -> None:
    def func(share: Sequence[int]) -> int:
        print("from a child")
        os.write(2, b"from a child's fd 2\n")
        return len(share)

    assert fan_out(func, list(range(5)), workers=2, threshold=0) == [1, 1, 1, 1, 1]
    assert capfd.readouterr() == ("", "")


def test_large_results_from_every_child_do_not_deadlock() -> None:
    def func(share: Sequence[int]) -> bytes:
        return bytes(3_000_000) + bytes(share)

    results = fan_out(func, list(range(4)), workers=2, threshold=0)
    assert [len(r) for r in results] == [3_000_001] * 4


@pytest.mark.parametrize(
    "exc",
    [InvalidInput([Diagnostic("a.yaml", 1, 2, "RLC301", "m", "h")]), CycleError(["a", "b"], "candidate c")],
)
def test_relc_errors_carrying_data_pickle_as_themselves(exc: Exception) -> None:
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is type(exc) and str(copy) == str(exc) and vars(copy) == vars(exc)
