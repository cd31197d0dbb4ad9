"""One problem type for everything relc-migrate finds in a migrations folder, and the error that carries them.

Every message names the file, the line and the rule, and says how to fix it: these are read by service
developers in CI, long before a tenant is touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem in one file of a migrations folder."""

    file: str  #: path relative to the folder's parent, e.g. ``auth/V1.0.0__01_init.sql``
    line: int  #: 1-based; 0 when the problem is the file as a whole (its name, its absence)
    rule: str  #: stable rule name, the one an allow marker names
    message: str
    fix: str
    severity: Severity = "error"

    def render(self) -> str:
        """``file:line: severity [rule] message; fix: ...`` — one line, grep- and editor-friendly."""
        return f"{self.file}:{self.line}: {self.severity} [{self.rule}] {self.message}; fix: {self.fix}"

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
        }


class MigrationFilesError(ValueError):
    """The migrations folder is not usable: it carries the findings that say why (exit code 2)."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings = tuple(findings)
        super().__init__("\n".join(f.render() for f in self.findings))
