"""The compiled pre-check never changes what is reported: it only skips jsonschema for documents that pass."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from compiler.outcheck.fastpath import COMPILE_AFTER, TwoStage, class_dollars_escaped, without_defaults
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
    # Each its own hostname: identical matches on one Gateway would be RLC805 (a tie), not what this tests.
    docs = [
        route.replace("name: acme\n", f"name: acme-{i}\n", 1).replace("acme.eu.", f"acme-{i}.eu.", 1)
        for i in range(count)
    ]
    docs[-1] = docs[-1].replace("port: 8080", "port: eighty")
    (root / "rendered/instances/eu/routing/many.yaml").write_text("---\n".join(docs))
    result = validate_rendered(root, "--kubeconform", "off")
    assert result.exit_code == 1
    line = (count - 1) * 24 + 18  # 23 lines per document plus its separator; the port is on line 18
    assert found(result) == [f"rendered/instances/eu/routing/many.yaml:{line}:RLC802 spec.rules[0].backendRefs[0].port"]
    assert "'eighty' is not of type 'integer'" in json.loads(result.output)["diagnostics"][0]["message"]


@pytest.mark.parametrize(
    ("pattern", "escaped"),
    [
        (r"^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$", r"^[A-Za-z0-9!#\$%&'*+\-.^_\x60|~]+$"),  # Gateway API's header name
        (r"^a$", r"^a$"),
        (r"[]$]$", r"[]\$]$"),
        (r"[^]$]", r"[^]\$]"),
        (r"[\]$]", r"[\]\$]"),
        (r"\[$", r"\[$"),
        (r"[a\\]$", r"[a\\]$"),
        (r"[\$]", r"[\$]"),
    ],
)
def test_dollars_inside_a_character_class_are_escaped_and_mean_the_same(pattern: str, escaped: str) -> None:
    assert class_dollars_escaped(pattern) == escaped
    for text in ["a", "$", "]", "[", "\\", "a$", "Ab-1", "x\n", ""]:
        assert bool(re.search(pattern, text)) == bool(re.search(escaped, text)), text


def test_a_pattern_with_a_dollar_in_a_class_is_compiled_and_agrees_with_jsonschema() -> None:
    """fastjsonschema alone turns that '$' into '\\Z' and fails with re.error (exit 3 on Gateway API v1.6.1)."""
    schema = {"type": "object", "properties": {"name": {"type": "string", "pattern": "^[a-z$]+$"}}}
    staged = TwoStage(schema, Draft7Validator(schema), compile_after=0)
    for data in [{"name": "ab$"}, {"name": "A"}, {"name": "ok"}]:
        assert messages(staged, data) == messages(Draft7Validator(schema), data), data
    assert staged.compiled
