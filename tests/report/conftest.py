"""Shared by the report tests: running ``relc report`` through the CLI and a snapshot of a folder's files."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from compiler.cli import main
from tests.conftest import TODAY


def run_report(root: Path, out: Path, *args: str, today: str | None = TODAY) -> Result:
    dated = ["--today", today] if today else []
    return CliRunner().invoke(main, ["report", "--root", str(root), "--out", str(out), *dated, *args])


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path → bytes): to show nothing on disk changed."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
