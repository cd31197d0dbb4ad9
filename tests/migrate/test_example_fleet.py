"""The example fleet's rendered Jobs, run by relc-migrate against the example migrations: no tenant is blocked,
and each tenant's retention CronJob then runs clean (everything its candidate migrates is in use).

The Jobs' own argument lists (compiled from the example fleet here, not written by hand) are run in their sync-wave
order, per Instance on a fresh server state, with only the in-cluster paths swapped for local ones: the Job's
migrations root (where its init containers copy each image's ``/migrations/<service>``) becomes this repository's
``migrations/``, the backup destination a temporary folder. DroneUp's services keep no migrations here: their
tenants are provisioned, not migrated. Before RLC406, tenant xyz in arematics-prod (platform-2025-05, payments
2.0.0) was blocked here (exit 3): entity's dependencies.yml requires payments >= 2.1.0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from click.testing import CliRunner

import relc_contract as contract
from compiler.cli import main
from tests.conftest import TODAY
from tests.migrate.conftest import run_cli
from tests.migrate.fakekube import FakeKube, crd_schemas, deployment, environment, serve, service_account_rules
from tests.migrate.helpers import EXAMPLES
from tests.migrate.pgserver import PgServer

pytestmark = pytest.mark.postgres

WAVE = "argocd.argoproj.io/sync-wave"
TOKEN = "example-fleet-sa-token"


def jobs_of(folder: Path) -> list[dict[str, Any]]:
    """A tenant's provisioning then migration Jobs, in Argo CD's order (sync wave, then file order)."""
    found = [
        doc
        for name in ("provisioning.yaml", "migrations.yaml")
        for doc in yaml.safe_load_all((folder / name).read_text())
        if doc and doc["kind"] == "Job"
    ]
    return sorted(found, key=lambda job: int(job["metadata"]["annotations"][WAVE]))


def cleanup_of(folder: Path) -> dict[str, Any]:
    """A tenant's retention CronJob (in its migrations.yaml)."""
    text = (folder / "migrations.yaml").read_text()
    found: list[dict[str, Any]] = [doc for doc in yaml.safe_load_all(text) if doc and doc["kind"] == "CronJob"]
    (cron,) = found
    return cron


def shipped_here(job: dict[str, Any]) -> bool:
    """Whether the repository keeps the Job's migrations (the example's auth, entity, payments; not DroneUp's)."""
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    services = [contract.parse_step(args[n + 1]).service for n, arg in enumerate(args[:-1]) if arg == "--step"]
    return all((EXAMPLES / service).is_dir() for service in services)


def local_args(job: dict[str, Any], backups: Path) -> list[str]:
    args: list[str] = list(job["spec"]["template"]["spec"]["containers"][0]["args"])
    for n, arg in enumerate(args[:-1]):
        if arg == "--migrations-root":
            args[n + 1] = str(EXAMPLES)
        elif arg == "--backup-destination":
            args[n + 1] = str(backups)
    return args


def databases(jobs: list[dict[str, Any]]) -> set[str]:
    return {
        a[n + 1] for job in jobs for a in [local_args(job, Path())] for n, x in enumerate(a[:-1]) if x == "--database"
    }


def drop(pg: PgServer, names: set[str]) -> None:
    with pg.connect() as conn:
        for name in sorted(names):
            conn.execute(
                psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(psycopg.sql.Identifier(name))
            )


def documents(*paths: Path) -> list[dict[str, Any]]:
    return [doc for path in paths if path.is_file() for doc in yaml.safe_load_all(path.read_text()) if doc]


def instance_cluster(instance: Path, crds: Path) -> FakeKube:
    """The fake API server as Argo CD leaves an Instance before its tenants' PreSync Jobs run on their second
    sync: its rendered RBAC, every tenant's rendered custom resources (no status yet), and every candidate's
    Deployments Available."""
    candidates = sorted(instance.glob("candidates/*/templates/platform.yaml"))
    rbac = documents(instance / "platform" / "tenancy.yaml", *candidates)
    state = FakeKube(TOKEN, service_account_rules(rbac, f"{instance.name}-tenancy"), crd_schemas(crds))
    for doc in rbac:
        if doc["kind"] == "Namespace" and doc["metadata"]["labels"].get("relc.dev/namespace-role") == "candidate":
            ns = doc["metadata"]["name"]
            state.deployments[ns] = [[deployment("api", ns), deployment("web", ns)]]
    for tenant in sorted((instance / "tenants").glob("*")):
        for doc in documents(tenant / "provisioning.yaml", tenant / "schema-versions.yaml"):
            if doc["apiVersion"] == contract.CRD_API_VERSION:
                state.add(doc)
    return state


def test_every_example_tenant_migrates_without_being_blocked(
    example_fleet: Path, pg: PgServer, cli_env: dict[str, str], tmp_path: Path, kube_tls: tuple[Path, Path]
) -> None:
    """... and the rendered Jobs' gate and status writes work with the rendered RBAC and CRDs: every rendered
    TenantSchemaVersion of a migrated tenant ends ``complete`` at its desiredVersion."""
    compiled = CliRunner().invoke(main, ["compile", "--root", str(example_fleet), "--today", TODAY])
    assert compiled.exit_code == 0, compiled.output
    instances = sorted((example_fleet / "rendered" / "instances").iterdir())
    outcomes: list[tuple[str, str, str, int, object]] = []
    cleanups: list[tuple[str, str, int, object]] = []
    created: set[str] = set()
    clusters: dict[str, FakeKube] = {}
    try:
        for instance in instances:
            tenants = sorted((instance / "tenants").iterdir()) if (instance / "tenants").is_dir() else []
            plans = {tenant.name: jobs_of(tenant) for tenant in tenants}
            names = set().union(*(databases(jobs) for jobs in plans.values()))
            drop(pg, names)  # each Instance has its own database server in the cluster: start afresh
            created |= names
            state = clusters[instance.name] = instance_cluster(instance, example_fleet / "rendered" / "crds")
            server = serve(state, *kube_tls)
            try:
                pod = environment(server, tmp_path / instance.name, kube_tls[0], f"{instance.name}-tenancy", TOKEN)
                for tenant, jobs in plans.items():
                    for job in filter(shipped_here, jobs):
                        rendered_env = {
                            e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]
                        }
                        assert rendered_env[contract.ENV_KUBE_API] == pod[contract.ENV_KUBE_API]
                        run = run_cli(local_args(job, tmp_path / "backups"), {**cli_env, **pod})
                        outcomes.append(
                            (instance.name, tenant, job["metadata"]["name"], run.exit_code, run.summary.get("status"))
                        )
                    cron = cleanup_of(instance / "tenants" / tenant)
                    args = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
                    run = run_cli(args, cli_env)
                    # everything the tenant's candidate migrates is in use: nothing retained, nothing dropped
                    kept = (run.summary.get("retained"), run.summary.get("dropped_schemas"))
                    cleanups.append((instance.name, tenant, run.exit_code, kept))
            finally:
                server.shutdown()
    finally:
        drop(pg, created)  # the server is shared by the worker's tests: leave no tenant database behind
    failed = [o for o in outcomes if o[3] != 0]
    assert not failed, failed
    migrated = {(i, t) for i, t, name, *_ in outcomes if name.startswith("mig-")}
    for instance_name, state in clusters.items():
        assert (state.violations, state.forbidden) == ([], []), instance_name
        for (plural, _, name), obj in state.objects.items():
            if plural == contract.TENANT_SCHEMA_VERSIONS and (instance_name, obj["spec"]["tenant"]) in migrated:
                status = obj.get("status") or {}
                assert (status.get("phase"), status.get("currentVersion")) == (
                    "complete", obj["spec"]["desiredVersion"],
                ), (instance_name, name)  # fmt: skip
            if plural != contract.TENANT_SCHEMA_VERSIONS and (instance_name, obj["spec"]["tenant"]) in migrated:
                assert obj["status"]["phase"] == "complete", (instance_name, name)  # Tenant- and AppProvisionJobs
    assert [c for c in cleanups if c[2:] != (0, ([], []))] == []
    assert len(cleanups) == sum(1 for _ in example_fleet.glob("rendered/instances/*/tenants/*/migrations.yaml"))
    ran = {(i, t) for i, t, *_ in outcomes}
    assert ("arematics-prod", "xyz") in ran and ("arematics-prod", "acme") in ran and ("arematics-qa", "xyz") in ran
    prod_xyz = [o for o in outcomes if o[:2] == ("arematics-prod", "xyz")]
    assert len(prod_xyz) == 3  # 2 provisioning (tenant_xyz, tenant_xyz_de) + 1 migration of all its schemas
