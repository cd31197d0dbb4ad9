"""The committed rendered/ is what the example fleet compiles to: exactly what CI's ``relc compile --check`` holds.

When this fails after an intended change, run ``make golden`` and review ``git diff rendered/``.
"""

from __future__ import annotations

from tests.compile.util import compile_fleet, snapshot
from tests.conftest import REPO


def test_committed_rendered_matches_the_example_fleet() -> None:
    before = snapshot(REPO / "rendered")
    result = compile_fleet(REPO, "--check")
    assert result.exit_code == 0, f"rendered/ is stale: run 'make golden'\n{result.output}"
    assert snapshot(REPO / "rendered") == before
