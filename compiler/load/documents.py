"""Located documents: the parsed data of one file plus a lazy way back to line:column for any field path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compiler.diagnostics import Diagnostic, Severity
from compiler.load.yamlread import DEFAULT_LIMITS, FieldPath, Limits, Parsed, marks_of, position_in


def field_path(path: FieldPath) -> str:
    """``('spec', 'apps', 0, 'name')`` → ``spec.apps[0].name``: how a reader finds the field in the file."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            out.append(f".{part}" if out else part)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file's fleet-relative POSIX path and its text. Reading it from disk is the loader edge's job."""

    path: str
    text: str


@dataclass(slots=True)
class Document:
    """One object of one file. Positions are computed on demand: only files with diagnostics pay for them."""

    source: SourceFile
    data: Any
    limits: Limits = DEFAULT_LIMITS
    _marks: Parsed | None = field(default=None, init=False, repr=False, compare=False)
    """Positions, parsed on the first diagnostic and kept: a file with many problems is re-read once, not each time."""

    @property
    def path(self) -> str:
        return self.source.path

    def position(self, path: FieldPath, *, key: bool = False) -> tuple[int, int]:
        if self._marks is None:
            self._marks = marks_of(self.source.text, self.limits)
        return position_in(self._marks, path, key=key)

    def diagnostic(
        self,
        path: FieldPath,
        code: str,
        message: str,
        hint: str,
        *,
        key: bool = False,
        severity: Severity = Severity.ERROR,
    ) -> Diagnostic:
        line, column = self.position(path, key=key)
        return Diagnostic(self.path, line, column, code, message, hint, field_path(path), severity)
