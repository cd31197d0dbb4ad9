"""RLC809 to RLC811 (compiler/outcheck/sem_lifecycle.py) through ``relc validate --rendered`` on a copy of the
golden rendered/, broken one defect at a time: the golden tree passes, each defect is named at its line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.outcheck.conftest import found, validate_rendered

TENANT = "rendered/instances/droneup-production/tenants/cherokee-nation"
ROUTES = f"{TENANT}/routes.yaml"
PROVISIONING = f"{TENANT}/provisioning.yaml"
TABLE = "rendered/instances/droneup-production/routing/q4-2024.yaml"


@pytest.fixture
def golden(tmp_path: Path) -> Path:
    root = tmp_path / "fleet"
    shutil.copytree(REPO / "rendered", root / "rendered")
    shutil.copy(REPO / "relc.yaml", root / "relc.yaml")
    return root


def edit(root: Path, rel: str, old: str, new: str, count: int = 1) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def diagnostics(root: Path) -> list[dict[str, Any]]:
    result = validate_rendered(root, "--kubeconform", "off")
    report: dict[str, Any] = json.loads(result.output)
    assert result.exit_code == (1 if report["diagnostics"] else 0), result.output
    return [d for d in report["diagnostics"] if d["code"] in ("RLC809", "RLC810", "RLC811")]


def test_the_golden_tree_has_no_lifecycle_defect(golden: Path) -> None:
    result = validate_rendered(golden, "--kubeconform", "off")
    assert result.exit_code == 0, result.output
    assert found(result) == []


def test_a_route_to_a_candidate_no_application_deploys_is_rlc809(golden: Path) -> None:
    edit(golden, ROUTES, "namespace: droneup-production-q4-2024", "namespace: droneup-production-q1-2024")
    before = {p: p.read_bytes() for p in golden.rglob("*") if p.is_file()}

    (d,) = diagnostics(golden)

    assert (d["file"], d["line"], d["code"], d["field"]) == (
        ROUTES,
        25,
        "RLC809",
        "spec.rules[0].backendRefs[0].namespace",
    )
    assert d["message"] == (
        "HTTPRoute of tenant 'cherokee-nation' sends requests to namespace 'droneup-production-q1-2024', which no "
        "Application of instance 'droneup-production' deploys"
    )
    assert d["hint"] == (
        "a route may only point at a deployed candidate: keep the candidate deployed (a pin or warmCandidates) until "
        "no route points at it, then run relc compile"
    )
    assert {p: p.read_bytes() for p in golden.rglob("*") if p.is_file()} == before


def test_a_dry_run_tenant_routed_away_from_its_serving_candidate_is_rlc810(golden: Path) -> None:
    edit(golden, PROVISIONING, "relc.dev/serving-candidate: q4-2024", "relc.dev/serving-candidate: q1-2025")

    found_here = diagnostics(golden)

    assert [(d["file"], d["line"], d["code"], d["field"]) for d in found_here] == [
        (ROUTES, 11, "RLC810", "metadata.labels.relc.dev/candidate")
    ]
    assert found_here[0]["message"] == (
        "dry-run tenant 'cherokee-nation' is routed to candidate 'q4-2024', but 'q1-2025' serves it: its dry-run "
        "migrations left its schemas as they were"
    )


def test_a_dry_run_tenant_that_does_not_name_its_serving_candidate_is_rlc810(golden: Path) -> None:
    edit(golden, PROVISIONING, "    relc.dev/serving-candidate: q4-2024\n", "")

    (d,) = diagnostics(golden)

    assert (d["file"], d["line"], d["code"]) == (PROVISIONING, 11, "RLC810")
    assert d["message"] == (
        "dry-run tenant 'cherokee-nation' of instance 'droneup-production' does not say which candidate serves it "
        "(label relc.dev/serving-candidate)"
    )


def test_a_removed_tenant_with_routes_is_rlc811(golden: Path) -> None:
    shutil.copy(
        REPO / "tests/examples/invalid/RLC811-removed-tenant-routed/overlay/rendered/instances/eu/tenants/t1/"
        "deprovision.yaml",
        golden / TENANT / "deprovision.yaml",
    )
    edit(golden, f"{TENANT}/deprovision.yaml", "relc.dev/instance: eu", "relc.dev/instance: droneup-production")
    edit(golden, f"{TENANT}/deprovision.yaml", "relc.dev/tenant: t1", "relc.dev/tenant: cherokee-nation")

    found_here = diagnostics(golden)

    assert [(d["file"], d["line"], d["code"], d["field"]) for d in found_here] == [
        (TABLE, 15, "RLC811", "data.cherokee-nation"),
        (ROUTES, 5, "RLC811", "metadata.name"),
    ]
    assert [d["message"] for d in found_here] == [
        "removed tenant 'cherokee-nation' is still in the routing table",
        "removed tenant 'cherokee-nation' still has an HTTPRoute",
    ]
