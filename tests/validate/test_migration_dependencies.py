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


HINT = "    hint: write 'requires:' as a list of '- service: <name>' / '  minVersion: v<semver>' items"


def refused(root: Path, text: str) -> list[str]:
    """validate's output for a fleet whose entity folder ships ``text``; it must fail and change nothing."""
    ship(root, "entity", text)
    before = snapshot(root)
    result = validate(root)
    assert result.exit_code == 1, result.output
    assert snapshot(root) == before
    return result.output.splitlines()


def test_a_bad_field_is_reported_at_its_line_and_column(base_fleet: Path) -> None:
    text = "requires:\n  - service: auth\n    minVersion: v1.0.0\n  - {service: Payments, minVersion: v2.1}\n"
    assert refused(base_fleet, text) == [
        "migrations/entity/dependencies.yml:4:15: error RLC406 migration-dependencies [requires[1].service]: "
        "relc-migrate cannot read it: requires[1].service 'Payments' may only contain a-z, 0-9, '_' and '-' and "
        "must start with a letter or '_'",
        HINT,
        "migrations/entity/dependencies.yml:4:37: error RLC406 migration-dependencies [requires[1].minVersion]: "
        "relc-migrate cannot read it: requires[1].minVersion 'v2.1' is not a semantic version (MAJOR.MINOR.PATCH, "
        "optionally with a leading v: v2.1.0)",
        HINT,
        "2 error(s), 0 warning(s) in 1 file(s)",
    ]


def test_a_key_that_must_not_be_there_is_shown_at_the_key(base_fleet: Path) -> None:
    assert refused(base_fleet, "requires: []\nrequire:\n  - service: auth\n") == [
        "migrations/entity/dependencies.yml:2:1: error RLC406 migration-dependencies [require]: "
        "relc-migrate cannot read it: unexpected key 'require': the file holds only 'requires'",
        HINT,
        "1 error(s), 0 warning(s) in 1 file(s)",
    ]


def test_an_empty_file_is_refused_as_a_whole(base_fleet: Path) -> None:
    """relc-migrate refuses it (it is not a mapping), so relc does too: the file, line 0."""
    assert refused(base_fleet, "# requires nothing\n") == [
        "migrations/entity/dependencies.yml: error RLC406 migration-dependencies: relc-migrate cannot read it: "
        "expected a mapping with only the key 'requires', not null",
        HINT,
        "1 error(s), 0 warning(s) in 1 file(s)",
    ]


def test_yaml_errors_keep_the_readers_codes_and_positions(base_fleet: Path) -> None:
    assert refused(base_fleet, "requires:\n  - service: auth\n   minVersion: v1.0.0\n")[0] == (
        "migrations/entity/dependencies.yml:3:4: error RLC101 yaml-syntax: YAML syntax error while parsing a "
        "block collection: did not find expected '-' indicator"
    )
    assert refused(base_fleet, "requires:\n  - service: auth\n    service: payments\n    minVersion: v1.0.0\n")[0] == (
        "migrations/entity/dependencies.yml:3:5: error RLC102 duplicate-key: duplicate key 'service'"
    )
    assert refused(base_fleet, "requires: []\n---\nrequires: []\n")[0] == (
        "migrations/entity/dependencies.yml:1:1: error RLC104 document-count: the file holds 2 YAML documents"
    )


def test_a_hostile_file_meets_the_fleet_files_limits(base_fleet: Path) -> None:
    """The same bounds as fleet files: an alias bomb, deep nesting and a constructor tag fail fast, in place."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcd", "bcde", strict=True)
    )
    assert refused(base_fleet, bomb)[0] == (
        "migrations/entity/dependencies.yml:5:36: error RLC103 unsafe-yaml: more than 100000 values once aliases "
        "are expanded"
    )
    assert refused(base_fleet, "requires: " + "[" * 100 + "]" * 100 + "\n")[0] == (
        "migrations/entity/dependencies.yml:1:74: error RLC103 unsafe-yaml: nesting deeper than 64 levels"
    )
    assert refused(base_fleet, "requires: !!python/object/apply:os.system [echo]\n")[0] == (
        "migrations/entity/dependencies.yml:1:11: error RLC103 unsafe-yaml: unsupported tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'"
    )
    assert refused(base_fleet, "# " + "x" * (1 << 20) + "\n")[0] == (
        "migrations/entity/dependencies.yml: error RLC103 unsafe-yaml: file is 1048579 bytes, over the "
        "1048576-byte limit"
    )


def test_a_link_is_not_followed(base_fleet: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yml"
    outside.write_text("requires: []\n")
    (base_fleet / "migrations/entity").mkdir(parents=True)
    (base_fleet / "migrations/entity/dependencies.yml").symlink_to(outside)
    result = validate(base_fleet)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "migrations/entity/dependencies.yml: error RLC103 unsafe-yaml: the file is a symbolic link"
    )
