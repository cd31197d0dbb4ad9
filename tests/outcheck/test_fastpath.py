"""The compiled pre-check never changes what is reported: it only skips jsonschema for documents that pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from compiler.outcheck.fastpath import COMPILE_AFTER, TwoStage, without_defaults
from tests.outcheck.conftest import VALID, copy_case, found, validate_rendered

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["spec"],
    "properties": {
        "spec": {
            "type": "object",
            "required": ["mode"],
            "additionalProperties": False,
            "properties": {
                "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
                "default": {"type": "integer", "default": 3},
                "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}},
            },
        }
    },
}


def messages(checker: Any, data: Any) -> list[str]:
    return sorted(e.message for e in checker.iter_errors(data))


def test_defaults_are_stripped_but_a_property_named_default_is_kept() -> None:
    stripped = without_defaults(SCHEMA)
    spec = stripped["properties"]["spec"]["properties"]
    assert "default" not in spec["mode"] and "default" in spec and "default" not in spec["default"]


def test_compiled_stage_reports_exactly_what_jsonschema_reports() -> None:
    plain = Draft7Validator(SCHEMA)
    staged = TwoStage(SCHEMA, Draft7Validator(SCHEMA), compile_after=0)
    cases = [
        {"spec": {"mode": "a"}},
        {"spec": {}},  # a default must not fill the missing required field
        {"spec": {"mode": "c", "tags": ["x", "Y"], "extra": 1}},
        {"spec": {"mode": "b", "default": "three"}},
        {},
    ]
    for data in cases:
        assert messages(staged, data) == messages(plain, data), data
    assert cases[1] == {"spec": {}}, "the checked document is not modified"


def test_many_documents_of_one_kind_still_report_the_invalid_one(tmp_path: Path) -> None:
    root = copy_case(VALID, tmp_path / "fleet")
    route = (root / "rendered/instances/eu/routing/acme.yaml").read_text()
    count = COMPILE_AFTER + 8
    docs = [route.replace("name: acme\n", f"name: acme-{i}\n", 1) for i in range(count)]
    docs[-1] = docs[-1].replace("port: 8080", "port: eighty")
    (root / "rendered/instances/eu/routing/many.yaml").write_text("---\n".join(docs))
    result = validate_rendered(root, "--kubeconform", "off")
    assert result.exit_code == 1
    line = (count - 1) * 19 + 16  # 18 lines per document plus its separator; the port is on line 16
    assert found(result) == [f"rendered/instances/eu/routing/many.yaml:{line}:RLC802 spec.rules[0].backendRefs[0].port"]
    assert "'eighty' is not of type 'integer'" in json.loads(result.output)["diagnostics"][0]["message"]
