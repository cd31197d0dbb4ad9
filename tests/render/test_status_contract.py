"""What relc-migrate patches and reads in Kubernetes, as the compiler renders it: the status fields and phases,
list-map conditions, and RBAC that grants exactly the status writes and the readiness gate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import relc_contract as contract
from compiler.model.crds import MigrationPhase, ProvisionPhase
from compiler.render import crds
from compiler.render.platform import CANDIDATE_READER_ROLE, MIGRATE_STATUS_ROLE


def test_the_phases_relc_migrate_writes_are_the_crds() -> None:
    assert tuple(MigrationPhase) == contract.MIGRATION_PHASES
    assert tuple(ProvisionPhase) == contract.PROVISION_PHASES
    assert crds.TENANT_SCHEMA_VERSION.plural == contract.TENANT_SCHEMA_VERSIONS
    assert crds.TENANT_PROVISION_JOB.plural == contract.TENANT_PROVISION_JOBS


@pytest.mark.parametrize("crd", crds.CRDS, ids=lambda c: c.kind)
def test_conditions_are_a_list_map_keyed_by_type(crd: crds.CrdDef) -> None:
    status = crds.open_api_schema(crd)["properties"]["status"]
    conditions = status["properties"]["conditions"]
    assert conditions["x-kubernetes-list-type"] == "map"
    assert conditions["x-kubernetes-list-map-keys"] == ["type"]
    assert "type" in conditions["items"]["required"]  # a list-map key must be required (or defaulted)


def test_tenant_schema_version_status_has_what_relc_migrate_writes() -> None:
    status = crds.open_api_schema(crds.TENANT_SCHEMA_VERSION)["properties"]["status"]["properties"]
    assert sorted(status) == ["conditions", "currentVersion", "jobName", "lastMigratedAt", "message", "phase"]
    status = crds.open_api_schema(crds.TENANT_PROVISION_JOB)["properties"]["status"]["properties"]
    assert sorted(status) == ["conditions", "jobName", "message", "phase"]


def test_the_crds_say_plainly_who_writes_their_status() -> None:
    described = {c.kind: crds.open_api_schema(c)["properties"]["status"]["description"] for c in crds.CRDS}
    assert described["TenantSchemaVersion"].startswith("Written by relc-migrate's migration Job")
    assert described["TenantProvisionJob"].startswith("Written by relc-migrate")
    assert described["MigrationControllerConfig"].startswith("Written by nothing")
    spec = crds.open_api_schema(crds.MIGRATION_CONTROLLER_CONFIG)["properties"]["spec"]["description"]
    assert "no controller reads it, and relc-migrate does not either" in spec


def _rbac(rendered: Path, instance: str) -> list[dict[str, Any]]:
    folder = rendered / "instances" / instance
    paths = [folder / "platform" / "tenancy.yaml", *sorted(folder.glob("candidates/*/templates/platform.yaml"))]
    return [d for p in paths for d in yaml.safe_load_all(p.read_text()) if d and "Role" in d["kind"]]


def test_relc_migrate_may_patch_status_and_read_candidate_deployments_nothing_more(example_fleet: Path) -> None:
    from click.testing import CliRunner

    from compiler.cli import main
    from tests.conftest import TODAY

    assert CliRunner().invoke(main, ["compile", "--root", str(example_fleet), "--today", TODAY]).exit_code == 0
    rbac = _rbac(example_fleet / "rendered", "arematics-prod")
    sa = {"kind": "ServiceAccount", "name": "relc-migrate", "namespace": "arematics-prod-tenancy"}
    bound = {
        (d["metadata"]["namespace"], d["roleRef"]["name"])
        for d in rbac
        if d["kind"] == "RoleBinding" and sa in d["subjects"]
    }
    assert bound == {
        ("arematics-prod-tenancy", MIGRATE_STATUS_ROLE),
        ("arematics-prod-platform-2025-05", CANDIDATE_READER_ROLE),
        ("arematics-prod-platform-2025-07", CANDIDATE_READER_ROLE),
    }
    rules = {(d["metadata"]["namespace"], d["metadata"]["name"]): d["rules"] for d in rbac if d["kind"] == "Role"}
    assert rules[("arematics-prod-tenancy", MIGRATE_STATUS_ROLE)] == [
        {
            "apiGroups": ["tenancy.relc.dev"],
            "resources": ["tenantschemaversions/status", "tenantprovisionjobs/status", "appprovisionjobs/status"],
            "verbs": ["get", "patch"],
        }
    ]
    assert rules[("arematics-prod-platform-2025-07", CANDIDATE_READER_ROLE)] == [
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list"]}
    ]


def test_the_names_relc_migrate_derives_are_the_rendered_ones(example_fleet: Path) -> None:
    from compiler.render import tenancy
    from tests.render.helpers import emitted

    out = emitted(example_fleet, tenancy.render)
    folder = "instances/arematics-prod/tenants/xyz"
    versions = [d for d in yaml.safe_load_all(out[f"{folder}/schema-versions.yaml"]) if d]
    main = contract.tenant_database("xyz")
    expected = {
        contract.schema_version_name("xyz", d["spec"]["schema"], None)
        if d["spec"]["database"] == main
        else contract.schema_version_name("xyz", d["spec"]["schema"], d["spec"]["database"].removeprefix(main + "_"))
        for d in versions
    }
    names = {d["metadata"]["name"] for d in versions}
    assert names == expected and "xyz.de.entity-crm" in names
    provisioning = [d for d in yaml.safe_load_all(out[f"{folder}/provisioning.yaml"]) if d]
    [tpj] = [d for d in provisioning if d["kind"] == "TenantProvisionJob"]
    assert tpj["metadata"]["name"] == contract.tenant_provision_name("xyz")
