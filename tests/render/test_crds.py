"""The CRDs: structural schemas generated from the models, and every rendered custom resource validates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from compiler.render import controller, crds, tenancy
from compiler.render.conventions import CRD_GROUP, CRD_VERSION
from compiler.render.crdschema import resource_schema
from compiler.render.structural import NotStructural, problems, structural
from tests.render.helpers import docs, files


def _validator(kind: str) -> jsonschema.Draft7Validator:
    crd = next(c for c in crds.crd_manifests() if c["spec"]["names"]["kind"] == kind)
    openapi = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return jsonschema.Draft7Validator(resource_schema(CRD_GROUP, kind, CRD_VERSION, openapi))


def test_four_crds_one_file_each_with_their_json_schemas(example_fleet: Path) -> None:
    out = files(example_fleet, crds.render)
    assert sorted(p for p in out if p.startswith("crds/")) == [
        "crds/appprovisionjobs.tenancy.relc.dev.yaml",
        "crds/migrationcontrollerconfigs.tenancy.relc.dev.yaml",
        "crds/tenantprovisionjobs.tenancy.relc.dev.yaml",
        "crds/tenantschemaversions.tenancy.relc.dev.yaml",
    ]
    assert "schemas/tenancy.relc.dev/tenantschemaversion_v1alpha1.json" in out


@pytest.mark.parametrize("crd", crds.CRDS, ids=lambda c: c.kind)
def test_crd_schema_is_structural(crd: crds.CrdDef) -> None:
    manifest = crds.crd_manifest(crd)
    version = manifest["spec"]["versions"][0]
    schema = version["schema"]["openAPIV3Schema"]
    assert list(problems(schema)) == []
    assert version["subresources"] == {"status": {}}
    assert manifest["spec"]["scope"] == ("Namespaced" if crd.kind != "MigrationControllerConfig" else "Cluster")
    assert manifest["metadata"]["name"] == f"{crd.plural}.{CRD_GROUP}"
    columns = {c["name"]: c["jsonPath"] for c in version["additionalPrinterColumns"]}
    assert columns["Age"] == ".metadata.creationTimestamp"


def test_tenant_schema_version_status_has_the_design_phases() -> None:
    schema = crds.open_api_schema(crds.TENANT_SCHEMA_VERSION)
    status = schema["properties"]["status"]["properties"]
    assert status["phase"]["enum"] == ["pending", "migrating", "complete", "failed", "blocked"]
    assert status["phase"]["nullable"] is True
    assert "currentVersion" in status and status["conditions"]["type"] == "array"


def test_structural_inlines_refs_and_turns_optional_into_nullable() -> None:
    raw: dict[str, Any] = {
        "$defs": {"Mode": {"enum": ["a", "b"], "title": "Mode", "type": "string"}},
        "additionalProperties": False,
        "properties": {
            "mode": {"$ref": "#/$defs/Mode", "default": "a"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Note"},
            "fixed": {"const": "x", "type": "string"},
        },
        "type": "object",
    }
    assert structural(raw) == {
        "type": "object",
        "properties": {
            "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
            "note": {"type": "string", "nullable": True},
            "fixed": {"type": "string", "enum": ["x"]},
        },
    }


def test_structural_refuses_a_real_union() -> None:
    with pytest.raises(NotStructural) as err:
        structural({"type": "object", "properties": {"x": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}})
    assert err.value.path == ".x"


def test_every_rendered_custom_resource_validates_against_its_crd(example_fleet: Path) -> None:
    rendered = files(example_fleet, tenancy.render, controller.render).values()
    seen: set[str] = set()
    for doc in docs(rendered):
        if doc["apiVersion"] != f"{CRD_GROUP}/{CRD_VERSION}":
            continue
        seen.add(doc["kind"])
        errors = [e.message for e in _validator(doc["kind"]).iter_errors(doc)]
        assert errors == [], (doc["metadata"]["name"], errors)
    assert seen == {c.kind for c in crds.CRDS}


def test_a_misspelt_field_fails_validation() -> None:
    """The check above can fail: an unknown spec field is rejected like the API server's strict validation."""
    doc = {
        "apiVersion": f"{CRD_GROUP}/{CRD_VERSION}",
        "kind": "TenantSchemaVersion",
        "metadata": {"name": "x.auth"},
        "spec": {
            "tenant": "x",
            "service": "auth",
            "schema": "auth",
            "database": "tenant_x",
            "releaseCandidate": "c",
            "desiredVersion": "1.2.0",
            "dryrun": False,
            "backupBeforeMigration": True,
            "autoUpgrade": False,
        },
    }
    messages = [e.message for e in _validator("TenantSchemaVersion").iter_errors(doc)]
    assert any("dryRun" in m for m in messages) and any("dryrun" in m for m in messages)
