"""schemas/ is what the models generate, every example file points at its kind's schema, and every example file
validates against it: the editor's view of a field and relc's can never differ."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from compiler.cli import main
from compiler.load.yamlread import parse
from compiler.model.schema import schema_texts
from tests.conftest import REPO

FLEET_FILES = sorted(
    p for folder in ("blueprints", "releases", "instances", "tenants") for p in (REPO / folder).rglob("*.yaml")
)
SCHEMA_COMMENT = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.M)


def test_committed_schemas_are_generated_ones() -> None:
    committed = {p.name: p.read_text(encoding="utf-8") for p in (REPO / "schemas").glob("*.json")}
    assert committed == schema_texts(), "schemas/ is stale: run 'relc schema'"


def test_schema_command_writes_every_kind(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(schema_texts())


@pytest.mark.parametrize("path", [*FLEET_FILES, REPO / "relc.yaml"], ids=lambda p: str(p.relative_to(REPO)))
def test_example_file_points_at_its_schema_and_validates(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    match = SCHEMA_COMMENT.search(text)
    assert match, f"{path}: no yaml-language-server $schema comment"
    schema_path = (path.parent / match.group(1)).resolve()
    data = parse(text).documents[0]
    assert schema_path.name == f"{data['kind']}.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)


def test_schema_rejects_an_unknown_field() -> None:
    schema = json.loads((REPO / "schemas" / "Tenant.json").read_text(encoding="utf-8"))
    data = parse((REPO / "tenants/droneup-production/droneup.yaml").read_text(encoding="utf-8")).documents[0]
    data["spec"]["relaseCandidate"] = "q1-2025"
    with pytest.raises(jsonschema.ValidationError, match="relaseCandidate"):
        jsonschema.Draft202012Validator(schema).validate(data)
