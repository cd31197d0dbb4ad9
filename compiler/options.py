"""Frozen option objects: what the CLI hands to the core. The core never reads flags, env or the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from compiler.diagnostics.report import OutputFormat


@dataclass(frozen=True, slots=True)
class ValidateOptions:
    root: Path
    today: date
    output: OutputFormat = OutputFormat.TEXT
    rendered: bool = False
    strict: bool = False  # warnings fail the run too


@dataclass(frozen=True, slots=True)
class SchemaOptions:
    out_dir: Path
