"""Shared fixtures: the repository root, the example fleet, and a CLI runner that never reads the clock."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import git
import pytest

import compiler.cli

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parent / "examples"
TODAY = "2026-11-22"
CLOCK = date(2100, 1, 1)
"""What the CLI's clock reads in tests: past every endOfLife in the repository, so a test that forgets --today
fails the same way on every day it runs instead of starting to fail on the day a candidate reaches its end."""


class _FixedClock(date):
    @classmethod
    def today(cls) -> _FixedClock:
        return cls(CLOCK.year, CLOCK.month, CLOCK.day)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test depends on the real date: the CLI's only clock (``date.today()`` in compiler/cli.py) is fixed."""
    monkeypatch.setattr(compiler.cli, "date", _FixedClock)


@pytest.fixture
def base_fleet(tmp_path: Path) -> Path:
    """A writable copy of the small valid fleet under tests/examples/base."""
    target = tmp_path / "fleet"
    shutil.copytree(EXAMPLES / "base", target)
    return target


@pytest.fixture
def example_fleet(tmp_path: Path) -> Path:
    """A writable copy of the repository's example fleet (the one the README runs)."""
    target = tmp_path / "example"
    for folder in ("blueprints", "releases", "instances", "tenants"):
        shutil.copytree(REPO / folder, target / folder)
    return target


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that needs the PostgreSQL server (the ``pg`` fixture, directly or through ``cli_env``/``relc``)
    must be marked ``postgres``: `make test-fast` (``-m "not postgres"``) runs on machines without one."""
    unmarked = [
        item.nodeid
        for item in items
        if "pg" in getattr(item, "fixturenames", ()) and item.get_closest_marker("postgres") is None
    ]
    if unmarked:
        raise pytest.UsageError("uses PostgreSQL but is not marked postgres: " + ", ".join(unmarked))


def commit_all(root: Path, message: str = "base") -> git.Repo:
    """Commit everything under ``root`` (a repository is made there first if none is), as a fixed test identity."""
    repo = git.Repo(root) if (root / ".git").exists() else git.Repo.init(root, initial_branch="main")
    repo.git.update_environment(
        GIT_AUTHOR_NAME="relc tests",
        GIT_AUTHOR_EMAIL="tests@relc.invalid",
        GIT_COMMITTER_NAME="relc tests",
        GIT_COMMITTER_EMAIL="tests@relc.invalid",
    )
    repo.git.add(A=True)
    repo.git.commit(m=message, allow_empty=True)
    return repo


def committed_example_fleet(root: Path) -> Path:
    """The repository's example fleet — inputs, relc.yaml, migrations and the compiled rendered/ — committed on
    branch main at ``root``: what a change through the CLI is planned and judged against (``--base HEAD``)."""
    for folder in ("blueprints", "releases", "instances", "tenants", "migrations", "rendered"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "relc.yaml", root / "relc.yaml")
    commit_all(root)
    return root
