"""Per-tenant custom resources on the example fleet: the databases and schemas of design §2.2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compiler.render import controller, crds, registry, tenancy
from tests.render.helpers import docs, edit, emitted, files

TENANT = "instances/arematics-test/tenants/xyz"


def _tenant(root: Path, folder: str = TENANT) -> dict[str, list[dict[str, Any]]]:
    out = files(root, tenancy.render)
    return {p.rsplit("/", 1)[1]: f.manifests() for p, f in out.items() if p.startswith(folder + "/")}


def test_xyz_databases_and_schemas_as_in_the_design(example_fleet: Path) -> None:
    got = _tenant(example_fleet)
    assert sorted(got) == ["migrations.yaml", "provisioning.yaml", "schema-versions.yaml"]
    (tpj,) = [d for d in got["provisioning.yaml"] if d["kind"] == "TenantProvisionJob"]
    assert tpj["metadata"]["name"] == "xyz" and tpj["metadata"]["namespace"] == "arematics-test-tenancy"
    assert tpj["spec"]["database"] == "tenant_xyz"
    assert sorted(s["schema"] for s in tpj["spec"]["schemas"]) == ["auth", "entity", "payments"]
    assert tpj["spec"]["vaultPath"] == "secret/data/arematics-test/tenants/xyz"
    assert tpj["spec"]["deletionPolicy"] == {"mode": "retained", "gracePeriod": "30d"}
    (apj,) = [d for d in got["provisioning.yaml"] if d["kind"] == "AppProvisionJob"]
    assert apj["metadata"]["name"] == "xyz.crm.de"
    assert (apj["spec"]["database"], apj["spec"]["country"], apj["spec"]["countryScoped"]) == (
        "tenant_xyz_de",
        "de",
        True,
    )
    assert sorted(s["schema"] for s in apj["spec"]["schemas"]) == ["entity-crm", "payments-crm"]
    tsv = {(d["spec"]["database"], d["spec"]["schema"]): d for d in got["schema-versions.yaml"]}
    assert sorted(tsv) == [
        ("tenant_xyz", "auth"),
        ("tenant_xyz", "entity"),
        ("tenant_xyz", "payments"),
        ("tenant_xyz_de", "entity-crm"),
        ("tenant_xyz_de", "payments-crm"),
    ]
    entity_crm = tsv["tenant_xyz_de", "entity-crm"]
    assert entity_crm["metadata"]["name"] == "xyz.de.entity-crm"
    assert entity_crm["spec"]["desiredVersion"] == "2.3.0"  # platform-2025-07 pins entity 2.3.0
    assert (entity_crm["spec"]["dryRun"], entity_crm["spec"]["backupBeforeMigration"]) == (False, True)
    assert all(
        d["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "-10" for d in got["schema-versions.yaml"]
    )


def test_global_app_schemas_live_in_the_tenant_database(example_fleet: Path) -> None:
    got = _tenant(example_fleet, "instances/arematics-prod/tenants/acme")
    (apj,) = [d for d in got["provisioning.yaml"] if d["kind"] == "AppProvisionJob"]
    assert apj["metadata"]["name"] == "acme.billing"
    assert "country" not in apj["spec"]
    assert (apj["spec"]["database"], apj["spec"]["schemas"]) == (
        "tenant_acme",
        [{"schema": "payments-billing", "service": "payments"}],
    )
    names = sorted(d["metadata"]["name"] for d in got["schema-versions.yaml"])
    assert names == ["acme.auth", "acme.entity", "acme.payments", "acme.payments-billing"]


def test_tenant_without_apps_only_frontends_get_no_schema(example_fleet: Path) -> None:
    got = _tenant(example_fleet, "instances/droneup-production/tenants/cherokee-nation")
    kinds = [d["kind"] for d in got["provisioning.yaml"]]
    assert kinds.count("TenantProvisionJob") == 1 and "AppProvisionJob" not in kinds
    services = sorted(d["spec"]["service"] for d in got["schema-versions.yaml"])
    assert services == ["mission-service", "utm-mission-service"]  # the frontends own no schema
    assert all(d["spec"]["dryRun"] is True for d in got["schema-versions.yaml"])  # cherokee-nation's policy
    (tpj,) = [d for d in got["provisioning.yaml"] if d["kind"] == "TenantProvisionJob"]
    assert tpj["spec"]["deletionPolicy"] == {"mode": "manual", "gracePeriod": "90d"}


def test_destructive_version_forces_a_backup(example_fleet: Path) -> None:
    path = "instances/droneup-development/tenants/droneup"
    before = _tenant(example_fleet, path)
    assert {d["spec"]["backupBeforeMigration"] for d in before["schema-versions.yaml"]} == {False}
    comp = example_fleet / "blueprints/components/mission-service/2.2.3.yaml"
    comp.write_text(comp.read_text(encoding="utf-8") + "  migrations:\n    destructive: true\n", encoding="utf-8")
    after = {
        d["spec"]["service"]: d["spec"]["backupBeforeMigration"]
        for d in _tenant(example_fleet, path)["schema-versions.yaml"]
    }
    assert after == {"mission-service": True, "utm-mission-service": False}


def test_rendering_is_deterministic(example_fleet: Path) -> None:
    sections = (crds.render, tenancy.render, controller.render, registry.render)
    assert emitted(example_fleet, *sections) == emitted(example_fleet, *sections)


def test_one_tenant_pin_change_touches_only_that_tenant_and_the_registry(example_fleet: Path) -> None:
    sections = (crds.render, tenancy.render, controller.render, registry.render)
    before = emitted(example_fleet, *sections)
    edit(example_fleet / "tenants/arematics-prod/xyz.yaml", "platform-2025-05", "platform-2025-07")
    after = emitted(example_fleet, *sections)
    assert sorted(before) == sorted(after)
    changed = sorted(p for p in before if before[p] != after[p])
    assert changed == [
        "instances/arematics-prod/registry/service-versions.yaml",
        "instances/arematics-prod/tenants/xyz/migrations.yaml",
        "instances/arematics-prod/tenants/xyz/provisioning.yaml",
        "instances/arematics-prod/tenants/xyz/schema-versions.yaml",
        "registry/service_versions.json",
        "registry/service_versions.sql",
    ]
    rendered = files(example_fleet, tenancy.render)[changed[3]]
    versions = {d["spec"]["schema"]: d["spec"]["desiredVersion"] for d in docs([rendered])}
    assert versions["auth"] == "1.4.0"


def test_each_country_gets_its_own_database_resources(example_fleet: Path) -> None:
    edit(example_fleet / "tenants/arematics-test/xyz.yaml", "countries: [de]", "countries: [de, fr]")
    got = _tenant(example_fleet)
    apjs = [d for d in got["provisioning.yaml"] if d["kind"] == "AppProvisionJob"]
    assert [(d["metadata"]["name"], d["spec"]["database"]) for d in apjs] == [
        ("xyz.crm.de", "tenant_xyz_de"),
        ("xyz.crm.fr", "tenant_xyz_fr"),
    ]
    assert sum(d["kind"] == "Job" for d in got["provisioning.yaml"]) == 3  # tenant_xyz, _de, _fr
    assert sorted(d["metadata"]["name"] for d in got["schema-versions.yaml"]) == [
        "xyz.auth",
        "xyz.de.entity-crm",
        "xyz.de.payments-crm",
        "xyz.entity",
        "xyz.fr.entity-crm",
        "xyz.fr.payments-crm",
        "xyz.payments",
    ]
    job, cron = got["migrations.yaml"]  # one Job: a step per service and database, each country its own
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    steps = [args[i + 1] for i, arg in enumerate(args) if arg == "--step"]
    assert [step.split(":")[1] for step in steps] == ["main", "de", "fr", "main", "main", "de", "fr"]
    # the retention CronJob keeps every one of those schemas, in each country's database, as in use
    clean = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert sorted(clean[i + 1] for i, arg in enumerate(clean) if arg == "--in-use") == [
        "tenant_xyz/auth",
        "tenant_xyz/entity",
        "tenant_xyz/payments",
        "tenant_xyz_de/entity-crm",
        "tenant_xyz_de/payments-crm",
        "tenant_xyz_fr/entity-crm",
        "tenant_xyz_fr/payments-crm",
    ]
