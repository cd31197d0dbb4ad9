from __future__ import annotations

import pytest

from compiler.app import load_fleet
from compiler.resolve import Resolution, resolve
from tests.conftest import REPO


@pytest.fixture(scope="session")
def example_fleet_fleet() -> Resolution:
    """The repository's example fleet, resolved (read-only: nothing writes to it)."""
    fleet, problems = load_fleet(REPO)
    assert not problems, problems
    return resolve(fleet)
