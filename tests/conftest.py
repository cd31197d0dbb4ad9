"""Shared fixtures: the repository root, the example fleet, and a CLI runner that never reads the clock."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parent / "examples"
TODAY = "2026-11-22"


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
