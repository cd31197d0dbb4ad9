"""Typed errors. Each carries the data a caller needs; one top-level handler (compiler.app) maps them to exits."""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from enum import IntEnum

from compiler.diagnostics.core import Diagnostic


class ExitCode(IntEnum):
    OK = 0
    INVALID = 1  # invalid input, or --check found stale output
    USAGE = 2  # bad command line, missing folders, unreadable configuration
    INTERNAL = 3  # a bug in relc: reported as such, never as a traceback
    ENVIRONMENT = 4  # the machine failed an input read or an output write (disk full, read-only, permissions, I/O)


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


_HINTS = {
    errno.ENOSPC: "Free space on that filesystem, then run the command again.",
    errno.EDQUOT: "The disk quota is used up: free space or raise the quota, then run the command again.",
    errno.EFBIG: "A file size limit stops the write (ulimit -f, or the filesystem's): raise it or write elsewhere.",
    errno.EROFS: "The filesystem is mounted read-only: remount it read-write or write elsewhere.",
    errno.EACCES: "The user running relc may not do this: check the path's owner and permissions.",
    errno.EPERM: "The user running relc may not do this: check the path's owner, permissions and attributes.",
    errno.EIO: "The device reported an I/O error: check the disk (dmesg) before trusting what is on it.",
    errno.EMFILE: "Too many open files: raise the limit (ulimit -n) or run with fewer --jobs.",
}


class EnvironmentFailure(RelcError):
    """The machine, not the input, failed: an ``OSError`` reading an input or writing output (ENOSPC, EROFS,
    EACCES, EIO…). Its own exit code, because a retry elsewhere (another disk, more space) can succeed where fixing
    the command line or the fleet would not; and its message always names the path and the OS's reason.

    ``outcome`` says what became of the output (writers are atomic: "rendered/ is unchanged")."""

    exit_code = ExitCode.ENVIRONMENT

    def __init__(self, action: str, path: str, code: int | None, reason: str, outcome: str = "") -> None:
        self.action = action
        self.path = path
        self.code = code
        self.reason = reason
        self.outcome = outcome
        name = errno.errorcode.get(code, "") if code is not None else ""
        super().__init__(f"cannot {action} '{path}': {reason}{f' [{name}]' if name else ''}")

    @classmethod
    def of(
        cls, exc: OSError, action: str, path: str | os.PathLike[str] | None = None, outcome: str = ""
    ) -> EnvironmentFailure:
        """From ``exc``, naming ``path`` (or the path the OS named, or else the placeholder that says none was)."""
        where = path if path is not None else exc.filename
        reason = exc.strerror or (os.strerror(exc.errno) if exc.errno else "") or str(exc) or type(exc).__name__
        return cls(
            action, os.fsdecode(where) if where is not None else "(the OS named no path)", exc.errno, reason, outcome
        )

    @property
    def hint(self) -> str:
        return " ".join(part for part in (self.outcome, _HINTS.get(self.code or 0, "")) if part)

    def __reduce__(self) -> tuple[type[EnvironmentFailure], tuple[str, str, int | None, str, str]]:
        """Pickled as its constructor's arguments (it crosses from an emit worker to the parent)."""
        return type(self), (self.action, self.path, self.code, self.reason, self.outcome)
