"""Deterministic output: byte-identical across runs, processes (hash seeds), paths and input order."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.emit.tree import serialise
from compiler.load.discover import read_fleet
from compiler.load.documents import SourceFile
from compiler.model.build import build_fleet
from compiler.model.settings import Settings
from compiler.render.context import RenderContext
from compiler.render.pipeline import render_all
from compiler.resolve import resolve
from tests.compile.util import compile_fleet, snapshot
from tests.conftest import REPO, TODAY

SOURCES, _ = read_fleet(REPO)


def compiled(sources: list[SourceFile]) -> dict[str, bytes]:
    fleet, problems = build_fleet(sources)
    assert not [p for p in problems if p.is_error]
    return serialise(render_all(RenderContext(fleet, resolve(fleet), Settings())))


BASELINE = compiled(SOURCES)


@settings(max_examples=15, deadline=None)
@given(st.permutations(SOURCES))
def test_source_order_does_not_matter(order: list[SourceFile]) -> None:
    assert compiled(order) == BASELINE


def test_copies_at_different_paths_compile_identically(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "deeper" / "b"
    for folder in ("blueprints", "releases", "instances", "tenants"):
        shutil.copytree(REPO / folder, first / folder)
    # the second copy is written in reverse order (different directory entry order on disk)
    for path in sorted((REPO / f for f in ("tenants", "instances", "releases", "blueprints")), reverse=True):
        for file in sorted(path.rglob("*.yaml"), reverse=True):
            target = second / file.relative_to(REPO)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(file.read_bytes())
    assert compile_fleet(first).exit_code == 0
    assert compile_fleet(second).exit_code == 0
    assert snapshot(first / "rendered") == snapshot(second / "rendered")


def test_separate_processes_with_different_hash_seeds_agree(example_fleet: Path, tmp_path: Path) -> None:
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        code = "from compiler.cli import main; main()"
        args = ["compile", "--root", str(example_fleet), "--today", TODAY, "--out", str(out)]
        subprocess.run([sys.executable, "-c", code, *args], check=True, env=env, capture_output=True)
        outs.append(snapshot(out))
    assert outs[0] == outs[1]
    assert outs[0]
