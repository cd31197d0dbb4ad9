"""The Diagnostic record: where (file, line, column, field path), what (code, message) and how to fix (hint).

Every output format (text, JSON, GitHub annotations) is a rendering of this one record, so a problem reads the
same wherever it surfaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in one place. ``line``/``column`` are 1-based; 0 means "the whole file"."""

    file: str
    line: int
    column: int
    code: str
    message: str
    hint: str
    field: str = ""
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
        }


def sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    """Stable order for output: by place, then code, so reports diff cleanly between runs."""
    return (d.file, d.line, d.column, d.code, d.message)
