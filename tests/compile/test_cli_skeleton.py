"""relc compile through the CLI on the example fleet: writes rendered/, then --check holds."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from compiler.cli import main
from tests.conftest import TODAY


def test_compile_then_check_passes(example_fleet: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["compile", "--root", str(example_fleet), "--today", TODAY])
    assert first.exit_code == 0, first.output
    assert (example_fleet / "rendered").is_dir()
    again = runner.invoke(main, ["compile", "--root", str(example_fleet), "--today", TODAY, "--check"])
    assert again.exit_code == 0, again.output
    assert "up to date" in again.output
