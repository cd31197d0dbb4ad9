"""RLC612/RLC613 through `relc validate --rendered`: the golden rendered/ with one defect at a time each would cause
in a cluster (a route moved to an undeployed candidate; status never written), and nothing else reported."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from tests.conftest import REPO
from tests.outcheck.conftest import validate_rendered

QA_JOB = "rendered/instances/arematics-qa/tenants/xyz/migrations.yaml"
PROD_JOB = "rendered/instances/arematics-prod/tenants/xyz/migrations.yaml"
PROD_0525 = "rendered/instances/arematics-prod/candidates/platform-2025-05/templates/platform.yaml"
TEST_TENANCY = "rendered/instances/arematics-test/platform/tenancy.yaml"
TSV_CRD = "rendered/crds/tenantschemaversions.tenancy.relc.dev.yaml"


def golden(tmp_path: Path) -> Path:
    root = tmp_path / "fleet"
    shutil.copytree(REPO / "rendered", root / "rendered")
    return root


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert text.count(old) == 1, (rel, old)
    path.write_text(text.replace(old, new))


def drop_documents(root: Path, rel: str, name: str) -> None:
    """Remove the Role and RoleBinding named ``name`` from a rendered file."""
    path = root / rel
    kept = [d for d in path.read_text().split("---\n") if f"  name: {name}\n" not in d]
    path.write_text("---\n".join(kept))


def line_of(root: Path, rel: str, pattern: str, nth: int = 0) -> int:
    lines = (root / rel).read_text().splitlines()
    return [n for n, line in enumerate(lines, start=1) if re.fullmatch(pattern, line)][nth]


def diagnostics(root: Path) -> list[tuple[str, int, str, str, str]]:
    result = validate_rendered(root, "--kubeconform", "off")
    assert result.exit_code == 1, result.output
    return [
        (d["file"], d["line"], d["code"], d["field"], d["message"]) for d in json.loads(result.output)["diagnostics"]
    ]


def test_a_migration_job_without_its_gate_or_its_grant_is_rlc612(tmp_path: Path) -> None:
    root = golden(tmp_path)
    edit(
        root, QA_JOB,
        '            - "--await-candidate"\n            - arematics-qa-platform-2025-07\n'
        '            - "--candidate-wait"\n            - "600"\n',
        "",
    )  # fmt: skip
    drop_documents(root, PROD_0525, "relc-migrate-candidate-reader")
    assert diagnostics(root) == [
        (
            PROD_JOB, line_of(root, PROD_JOB, r" +args:"), "RLC612", "spec.template.spec.containers[0].args",
            "migration Job mig-xyz-4681ac742d waits for the Deployments in arematics-prod-platform-2025-05, but "
            "ServiceAccount relc-migrate of arematics-prod-tenancy may not get and list them there: its gate would "
            "fail every sync",
        ),
        (
            QA_JOB, line_of(root, QA_JOB, r" +args:"), "RLC612", "spec.template.spec.containers[0].args",
            "migration Job mig-xyz-297015f3f9 does not wait for its candidate (--await-candidate is missing): Argo CD "
            "would apply the tenant's route even when the candidate's Deployments are not Available",
        ),
    ]  # fmt: skip


def test_status_writers_without_their_grant_and_a_crd_without_list_map_conditions_are_rlc613(tmp_path: Path) -> None:
    root = golden(tmp_path)
    drop_documents(root, TEST_TENANCY, "relc-migrate-status")
    edit(root, TSV_CRD, "                  x-kubernetes-list-map-keys:\n                    - type\n", "")
    says = "writes tenancy status (RELC_KUBE_API) but ServiceAccount relc-migrate"
    missing = (
        "may not get tenantschemaversions/status, patch tenantschemaversions/status, get tenantprovisionjobs/status, "
        "patch tenantprovisionjobs/status, get appprovisionjobs/status, patch appprovisionjobs/status in namespace "
        "arematics-test-tenancy"
    )
    env = "spec.template.spec.containers[0].env"
    prov = "rendered/instances/arematics-test/tenants/xyz/provisioning.yaml"
    mig = "rendered/instances/arematics-test/tenants/xyz/migrations.yaml"
    regsync = "rendered/instances/arematics-test/registry/service-versions.yaml"
    assert diagnostics(root) == [
        (
            TSV_CRD, line_of(root, TSV_CRD, r" +conditions:"), "RLC613",
            "spec.versions[0].schema.openAPIV3Schema.properties.status.properties.conditions",
            "tenantschemaversions.tenancy.relc.dev: status.conditions is not a list-map keyed by type, as "
            "relc-migrate writes it (one condition per type)",
        ),
        (regsync, line_of(root, regsync, r" +env:"), "RLC613", env,
         f"Job regsync-arematics-test-8beadeb331 {says} {missing}"),
        (mig, line_of(root, mig, r" +env:"), "RLC613", env,
         f"Job mig-xyz-297015f3f9 {says} {missing}"),
        (prov, line_of(root, prov, r" +env:", 0), "RLC613", env,
         f"Job prov-xyz-e99a78e367 {says} {missing}"),
        (prov, line_of(root, prov, r" +env:", 1), "RLC613", env,
         f"Job prov-xyz-8dadd80f22 {says} {missing}"),
    ]  # fmt: skip
