"""Shared by the report tests: running ``relc report`` through the CLI and a snapshot of a folder's files."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from compiler.cli import main
from tests.conftest import TODAY

EXAMPLE_COMPONENTS = [
    "auth",
    "entity",
    "hubops-frontend",
    "mission-service",
    "payments",
    "uncrew-frontend",
    "utm-mission-service",
]
"""The example fleet's components that tenants run, by name: the columns of its fleet matrix."""


def run_report(root: Path, out: Path, *args: str, today: str | None = TODAY) -> Result:
    dated = ["--today", today] if today else []
    return CliRunner().invoke(main, ["report", "--root", str(root), "--out", str(out), *dated, *args])


@pytest.fixture
def site(example_fleet: Path, tmp_path: Path) -> Path:
    """The example fleet's HTML report (fixed --today)."""
    out = tmp_path / "site"
    result = run_report(example_fleet, out)
    assert result.exit_code == 0, result.output
    return out


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path → bytes): to show nothing on disk changed."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
