"""RLC406 through the CLI: a ComponentVersion's requires against the dependencies.yml of its migrations folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from compiler.cli import main
from tests.compile.util import snapshot
from tests.conftest import REPO, TODAY


def validate(root: Path) -> Result:
    return CliRunner().invoke(main, ["validate", "--root", str(root), "--today", TODAY])


def ship(root: Path, service: str, text: str) -> None:
    folder = root / "migrations" / service
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dependencies.yml").write_text(text)


def test_the_example_fleet_agrees_with_its_migrations(example_fleet: Path) -> None:
    shutil.copytree(REPO / "migrations", example_fleet / "migrations")
    result = validate(example_fleet)
    assert result.exit_code == 0, result.output


def test_a_requirement_the_component_version_omits(example_fleet: Path) -> None:
    shutil.copytree(REPO / "migrations", example_fleet / "migrations")
    path = example_fleet / "blueprints/components/entity/2.0.0.yaml"
    path.write_text(path.read_text().replace("    - service: payments\n      minVersion: v2.1.0\n", ""))
    before = snapshot(example_fleet)
    result = validate(example_fleet)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "blueprints/components/entity/2.0.0.yaml:9:3: error RLC406 migration-dependencies [spec.requires]: "
        "migrations/entity/dependencies.yml requires payments >=2.1.0, which entity 2.0.0 does not declare in "
        "requires: relc would accept candidates relc-migrate blocks",
        "    hint: add {service: payments, minVersion: v2.1.0} to spec.requires "
        "(it mirrors migrations/entity/dependencies.yml)",
        "1 error(s), 0 warning(s) in 1 file(s)",
    ]
    assert snapshot(example_fleet) == before


def test_a_looser_range_is_refused_and_a_stricter_one_accepted(base_fleet: Path) -> None:
    ship(base_fleet, "entity", "requires:\n  - service: payments\n    minVersion: v2.1.0\n")
    entity = base_fleet / "blueprints/components/entity/2.3.0.yaml"
    text = entity.read_text()
    assert "    - service: payments\n      minVersion: v2.1.0\n" in text
    entity.write_text(text.replace("minVersion: v2.1.0", 'range: ">=2.0.0, <3.0.0"'))
    old = base_fleet / "blueprints/components/entity/2.0.0.yaml"
    old.write_text(old.read_text() + "    - service: payments\n      range: '>2.1.0'\n")
    result = validate(base_fleet)
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if "RLC406" in line] == [
        "blueprints/components/entity/2.3.0.yaml:12:7: error RLC406 migration-dependencies [spec.requires[1]]: "
        "migrations/entity/dependencies.yml requires payments >=2.1.0, stricter than entity 2.3.0's "
        "range '>=2.0.0, <3.0.0': relc would accept payments versions relc-migrate blocks",
    ]


def test_no_migrations_folder_no_check(base_fleet: Path) -> None:
    """A fleet repository whose images ship the migrations (no migrations/ folder) is not checked."""
    result = validate(base_fleet)
    assert result.exit_code == 0, result.output
