"""compiler.emit.fanout: forked shares come back in order, and whatever a child raises is raised in the parent."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from compiler.diagnostics import Diagnostic, InvalidInput, UsageError
from compiler.emit.fanout import WorkerDied, fan_out, shares


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


def test_shares_run_in_children_and_come_back_in_order() -> None:
    results = fan_out(pids, list(range(10)), workers=3, threshold=0)
    assert [share for _, share in results] == shares(list(range(10)), 3)
    workers = {pid for pid, _ in results}
    assert len(workers) == 3 and os.getpid() not in workers


def test_shares_are_equal_ordered_the_same_every_time_and_break_periodic_costs() -> None:
    items = list(range(1000))
    dealt = shares(items, 2)
    assert dealt == shares(items, 2)
    assert sorted(dealt[0] + dealt[1]) == items and [len(s) for s in dealt] == [500, 500]
    assert all(s == sorted(s) for s in dealt)
    odd = [sum(n % 2 for n in s) for s in dealt]  # every other item is the expensive one: striding would give 0/500
    assert all(200 < n < 300 for n in odd)


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

    assert fan_out(func, list(range(5)), workers=2, threshold=0) == [3, 2]
    assert capfd.readouterr() == ("", "")


def test_large_results_from_every_child_do_not_deadlock() -> None:
    def func(share: Sequence[int]) -> bytes:
        return bytes(3_000_000) + bytes(share)

    results = fan_out(func, list(range(4)), workers=2, threshold=0)
    assert [len(r) for r in results] == [3_000_002, 3_000_002]
