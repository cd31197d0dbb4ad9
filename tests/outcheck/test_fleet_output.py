"""The output of the repository's own fleet validates, warnings included: what `make run` checks after compiling."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main
from tests.conftest import REPO, TODAY
from tests.outcheck.conftest import found, validate_rendered


def test_compiled_example_fleet_validates_clean(example_fleet: Path) -> None:
    compiled = CliRunner().invoke(main, ["compile", "--root", str(example_fleet), "--today", TODAY])
    assert compiled.exit_code == 0, compiled.output
    result = validate_rendered(example_fleet, "--kubeconform", "off", "--strict")
    assert result.exit_code == 0, found(result)


@pytest.mark.skipif(not (REPO / "rendered").is_dir(), reason="rendered/ is not committed yet")
def test_repository_rendered_output_validates_clean() -> None:
    result = validate_rendered(REPO, "--kubeconform", "off", "--strict")
    assert result.exit_code == 0, found(result)
