"""--jobs is the one forking setting: validate and graph parse on that many workers, through the one mechanism
(compiler.fanout), with the same output as a serial run; nothing else in compiler/ forks or counts cores."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main
from tests.conftest import REPO, TODAY


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the children compiler.fanout forks (counted in the parent, which is this test process)."""
    made: list[int] = []
    real = os.fork

    def counting() -> int:
        pid = real()
        if pid:
            made.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counting)  # compiler.fanout calls os.fork()
    return made


@pytest.mark.parametrize("command", [["validate"], ["graph"]])
def test_jobs_decides_the_parse_workers_and_changes_no_output(
    command: list[str], example_fleet: Path, forks: list[int]
) -> None:
    args = [*command, "--root", str(example_fleet), "--today", TODAY]
    serial = CliRunner().invoke(main, [*args, "--jobs", "1", "--fork-threshold", "0"])
    assert (serial.exit_code, forks) == (0, [])
    forked = CliRunner().invoke(main, [*args, "--jobs", "2", "--fork-threshold", "0"])
    assert forked.exit_code == 0
    assert len(forks) == 2
    assert forked.output == serial.output


def test_below_the_parse_threshold_nothing_forks(example_fleet: Path, forks: list[int]) -> None:
    result = CliRunner().invoke(main, ["validate", "--root", str(example_fleet), "--today", TODAY, "--jobs", "2"])
    assert (result.exit_code, forks) == (0, [])  # ~100 files, under PARSE_THRESHOLD


def test_only_the_cli_counts_cores_and_only_fanout_forks() -> None:
    found = []
    for path in sorted((REPO / "compiler").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(REPO).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"cpu_count", "fork", "sched_getaffinity"}:
                found.append(f"{rel}: {node.attr}")
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                found += [f"{rel}: import {m}" for m in modules if m.split(".")[0] in {"multiprocessing", "concurrent"}]
    assert found == ["compiler/cli.py: cpu_count", "compiler/fanout.py: fork"]
