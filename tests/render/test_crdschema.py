"""crd_schema_files: kubeconform's file layout and the structural-schema rules the API server applies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft7Validator

from compiler.load.yamlread import parse
from compiler.render.crdschema import NotACRD, crd_schema_files
from tests.outcheck.conftest import VALID

CRD_FILE = VALID / "rendered/crds/tenants.tenancy.relc.dev.yaml"


def crd(*versions: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    body = schema or {"type": "object", "properties": {"spec": {"type": "object"}}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "WidgetSet", "plural": "widgetsets"},
            "scope": "Namespaced",
            "versions": [
                {"name": v, "served": True, "storage": False, "schema": {"openAPIV3Schema": body}} for v in versions
            ],
        },
    }


def tenant_validator() -> Draft7Validator:
    files = crd_schema_files(parse(CRD_FILE.read_text()).documents)
    return Draft7Validator(json.loads(files["tenancy.relc.dev/tenant_v1alpha1.json"]))


def tenant(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "tenancy.relc.dev/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": "acme", "labels": {"a": "b"}, "annotations": {"x": "y"}},
        "spec": {"candidate": "c1", "countries": ["DE"], **spec},
    }


def errors(instance: dict[str, Any]) -> list[str]:
    return sorted(e.message for e in tenant_validator().iter_errors(instance))


def test_layout_is_group_lowercase_kind_underscore_version() -> None:
    files = crd_schema_files([crd("v1alpha1", "v1")])
    assert sorted(files) == ["example.com/widgetset_v1.json", "example.com/widgetset_v1alpha1.json"]


def test_files_are_deterministic_json_schema_with_fixed_api_version_and_kind() -> None:
    raw = crd_schema_files([crd("v1")])["example.com/widgetset_v1.json"]
    assert raw == crd_schema_files([crd("v1")])["example.com/widgetset_v1.json"]
    assert raw.endswith(b"\n")
    schema = json.loads(raw)
    Draft7Validator.check_schema(schema)
    assert schema["properties"]["apiVersion"]["enum"] == ["example.com/v1"]
    assert schema["properties"]["kind"]["enum"] == ["WidgetSet"]


def test_the_rendered_example_schema_is_what_crd_schema_files_writes() -> None:
    files = crd_schema_files(parse(CRD_FILE.read_text()).documents)
    on_disk = VALID / "rendered/schemas/tenancy.relc.dev/tenant_v1alpha1.json"
    assert files == {"tenancy.relc.dev/tenant_v1alpha1.json": on_disk.read_bytes()}


def test_non_crd_manifest_is_refused() -> None:
    with pytest.raises(NotACRD):
        crd_schema_files([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}])


def test_valid_tenant_passes_with_open_metadata() -> None:
    assert errors(tenant(replicas=3, suspendedUntil=None, values={"deep": {"any": [1]}})) == []


def test_unknown_fields_are_errors_where_not_preserved() -> None:
    assert errors(tenant(regin="eu")) == ["Additional properties are not allowed ('regin' was unexpected)"]


def test_preserve_unknown_fields_keeps_the_object_open() -> None:
    assert errors(tenant(values={"whatever": {"nested": True}})) == []


def test_int_or_string_accepts_both_and_nothing_else() -> None:
    assert errors(tenant(replicas=2)) == []
    assert errors(tenant(replicas="50%")) == []
    assert errors(tenant(replicas=[2])) == ["[2] is not of type 'integer', 'string'"]


def test_nullable_accepts_null_only_where_declared() -> None:
    assert errors(tenant(suspendedUntil=None)) == []
    assert errors(tenant(candidate=None)) == ["None is not of type 'string'"]


def test_list_type_set_rejects_duplicates() -> None:
    assert errors(tenant(countries=["DE", "DE"])) == ["['DE', 'DE'] has non-unique elements"]


def test_junctor_branches_stay_open_and_exclusive_bounds_are_numeric() -> None:
    body: dict[str, Any] = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"a": {"type": "string"}, "b": {"type": "string"}, "n": {"type": "integer"}},
                "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
            }
        },
    }
    body["properties"]["spec"]["properties"]["n"].update({"minimum": 0, "exclusiveMinimum": True})
    schema = json.loads(crd_schema_files([crd("v1", schema=body)])["example.com/widgetset_v1.json"])
    validator = Draft7Validator(schema)
    doc = {"apiVersion": "example.com/v1", "kind": "WidgetSet", "metadata": {"name": "w"}}
    assert list(validator.iter_errors({**doc, "spec": {"a": "x", "n": 1}})) == []
    assert [e.message for e in validator.iter_errors({**doc, "spec": {"a": "x", "n": 0}})] == [
        "0 is less than or equal to the minimum of 0"
    ]


def test_embedded_resource_declares_api_version_kind_metadata() -> None:
    body: dict[str, Any] = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "template": {
                        "type": "object",
                        "x-kubernetes-embedded-resource": True,
                        "properties": {"data": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                    }
                },
            }
        },
    }
    validator = Draft7Validator(json.loads(crd_schema_files([crd("v1", schema=body)])["example.com/widgetset_v1.json"]))
    template = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}}
    doc = {
        "apiVersion": "example.com/v1",
        "kind": "WidgetSet",
        "metadata": {"name": "w"},
        "spec": {"template": template},
    }
    assert list(validator.iter_errors(doc)) == []
