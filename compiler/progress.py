"""Progress of a long run on stderr: stage names and counts, one line rewritten in place, for a person watching.

Why it exists: ``relc compile``, ``validate`` and ``report`` on a 10,000-tenant fleet run for seconds with no
output. Why it is this small: it must cost nothing when off (the default everywhere but an interactive terminal)
and next to nothing when on, so there is no thread and no timer. A command announces its stages
(:meth:`Progress.stage`) and, inside a long one, its counts (:meth:`Progress.advance`); the line is drawn at those
calls only, and only once the run has lasted ``delay`` seconds (a fast run prints nothing at all) and then at
most every ``REDRAW`` seconds. :meth:`Progress.close` erases the line, so the command's own output starts on a
clean line and nothing of the progress stays on the screen.

Whether it is on is decided at the edge (:func:`wanted`: the CLI's ``--progress/--no-progress``, else a terminal
on both stdout and stderr and no ``CI`` in the environment); the core gets a :class:`ProgressSettings` in its
frozen options and makes its :class:`Progress` from it with :func:`start`. Progress never touches stdout, so it
can never end up in a JSON output.

Use, for any command (``relc report`` included)::

    progress = start(opts.progress, console.err)
    try:
        progress.stage("render", total=len(tenants), unit="tenants")
        for tenant in tenants:
            ...
            progress.advance()
    finally:
        progress.close()
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, TextIO

DEFAULT_DELAY: Final = 1.0
"""Seconds a run lasts before its progress is shown: below that a line would only flicker."""
REDRAW: Final = 0.1
"""Seconds between two redraws of the line inside a stage: ten a second reads as live and costs nothing."""
CLEAR: Final = "\r\x1b[K"
"""Carriage return, then erase to the end of the line (ECMA-48 EL): every terminal relc runs in knows it."""


@dataclass(frozen=True, slots=True)
class ProgressSettings:
    """What the CLI decided: show progress or not, and after how long (tests lower ``delay`` to 0)."""

    enabled: bool = False
    delay: float = DEFAULT_DELAY


OFF: Final = ProgressSettings()
"""The default of every options object: library callers and tests get no progress unless they ask."""


def wanted(flag: bool | None, *, stdout_tty: bool, stderr_tty: bool, env: Mapping[str, str]) -> bool:
    """``--progress``/``--no-progress`` when given; otherwise only for a person at a terminal: both streams are
    terminals (stdout piped or redirected means a program reads the output) and ``CI`` is unset or empty
    (CI services set it, and some give jobs a pseudo-terminal whose log would fill with redrawn lines)."""
    if flag is not None:
        return flag
    return stdout_tty and stderr_tty and not env.get("CI")


@dataclass(slots=True)
class Progress:
    """One run's progress line. ``stream`` None: every method returns at once (the cost of progress when off)."""

    stream: TextIO | None
    delay: float = DEFAULT_DELAY
    clock: Callable[[], float] = time.monotonic
    _started: float = field(init=False, default=0.0)
    _drawn_at: float | None = field(init=False, default=None)
    _shown: bool = field(init=False, default=False)
    _stage: str = field(init=False, default="")
    _unit: str = field(init=False, default="")
    _done: int = field(init=False, default=0)
    _total: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._started = self.clock() if self.stream is not None else 0.0

    def stage(self, name: str, total: int | None = None, unit: str = "") -> None:
        """A new stage begins: ``name`` (a verb or a pipeline stage), ``total`` items of ``unit`` if known."""
        if self.stream is None:
            return
        self._stage, self._unit, self._done, self._total = name, unit, 0, total
        self._draw(force=True)

    def advance(self, count: int = 1) -> None:
        """``count`` more items of the current stage are done."""
        if self.stream is None:
            return
        self._done += count
        self._draw(force=False)

    def tick(self) -> None:
        """Nothing more is done, but time passes: redraw the clock (called while waiting on workers)."""
        if self.stream is not None:
            self._draw(force=False)

    def close(self) -> None:
        """Erase the line (if one was drawn): what the command prints next starts at the left margin."""
        if self.stream is not None and self._shown:
            self.stream.write(CLEAR)
            self.stream.flush()
            self._shown = False

    def line(self) -> str:
        """The text drawn for the current state, e.g. ``relc: render 1,200/4,000 tenants (2.3 s)``."""
        if self._total is not None:
            counts = f" {self._done:,}/{self._total:,}"
        else:
            counts = f" {self._done:,}" if self._done else ""
        unit = f" {self._unit}" if self._unit and counts else ""
        return f"relc: {self._stage}{counts}{unit} ({self.clock() - self._started:.1f} s)"

    def _draw(self, *, force: bool) -> None:
        assert self.stream is not None
        now = self.clock()
        if now - self._started < self.delay:
            return
        if not force and self._drawn_at is not None and now - self._drawn_at < REDRAW:
            return
        self.stream.write(CLEAR + self.line())
        self.stream.flush()
        self._drawn_at, self._shown = now, True


def start(settings: ProgressSettings, stream: TextIO) -> Progress:
    """The run's progress on ``stream`` (stderr) if the settings enable it; a silent one otherwise."""
    return Progress(stream if settings.enabled else None, settings.delay)
