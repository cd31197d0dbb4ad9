"""Typed errors. Each carries the data a caller needs; one top-level handler (compiler.app) maps them to exits."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from compiler.diagnostics.core import Diagnostic


class ExitCode(IntEnum):
    OK = 0
    INVALID = 1  # invalid input, or --check found stale output
    USAGE = 2  # bad command line, missing folders, unreadable configuration
    INTERNAL = 3  # a bug in relc: reported as such, never as a traceback


class RelcError(Exception):
    """Base of every error relc raises on purpose."""

    exit_code: ExitCode = ExitCode.INVALID


class UsageError(RelcError):
    exit_code = ExitCode.USAGE

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InvalidInput(RelcError):
    """The fleet is invalid: the diagnostics say where and why."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} problem(s) in the input")
        self.diagnostics = tuple(diagnostics)

    def __reduce__(self) -> tuple[type[InvalidInput], tuple[tuple[Diagnostic, ...]]]:
        """Pickled as its constructor's arguments (it crosses from an emit worker to the parent)."""
        return type(self), (self.diagnostics,)


class CycleError(RelcError):
    """A dependency cycle; ``cycle`` lists the nodes in order, the first repeated implicitly at the end."""

    def __init__(self, cycle: Sequence[str], context: str = "") -> None:
        self.cycle = tuple(cycle)
        self.context = context
        super().__init__(f"dependency cycle{' in ' + context if context else ''}: {self.describe()}")

    def __reduce__(self) -> tuple[type[CycleError], tuple[tuple[str, ...], str]]:
        """Pickled as its constructor's arguments (it crosses from an emit worker to the parent)."""
        return type(self), (self.cycle, self.context)

    def describe(self) -> str:
        return " -> ".join([*self.cycle, self.cycle[0]]) if self.cycle else "(empty)"
