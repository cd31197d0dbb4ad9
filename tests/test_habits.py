"""The pre-commit hooks run exactly what `make lint` runs, so a commit is checked the way CI checks it."""

from __future__ import annotations

import re

import yaml

from tests.conftest import REPO


def make_recipe(target: str) -> list[str]:
    """The recipe lines of a Makefile target, with $(BIN) spelled out as the venv's bin folder."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    rule = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert rule, f"no {target} target"
    return [line.strip().replace("$(BIN)/", ".venv/bin/") for line in rule[1].splitlines()]


def test_pre_commit_hooks_are_the_lint_recipe() -> None:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert [h["entry"] for h in hooks] == make_recipe("lint")
    assert all(h["language"] == "system" and h["pass_filenames"] is False for h in hooks)


def test_test_fast_deselects_exactly_the_postgres_marker() -> None:
    assert make_recipe("test-fast") == ['.venv/bin/pytest -n 2 -q -m "not postgres"']
    assert make_recipe("test") == [".venv/bin/pytest -n 2 -q"]
