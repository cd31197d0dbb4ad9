"""Run one function over chunks of a sequence in fork()ed children: an execution edge, and relc's only one.

Three stages use it, with the same ``--jobs`` (:class:`Workers`): parsing the fleet (compiler.load.parallel),
emitting rendered/ (compiler.emit.tree) and editing many tenant files (compiler.edit, ``relc promote``). Why
fork and not a pool: the larger work is emitting and writing rendered/ (~1 GB at 10,000 tenants), and its input is
the whole rendered fleet already in the parent's memory. A forked child sees it for free (copy-on-write), so
nothing but each chunk's small result crosses a process boundary, and the function may be a closure over
anything (paths, a test's injected writer) without being picklable itself.

Why children pull chunks instead of taking fixed shares: the cost of a file varies (a tenant's migrations.yaml
is most of its bytes) and so does the speed of a core on a shared VM (measured here: the same loop 1.3 s on one
core, 2.0 s on the other, minutes apart), so with two fixed halves one worker sat idle for seconds while the other
finished. Contiguous chunks (a tenant's files stay together, so its layout is computed once) are handed out
through a pipe holding their numbers: each child reads the next number when it is free, until the pipe is empty.

The contract: one result per chunk, returned in chunk order (whichever child made it, so the caller's merge is
deterministic); an exception raised in a child is re-raised in the parent with its own type and message (an
``OSError`` such as ENOSPC, a :class:`~compiler.diagnostics.RelcError`), the child's traceback attached as a note;
a child that dies without a result (killed) is an error too. Every child has exited and been reaped before this
module returns or raises, so a caller's ``finally`` (removing a staging directory) never races a child still
writing into it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import selectors
import signal
import struct
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_OK, _RAISED, _REBUILT, _UNPICKLABLE = "ok", "raised", "rebuilt", "unpicklable"
_CHUNK = 1 << 16
_NUMBER = struct.Struct("<I")  # a chunk number in the work pipe; reads of 4 bytes from a pipe are atomic
MAX_CHUNKS = 4096  # their numbers (16 KiB) fit a pipe's buffer, so the parent never blocks filling it
MAX_CHUNK = 512

HEARTBEAT = 0.1
"""Seconds between two calls of a waiting parent's heartbeat (:func:`fan_out`)."""

EMIT_THRESHOLD = 200
"""Fewer rendered files than this are emitted, compared and written in-process whatever ``workers`` says.

Measured: a file costs ~0.27 ms to render, emit and write (1,000 tenants: 4,075 files in ~1.1 s of CPU), and
forking two workers, collecting and reaping them costs ~2.5 ms from a small parent, more from a large one (its
page tables are copied). 200 files (~50 ms of work) is where a second process clearly pays."""

EDIT_THRESHOLD = 64
"""Fewer tenant files than this are edited in-process (``relc promote``): ruamel.yaml composes a tenant file in
pure Python, ~3 ms each, so a few dozen files already outweigh forking even from a parent holding a large fleet."""

PARSE_THRESHOLD = 2000
"""Fewer fleet files than this are parsed in-process whatever ``workers`` says.

Parsing is cheap per file (~0.1-0.15 ms: 5,073 bench/fleetgen.py files in 0.3-0.5 s serially) and, unlike
emitting, its result is big: every document is pickled back and unpickled in the parent, about a third of the
parse cost again. Measured on this 2-core VM, two workers did not beat the serial parse below ~2,000 files."""


@dataclass(frozen=True, slots=True)
class Workers:
    """How a command may fork: one setting, decided by the CLI (``--jobs``) and carried in its frozen options,
    for every stage that forks (parsing the fleet, emitting rendered/). The core never counts cores itself."""

    count: int = 1
    """processes to use; 1: never fork"""
    min_items: int | None = None
    """fork from this many items on; None: each stage's measured threshold (tests set 0 to force forking)"""

    def threshold(self, measured: int) -> int:
        return measured if self.min_items is None else self.min_items


SERIAL = Workers()
"""No forking: the default of the core's functions (tests and library callers); the CLI always decides."""


class WorkerDied(RuntimeError):
    """A child ended without sending a result: killed (OOM killer, kill -9) or it crashed the interpreter."""


def fan_out(
    func: Callable[[Sequence[T]], R],
    items: Sequence[T],
    *,
    workers: int,
    threshold: int,
    heartbeat: Callable[[], None] | None = None,
) -> list[R]:
    """``func`` over contiguous chunks of ``items`` (:func:`chunks`) in ``workers`` forked children, each taking
    the next chunk when it is free; one result per chunk, in chunk order.

    With ``workers`` < 2, fewer than ``threshold`` items or no ``os.fork``, ``func`` runs once, in-process, over
    all of ``items``: below the stage's threshold (:data:`EMIT_THRESHOLD`, :data:`PARSE_THRESHOLD`) the fork costs
    more than it saves, and tests stay simple. ``heartbeat`` is called in the parent about every
    :data:`HEARTBEAT` seconds while it waits for the children (a progress line redraws its clock there).
    """
    if workers < 2 or len(items) < max(threshold, 2) or not hasattr(os, "fork"):
        return [func(items)]
    bounds = chunks(len(items), workers)
    numbers, feed = os.pipe()
    try:
        os.write(feed, b"".join(_NUMBER.pack(n) for n in range(len(bounds))))
    finally:
        os.close(feed)  # children read to EOF: no more chunks

    def work() -> list[tuple[int, R]]:
        done: list[tuple[int, R]] = []
        while raw := os.read(numbers, _NUMBER.size):
            (n,) = _NUMBER.unpack(raw)
            start, stop = bounds[n]
            done.append((n, func(items[start:stop])))
        return done

    children: list[tuple[int, int]] = []
    try:
        for _ in range(min(workers, len(bounds))):
            children.append(_spawn(work))
    except BaseException:  # a fork failing (EAGAIN, ENOMEM) or Ctrl-C: no child may outlive this call; re-raised
        _reap(children)
        raise
    finally:
        os.close(numbers)
    collected: list[list[tuple[int, R]]] = _collect(children, heartbeat)
    return [result for _, result in sorted((pair for part in collected for pair in part), key=lambda p: p[0])]


def chunks(count: int, workers: int) -> list[tuple[int, int]]:
    """(start, stop) of contiguous chunks covering ``count`` items: about eight per worker, so the last one to
    finish leaves little idle time, between 1 and MAX_CHUNK items each, never more than MAX_CHUNKS of them."""
    size = min(MAX_CHUNK, max(1, -(-count // (workers * 8))))
    size = max(size, -(-count // MAX_CHUNKS))
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def _spawn(func: Callable[[], R]) -> tuple[int, int]:
    """Fork one child running ``func()``; return its pid and the read end of its result pipe."""
    read, write = os.pipe()
    for stream in (sys.stdout, sys.stderr):  # nothing buffered before the fork may be written twice
        if stream is not None:
            stream.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.close(read)
            _silence()
            _send(write, _outcome(func))
            code = 0
        finally:
            os._exit(code)  # no atexit handlers, no flushing of buffers inherited from the parent
    os.close(write)
    return pid, read


def _silence() -> None:
    """The child must never write to the parent's stdout/stderr (a CLI's output, a test runner's capture)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives until os._exit


def _outcome(func: Callable[[], R]) -> bytes:
    """The pickled result of ``func()``, or of the exception it raised."""
    try:
        return pickle.dumps((_OK, func()), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:  # the one legitimate catch-all: not handled here, shipped to the parent to re-raise
        return _pickled_error(exc)


def _pickled_error(exc: BaseException) -> bytes:
    """``exc`` as it will be re-raised in the parent; its repr and traceback if it does not survive pickling.

    Exceptions pickle as ``type(*args)`` plus their ``__dict__``, which rebuilds most (OSError and its errno
    included) but not one whose ``__init__`` takes other arguments than it passes on (``InvalidInput`` takes
    diagnostics and passes a message): those are rebuilt without calling ``__init__``. Either way the copy is
    checked against the original in the child, where the original is still at hand.
    """
    text = "".join(traceback.format_exception(exc))
    try:
        data = pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            if _faithful(exc, pickle.loads(data)):
                return pickle.dumps((_RAISED, data, text))
        except TypeError:  # its __init__ rejects its own args (a missing argument): rebuilt the other way below
            pass
        data = pickle.dumps((type(exc), exc.args, vars(exc)), protocol=pickle.HIGHEST_PROTOCOL)
        if _faithful(exc, _rebuilt(data)):
            return pickle.dumps((_REBUILT, data, text))
        failure = "its copy differs"
    except BaseException as error:  # same use: the parent is told what was raised and why it could not be sent
        failure = repr(error)
    return pickle.dumps((_UNPICKLABLE, f"{exc!r} (could not be sent to the parent: {failure})", text))


def _faithful(original: BaseException, copy: BaseException) -> bool:
    return type(copy) is type(original) and copy.args == original.args and str(copy) == str(original)


def _rebuilt(data: bytes) -> BaseException:
    cls, args, state = pickle.loads(data)
    exc: BaseException = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


def _send(fd: int, data: bytes) -> None:
    with os.fdopen(fd, "wb") as pipe:
        pipe.write(data)


def _collect(children: list[tuple[int, int]], heartbeat: Callable[[], None] | None = None) -> list[R]:
    """Read every child's pipe to EOF concurrently, reap them all, then return results or raise the first error.

    Concurrently because a child blocks writing a result larger than the pipe buffer until it is read; and on
    any failure (a child's exception or death, Ctrl-C in the parent) the rest are killed: their work is moot.
    """
    received: dict[int, bytearray] = {fd: bytearray() for _, fd in children}
    payloads: dict[int, tuple[Any, ...] | None] = {}
    statuses: dict[int, int] = {}
    failed: int | None = None  # the first child to fail; the others are killed for its sake
    try:
        with selectors.DefaultSelector() as selector:
            for _, fd in children:
                selector.register(fd, selectors.EVENT_READ)
            while len(payloads) < len(children):
                ready = selector.select(HEARTBEAT if heartbeat is not None else None)
                if heartbeat is not None:
                    heartbeat()
                for key, _ in ready:
                    chunk = os.read(key.fd, _CHUNK)
                    if chunk:
                        received[key.fd] += chunk
                        continue
                    selector.unregister(key.fd)
                    payload = payloads[key.fd] = pickle.loads(received[key.fd]) if received[key.fd] else None
                    if payload is None or payload[0] != _OK:
                        failed = key.fd
                        _kill([pid for pid, fd in children if fd not in payloads])
                        payloads.update({fd: payloads.get(fd) for _, fd in children})
                        break
        for pid, _ in children:
            statuses[pid] = os.waitpid(pid, 0)[1]
    finally:
        _reap([(pid, fd) for pid, fd in children if pid not in statuses])
        for pid, fd in children:
            if pid in statuses:
                os.close(fd)
    if failed is not None:
        n, pid = next((n, pid) for n, (pid, fd) in enumerate(children) if fd == failed)
        worker = f"worker {n + 1} of {len(children)} (pid {pid})"
        payload = payloads[failed]
        if payload is not None:
            _reraise(payload, worker)
        status = statuses[pid]
        how = f"killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit {os.WEXITSTATUS(status)}"
        raise WorkerDied(f"{worker} ended without a result ({how})")
    return [payload[1] for payload in (payloads[fd] for _, fd in children) if payload is not None]


def _reap(children: list[tuple[int, int]]) -> None:
    """Kill, wait for and close the pipes of children whose results are no longer wanted."""
    _kill([pid for pid, _ in children])
    for pid, fd in children:
        os.waitpid(pid, 0)
        os.close(fd)


def _kill(pids: list[int]) -> None:
    """SIGKILL: a child holds nothing worth cleaning up (the caller removes what it wrote)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # unreaped children always exist; this is belt and braces
            os.kill(pid, signal.SIGKILL)


def _reraise(payload: tuple[Any, ...], worker: str) -> NoReturn:
    """Raise in the parent what a child raised: the same exception, or a RuntimeError describing it."""
    kind, body, text = payload
    if kind in (_RAISED, _REBUILT):
        exc: BaseException = pickle.loads(body) if kind == _RAISED else _rebuilt(body)
        exc.add_note(f"raised in {worker}:\n{text}")
        raise exc
    raise RuntimeError(f"{worker} raised {body}\n{text}")
