"""Running `relc validate` the way a user does (click's runner, real files) and reading its JSON report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from compiler.cli import main
from tests.conftest import TODAY

ACME = "tenants/arematics-prod/acme.yaml"


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["validate", "--root", str(root), "--today", TODAY, *args])


def diagnostics(root: Path) -> tuple[int, list[dict[str, Any]]]:
    """Exit code and diagnostics of a JSON-format run; fails the test on a traceback or non-JSON output."""
    result = run(root, "--format", "json")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)["diagnostics"]


def codes_at(root: Path) -> set[str]:
    """``file:line:CODE`` of every diagnostic: the same shape as the negative examples' expect files."""
    _, found = diagnostics(root)
    return {f"{d['file']}:{d['line']}:{d['code']}" for d in found}
