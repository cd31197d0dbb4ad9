"""Status where operators look, and the candidate-readiness gate: relc-migrate run for real (the CLI, the real
PostgreSQL) against the fake API server of fakekube.py, which checks every request against the rendered CRDs and
the rendered RBAC."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import relc_contract as contract
from compiler.render.platform import candidate_reader, migrate_status_writer
from tests.migrate.fakekube import FakeKube, deployment, environment, serve, service_account_rules
from tests.migrate.helpers import copy_service, provision_args, tenant_args

pytestmark = pytest.mark.postgres

INSTANCE = "inst"
TENANCY = "inst-tenancy"
CANDIDATE = "inst-platform-2025-07"
TOKEN = "sa-token-4f1c"
TSV = contract.TENANT_SCHEMA_VERSIONS
TPJ = contract.TENANT_PROVISION_JOBS
VERSIONS = {"auth": "1.2.0", "payments": "2.2.0", "entity": "1.2.0"}
ALL = ("auth@1.2.0", "payments@2.2.0", "entity@1.2.0")


@dataclass
class Cluster:
    state: FakeKube
    env: dict[str, str]


@pytest.fixture
def cluster(kube_tls: tuple[Path, Path], tmp_path: Path) -> Iterator[Cluster]:
    """The fake API server with the RBAC the compiler renders for relc-migrate, and a pod's environment."""
    roles = [*migrate_status_writer(INSTANCE, TENANCY), *candidate_reader(INSTANCE, CANDIDATE, TENANCY)]
    state = FakeKube(TOKEN, service_account_rules(roles, TENANCY))
    state.deployments[CANDIDATE] = [[deployment("api", CANDIDATE), deployment("web", CANDIDATE)]]
    server = serve(state, *kube_tls)
    try:
        yield Cluster(state, environment(server, tmp_path, kube_tls[0], TENANCY, TOKEN))
    finally:
        server.shutdown()


def _resources(state: FakeKube, tenant: str) -> None:
    """The tenant's TenantProvisionJob and TenantSchemaVersions, as the compiler renders them (names from the
    contract, specs valid against the CRDs)."""
    state.add(
        {
            "apiVersion": contract.CRD_API_VERSION,
            "kind": "TenantProvisionJob",
            "metadata": {"name": contract.tenant_provision_name(tenant), "namespace": TENANCY},
            "spec": {
                "tenant": tenant, "instance": INSTANCE, "releaseCandidate": "platform-2025-07",
                "database": contract.tenant_database(tenant),
                "schemas": [{"schema": s, "service": s} for s in VERSIONS],
                "vaultNamespace": "vault", "vaultPath": f"secret/data/{tenant}",
                "deletionPolicy": {"mode": "immediate", "gracePeriod": "30d"},
                "retention": {"schemaTransition": "30d", "deprecatedVersions": "60d"},
            },
        }
    )  # fmt: skip
    for service, version in VERSIONS.items():
        state.add(
            {
                "apiVersion": contract.CRD_API_VERSION,
                "kind": "TenantSchemaVersion",
                "metadata": {"name": contract.schema_version_name(tenant, service, None), "namespace": TENANCY},
                "spec": {
                    "tenant": tenant, "service": service, "schema": service,
                    "database": contract.tenant_database(tenant),
                    "desiredVersion": version, "dryRun": False, "backupBeforeMigration": False, "autoUpgrade": False,
                },
            }
        )  # fmt: skip


def _clean(state: FakeKube) -> None:
    assert state.violations == []
    assert state.forbidden == []


def _registry(pg: Any, tenant: str) -> dict[str, tuple[Any, ...]]:
    with pg.connect(contract.tenant_database(tenant)) as conn:
        rows = conn.execute(
            "SELECT schema_name, current_version, status, "
            """to_char(last_migrated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM relc.schema_registry"""
        ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_statuses_progress_pending_migrating_complete(relc: Any, pg: Any, tenant: str, cluster: Cluster) -> None:
    state = cluster.state
    _resources(state, tenant)
    provisioned = relc(*provision_args(tenant), **cluster.env)
    assert provisioned.exit_code == 0, provisioned.output
    assert state.phases(TPJ, tenant) == ["running", "complete"]
    assert provisioned.summary["status_writes"] == {"written": 2, "failed": 0, "missing": 0}

    run = relc(*tenant_args(tenant, *ALL, candidate_namespace=CANDIDATE), **cluster.env)
    assert run.exit_code == 0, run.output
    _clean(state)
    registry = _registry(pg, tenant)
    for service, version in VERSIONS.items():
        name = contract.schema_version_name(tenant, service, None)
        assert state.phases(TSV, name) == ["pending", "migrating", "complete"]
        status = state.status(TSV, TENANCY, name)
        assert (status["phase"], status["currentVersion"], status["jobName"]) == ("complete", version, "test-job")
        assert registry[service] == (version, "complete", status["lastMigratedAt"])  # a view of the registry
        assert "message" not in status  # cleared on completion
        [ready] = status["conditions"]
        assert (ready["type"], ready["status"], ready["reason"], ready["observedGeneration"]) == (
            "Ready", "True", "Complete", 1,
        )  # fmt: skip
    assert run.summary["status_writes"] == {"written": 9, "failed": 0, "missing": 0}
    assert run.summary["candidate_waited_seconds"] < 1.0

    again = relc(*tenant_args(tenant, *ALL, candidate_namespace=CANDIDATE), **cluster.env)
    assert (again.exit_code, again.summary["noop"], again.summary["status_writes"]) == (
        0, True, {"written": 0, "failed": 0, "missing": 0},
    )  # fmt: skip  # a run with nothing to do writes nothing


def test_a_failing_sql_file_sets_failed_with_its_error(
    relc: Any, pg: Any, tenant: str, cluster: Cluster, tmp_path: Path
) -> None:
    state = cluster.state
    _resources(state, tenant)
    folder = copy_service(tmp_path, "auth")
    (folder / "V1.2.0__01_add_tfa.sql").write_text("SELECT 1/0;\n-- ROLLBACK:\nSELECT 1;\n")
    assert relc(*provision_args(tenant)).exit_code == 0  # no API: no status writes
    run = relc(*tenant_args(tenant, "auth@1.2.0", root=tmp_path / "migrations"), **cluster.env)
    assert run.exit_code == int(contract.ExitCode.FAILED), run.output
    _clean(state)
    name = contract.schema_version_name(tenant, "auth", None)
    assert state.phases(TSV, name) == ["pending", "migrating", "failed"]
    status = state.status(TSV, TENANCY, name)
    assert status["currentVersion"] == "1.1.0"  # what the registry reached before the failing file
    assert status["message"] == "auth/V1.2.0__01_add_tfa.sql failed: 22012 division by zero (statement: SELECT 1/0)"
    assert status["conditions"][0]["status"] == "False" and status["conditions"][0]["reason"] == "Failed"
    assert state.phases(TPJ, tenant) == []


def test_a_dependency_block_sets_blocked_and_later_steps_stay_pending(
    relc: Any, pg: Any, tenant: str, cluster: Cluster
) -> None:
    state = cluster.state
    _resources(state, tenant)
    assert relc(*provision_args(tenant)).exit_code == 0
    run = relc(*tenant_args(tenant, "entity@1.2.0", "auth@1.2.0", "payments@2.2.0"), **cluster.env)
    assert run.exit_code == int(contract.ExitCode.BLOCKED), run.output
    _clean(state)
    entity = state.status(TSV, TENANCY, contract.schema_version_name(tenant, "entity", None))
    assert state.phases(TSV, contract.schema_version_name(tenant, "entity", None)) == [
        "pending",
        "migrating",
        "blocked",
    ]
    assert entity["message"].startswith("requires auth")
    for service in ("auth", "payments"):
        assert state.phases(TSV, contract.schema_version_name(tenant, service, None)) == ["pending"]


def test_the_gate_waits_for_the_candidate_then_migrates(relc: Any, pg: Any, tenant: str, cluster: Cluster) -> None:
    state = cluster.state
    rolling = [deployment("api", CANDIDATE, available=1), deployment("web", CANDIDATE)]
    stale = [deployment("api", CANDIDATE, observed=0), deployment("web", CANDIDATE)]
    state.deployments[CANDIDATE] = [[], rolling, stale, [deployment("api", CANDIDATE), deployment("web", CANDIDATE)]]
    state.page_size = 1  # one Deployment per page: the client must follow ``continue``
    assert relc(*provision_args(tenant)).exit_code == 0
    run = relc(
        *tenant_args(tenant, "auth@1.2.0", candidate_namespace=CANDIDATE, candidate_wait_seconds=30), **cluster.env
    )
    assert run.exit_code == 0, run.output
    _clean(state)
    assert state.lists == 4  # nothing yet, one rolling out, one generation not observed, then all Available
    assert 4.0 <= float(run.summary["candidate_waited_seconds"]) < 10.0  # three polls 2 s apart
    assert _registry(pg, tenant)["auth"][:2] == ("1.2.0", "complete")


def test_the_gate_times_out_and_nothing_is_migrated(relc: Any, pg: Any, tenant: str, cluster: Cluster) -> None:
    state = cluster.state
    _resources(state, tenant)
    state.deployments[CANDIDATE] = [[deployment("api", CANDIDATE, available=1), deployment("web", CANDIDATE)]]
    assert relc(*provision_args(tenant)).exit_code == 0
    before = _registry(pg, tenant)
    run = relc(*tenant_args(tenant, *ALL, candidate_namespace=CANDIDATE, candidate_wait_seconds=1), **cluster.env)
    assert run.exit_code == int(contract.ExitCode.CANDIDATE_NOT_READY) == 6
    assert run.summary["outcome"] == "not_ready"
    assert run.summary["message"] == (
        f"candidate {CANDIDATE} not ready after 1s: api: wants 2 replicas (replicas 2, updatedReplicas 1, "
        "availableReplicas 1); nothing was migrated"
    )
    _clean(state)
    assert _registry(pg, tenant) == before
    assert state.patches == []


def test_the_gate_gives_up_at_once_when_rbac_forbids_reading_deployments(
    relc: Any, pg: Any, tenant: str, cluster: Cluster
) -> None:
    elsewhere = "inst-platform-2099-01"  # no Role there
    run = relc(
        *tenant_args(tenant, "auth@1.2.0", candidate_namespace=elsewhere, candidate_wait_seconds=60), **cluster.env
    )
    assert run.exit_code == 6
    assert run.summary["message"] == (
        f"cannot read Deployments in {elsewhere}: GET /apis/apps/v1/namespaces/{elsewhere}/deployments?limit=500: "
        f'403 deployments.apps "" is forbidden: User "system:serviceaccount:{elsewhere}:relc-migrate" cannot list '
        f'resource "deployments" in API group "apps" in the namespace "{elsewhere}"'
    )
    assert float(run.summary["duration_seconds"]) < 5.0


def test_the_gate_needs_the_api(relc: Any, tenant: str) -> None:
    run = relc(*tenant_args(tenant, "auth@1.2.0", candidate_namespace=CANDIDATE))
    assert run.exit_code == int(contract.ExitCode.USAGE)
    assert (
        run.summary["message"] == "the Kubernetes API is not enabled: set RELC_KUBE_API=in-cluster (rendered Jobs do)"
    )


@pytest.mark.parametrize("answer", [500, 403])
def test_a_failing_status_write_never_fails_the_migration(
    relc: Any, pg: Any, tenant: str, cluster: Cluster, tmp_path: Path, answer: int
) -> None:
    state = cluster.state
    _resources(state, tenant)
    state.answer_status_with = answer
    assert relc(*provision_args(tenant)).exit_code == 0
    run = relc(*tenant_args(tenant, *ALL), **cluster.env)
    assert run.exit_code == 0, run.output
    assert run.summary["status_writes"] == {"written": 0, "failed": 3, "missing": 0}  # then writes stop
    assert _registry(pg, tenant)["entity"][:2] == ("1.2.0", "complete")
    assert "status of tenantschemaversions/" in run.output and "no more status writes in this run" in run.output
    metrics = (tmp_path / "metrics.prom").read_text()
    assert f'relc_status_write_failed_total{{cluster="none",relc_instance="none",resource="{TSV}"}} 3.0' in metrics


def test_an_unreachable_api_costs_bounded_time(relc: Any, pg: Any, tenant: str, cluster: Cluster) -> None:
    _resources(cluster.state, tenant)
    cluster.state.delay = 6.0  # longer than the client's 5 s timeout
    assert relc(*provision_args(tenant)).exit_code == 0
    run = relc(*tenant_args(tenant, *ALL), **cluster.env)
    assert run.exit_code == 0, run.output
    assert run.summary["status_writes"] == {"written": 0, "failed": 3, "missing": 0}
    assert float(run.summary["duration_seconds"]) < 3 * 5 + 5  # three timeouts, then no more requests


def test_objects_not_created_yet_are_skipped_then_filled_in_by_the_next_run(
    relc: Any, pg: Any, tenant: str, cluster: Cluster
) -> None:
    """A tenant's first sync: Argo CD applies its custom resources after the PreSync Job ran. The next run has
    nothing to do, and only reconciles: it patches the objects whose status does not match the registry."""
    state = cluster.state
    assert relc(*provision_args(tenant), **cluster.env).exit_code == 0
    run = relc(*tenant_args(tenant, *ALL), **cluster.env)
    assert run.exit_code == 0, run.output
    assert run.summary["status_writes"] == {"written": 0, "failed": 0, "missing": 9}
    _resources(state, tenant)  # the Sync phase
    noop = relc(*tenant_args(tenant, *ALL), **cluster.env)
    assert (noop.exit_code, noop.summary["noop"], noop.summary["status_writes"]) == (
        0, True, {"written": 3, "failed": 0, "missing": 0},
    )  # fmt: skip
    _clean(state)
    registry = _registry(pg, tenant)
    for service, version in VERSIONS.items():
        status = state.status(TSV, TENANCY, contract.schema_version_name(tenant, service, None))
        assert (status["phase"], status["currentVersion"], status["lastMigratedAt"]) == (
            "complete", version, registry[service][2],
        )  # fmt: skip


def test_no_api_no_requests(relc: Any, pg: Any, tenant: str, cluster: Cluster) -> None:
    _resources(cluster.state, tenant)
    assert relc(*provision_args(tenant)).exit_code == 0
    run = relc(*tenant_args(tenant, *ALL))
    assert run.exit_code == 0 and "status_writes" not in run.summary
    assert cluster.state.patches == [] and cluster.state.lists == 0


def test_deprovision_reports_on_the_tenant_provision_job(relc: Any, pg: Any, tenant: str, cluster: Cluster) -> None:
    state = cluster.state
    _resources(state, tenant)
    assert relc(*provision_args(tenant)).exit_code == 0
    database = contract.tenant_database(tenant)
    kept = relc("deprovision", "--tenant", tenant, "--database", database, "--mode", "manual", **cluster.env)
    assert kept.exit_code == 0, kept.output
    assert state.status(TPJ, TENANCY, tenant)["message"] == "deletion requested: run deprovision --finalize to purge"
    gone = relc("deprovision", "--tenant", tenant, "--database", database, "--mode", "immediate", **cluster.env)
    assert gone.exit_code == 0, gone.output
    _clean(state)
    assert state.phases(TPJ, tenant) == ["deprovisioning", "deprovisioned"]
    assert state.status(TPJ, TENANCY, tenant)["conditions"][0]["reason"] == "Deprovisioned"


_PROBE = """
import sys
from relc_migrate import cli, kubestatus, migrate, provision, tenant
print(sorted(m for m in sys.modules if m in ("relc_migrate.kube", "relc_migrate.gate")))
"""


def test_only_a_run_that_talks_to_the_api_imports_its_client() -> None:
    """Local and CI runs (no RELC_KUBE_API, no --await-candidate) never load the client or the gate."""
    import subprocess
    import sys

    from tests.migrate.helpers import REPO

    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout == "[]\n"


def test_sigterm_during_the_gate_stops_the_run_at_once(cli_env: dict[str, str], tenant: str, cluster: Cluster) -> None:
    """The real binary, waiting on a candidate that never gets ready: SIGTERM ends it with exit 5 and a summary."""
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.migrate.helpers import REPO

    cluster.state.deployments[CANDIDATE] = [[deployment("api", CANDIDATE, available=0)]]
    argv = tenant_args(tenant, "auth@1.2.0", candidate_namespace=CANDIDATE, candidate_wait_seconds=120)
    env = {**os.environ, **cli_env, **cluster.env}
    runner = subprocess.Popen(
        [sys.executable, "-m", "relc_migrate", *argv], env=env, cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while cluster.state.lists < 2 and time.monotonic() < deadline:  # it is polling
        time.sleep(0.05)
    started = time.monotonic()
    runner.send_signal(signal.SIGTERM)
    out, _ = runner.communicate(timeout=30)
    assert runner.returncode == int(contract.ExitCode.INTERRUPTED)
    assert time.monotonic() - started < 2.0
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["outcome"] == "interrupted" and summary["command"] == "migrate-tenant"


def test_an_apps_provisioning_reports_on_its_app_provision_job(relc: Any, tenant: str, cluster: Cluster) -> None:
    state = cluster.state
    database = contract.tenant_database(tenant, "de")
    name = contract.app_provision_name(tenant, "crm", "de")
    state.add(
        {
            "apiVersion": contract.CRD_API_VERSION,
            "kind": "AppProvisionJob",
            "metadata": {"name": name, "namespace": TENANCY},
            "spec": {
                "tenant": tenant, "app": "crm", "countryScoped": True, "country": "de", "database": database,
                "schemas": [{"schema": "entity-crm", "service": "entity"}], "services": ["entity"],
            },
        }
    )  # fmt: skip
    _resources(state, tenant)
    inv = contract.ProvisionInvocation(tenant, database, ("entity-crm",), ("entity",), app="crm")
    run = relc(*contract.provision_argv(inv), **cluster.env)
    assert run.exit_code == 0, run.output
    _clean(state)
    assert state.phases(contract.APP_PROVISION_JOBS, name) == ["running", "complete"]
    assert state.status(contract.APP_PROVISION_JOBS, TENANCY, name)["jobName"] == "test-job"
    assert state.phases(TPJ, tenant) == []  # the tenant's base schemas were not this run's
