"""Shared helpers for the output-validation tests: example rendered/ trees run through the real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from compiler.cli import main

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "examples"
VALID = EXAMPLES / "valid" / "all-families"


def copy_case(case: Path, target: Path) -> Path:
    """A writable copy of a case (a folder holding rendered/); returns the copy's root."""
    shutil.copytree(case, target)
    return target


def validate_rendered(root: Path, *extra: str, env: dict[str, str] | None = None) -> Result:
    args = ["validate", "--rendered", "--root", str(root), "--format", "json", *extra]
    return CliRunner().invoke(main, args, env=env)


def found(result: Result) -> list[str]:
    """``file:line:code field`` of each diagnostic, in report order."""
    report: dict[str, Any] = json.loads(result.output)
    return [f"{d['file']}:{d['line']}:{d['code']} {d['field']}".rstrip() for d in report["diagnostics"]]
