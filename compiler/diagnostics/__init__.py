"""One diagnostic type for every problem relc reports, and the typed errors that carry them."""

from compiler.diagnostics.codes import CODES, Code
from compiler.diagnostics.core import Diagnostic, Severity, sort_key
from compiler.diagnostics.errors import (
    CycleError,
    EnvironmentFailure,
    ExitCode,
    InvalidInput,
    RelcError,
    UsageError,
)

__all__ = [
    "CODES",
    "Code",
    "CycleError",
    "Diagnostic",
    "EnvironmentFailure",
    "ExitCode",
    "InvalidInput",
    "RelcError",
    "Severity",
    "UsageError",
    "sort_key",
]
