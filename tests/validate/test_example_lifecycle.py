"""The repository's example fleet stays valid for years; end of life is tested by moving --today, never the clock.

The example's candidates reach their end of life in 2031 (q4-2024 first, as in the design documents), so
``make run`` on a fresh clone keeps validating; these tests cross those dates with ``--today``.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from compiler.cli import main
from tests.compile.util import snapshot


def validate(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["validate", "--root", str(root), "--strict", *args])


def test_the_example_fleet_validates_clean_through_2029(example_fleet: Path) -> None:
    result = validate(example_fleet, "--today", "2029-12-31")
    assert result.exit_code == 0, result.output
    assert result.output == "no problems found\n"


def test_the_notice_date_warns_and_the_end_of_life_day_is_still_supported(example_fleet: Path) -> None:
    result = validate(example_fleet, "--today", "2031-03-31")
    assert result.exit_code == 1  # --strict: warnings fail
    assert result.output.splitlines() == [
        "tenants/arematics-prod/xyz.yaml:10:21: warning RLC603 candidate-deprecated [spec.releaseCandidate]: "
        "candidate 'platform-2025-05' is deprecated since 2031-01-15 and reaches its end of life on 2031-06-30",
        "    hint: plan the tenant's move to a newer candidate before the end of life",
        "tenants/droneup-production/cherokee-nation.yaml:11:21: warning RLC603 candidate-deprecated "
        "[spec.releaseCandidate]: candidate 'q4-2024' is deprecated since 2030-12-01 and reaches its end of life "
        "on 2031-03-31",
        "    hint: plan the tenant's move to a newer candidate before the end of life",
        "0 error(s), 2 warning(s) in 2 file(s)",
    ]


def test_the_day_after_the_end_of_life_is_an_error(example_fleet: Path) -> None:
    before = snapshot(example_fleet)
    result = validate(example_fleet, "--today", "2031-04-01")
    assert result.exit_code == 1
    assert (
        "tenants/droneup-production/cherokee-nation.yaml:11:21: error RLC602 candidate-end-of-life "
        "[spec.releaseCandidate]: candidate 'q4-2024' reached its end of life on 2031-03-31\n"
        "    hint: move the tenant to a supported candidate its global release offers\n"
    ) in result.output
    assert result.output.endswith("1 error(s), 1 warning(s) in 2 file(s)\n")
    assert snapshot(example_fleet) == before


def test_without_today_the_clock_is_read_and_tests_fix_it_past_every_end_of_life(example_fleet: Path) -> None:
    """The autouse fixed_clock fixture (tests/conftest.py) sets the clock to 2100: proof it is the one read."""
    result = validate(example_fleet)
    assert result.exit_code == 1
    assert "candidate 'platform-2025-05' reached its end of life on 2031-06-30" in result.output
    assert "candidate 'q4-2024' reached its end of life on 2031-03-31" in result.output
