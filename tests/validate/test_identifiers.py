"""RLC501/RLC502 messages: both colliding objects and both files are named, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.load.cli import diagnostics

GLOBAL = "releases/global/arematics-2025-07.yaml"
C07 = "releases/candidates/platform-2025-07.yaml"
INSTANCE = "instances/arematics-prod.yaml"


def _offer_candidate(root: Path, name: str) -> None:
    text = (root / C07).read_text().replace("name: platform-2025-07", f"name: {name}")
    (root / f"releases/candidates/{name}.yaml").write_text(text)
    path = root / GLOBAL
    path.write_text(path.read_text().replace("platform-2025-07]", f"platform-2025-07, {name}]"))


@pytest.mark.parametrize(
    ("candidate", "owner"), [("shared", "the shared services"), ("tenancy", "the tenant resources")]
)
def test_candidate_named_like_a_fixed_namespace(base_fleet: Path, candidate: str, owner: str) -> None:
    _offer_candidate(base_fleet, candidate)
    code, found = diagnostics(base_fleet)
    assert code == 1
    assert [(d["file"], d["line"], d["code"], d["message"]) for d in found] == [
        (
            INSTANCE,
            10,
            "RLC502",
            f"namespace 'arematics-prod-{candidate}' of candidate '{candidate}' of instance 'arematics-prod' "
            f"({INSTANCE}) is also derived for {owner} of instance 'arematics-prod' ({INSTANCE})",
        )
    ]


def test_same_tenant_name_on_a_different_server_is_fine(base_fleet: Path) -> None:
    text = (base_fleet / INSTANCE).read_text().replace("name: arematics-prod", "name: arematics-qa")
    text = text.replace("cluster: prod", "cluster: qa").replace("pg-prod-eu", "pg-qa-eu")
    (base_fleet / "instances/arematics-qa.yaml").write_text(text)
    tenant = (base_fleet / "tenants/arematics-prod/acme.yaml").read_text()
    (base_fleet / "tenants/arematics-qa").mkdir()
    (base_fleet / "tenants/arematics-qa/acme.yaml").write_text(tenant.replace("arematics-prod", "arematics-qa"))
    assert diagnostics(base_fleet) == (0, [])


def test_same_server_written_differently_still_collides(base_fleet: Path) -> None:
    """Host names are case-insensitive: PG-PROD-EU and pg-prod-eu are one server."""
    text = (base_fleet / INSTANCE).read_text().replace("name: arematics-prod", "name: arematics-qa")
    text = text.replace("cluster: prod", "cluster: qa").replace("pg-prod-eu.arematics", "PG-PROD-EU.arematics")
    (base_fleet / "instances/arematics-qa.yaml").write_text(text)
    tenant = (base_fleet / "tenants/arematics-prod/acme.yaml").read_text()
    (base_fleet / "tenants/arematics-qa").mkdir()
    (base_fleet / "tenants/arematics-qa/acme.yaml").write_text(tenant.replace("arematics-prod", "arematics-qa"))
    _, found = diagnostics(base_fleet)
    assert [d["message"] for d in found] == [
        "database 'tenant_acme' of tenant 'acme' of instance 'arematics-qa' (tenants/arematics-qa/acme.yaml) "
        "is also derived for tenant 'acme' of instance 'arematics-prod' (tenants/arematics-prod/acme.yaml)"
    ]


def test_long_app_schema_name(base_fleet: Path) -> None:
    path = base_fleet / "tenants/arematics-prod/acme.yaml"
    app = "b" * 55
    path.write_text(path.read_text().replace("name: billing", f"name: {app}"))
    code, found = diagnostics(base_fleet)
    assert code == 1
    assert [(d["line"], d["code"], d["message"]) for d in found] == [
        (
            13,
            "RLC501",
            f"schema name 'payments-{app}' derived for service 'payments' of app '{app}' in database 'tenant_acme' "
            "is 64 bytes, over the 63-byte limit",
        )
    ]
