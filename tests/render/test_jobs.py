"""Migration and provisioning Jobs: the contract's argv, env, paths and names, wrapped in safe Kubernetes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import compiler
import relc_contract as contract
from compiler.render import tenancy
from tests.compile.util import compile_fleet
from tests.render.helpers import edit, files

XYZ = "instances/arematics-test/tenants/xyz"


def _jobs(root: Path, folder: str = XYZ, file: str = "migrations.yaml") -> list[dict[str, Any]]:
    return list(files(root, tenancy.render)[f"{folder}/{file}"].manifests())


def _job(root: Path, folder: str = XYZ) -> dict[str, Any]:
    """The tenant's one migration Job (its migrations.yaml also holds the retention CronJob)."""
    (job,) = [doc for doc in _jobs(root, folder) if doc["kind"] == "Job"]
    return job


def _steps(job: dict[str, Any]) -> list[contract.TenantStep]:
    args = _main(job)["args"]
    return [contract.parse_step(args[i + 1]) for i, arg in enumerate(args) if arg == "--step"]


def _main(job: dict[str, Any]) -> dict[str, Any]:
    (main,) = job["spec"]["template"]["spec"]["containers"]
    assert isinstance(main, dict)
    return main


def test_one_job_per_tenant_with_a_step_per_service_and_database_in_migration_order(example_fleet: Path) -> None:
    job = _job(example_fleet)
    # platform-2025-07: migrationOrder payments, auth, entity; the main database before the country's
    assert [(s.service, s.country) for s in _steps(job)] == [
        ("payments", None),
        ("payments", "de"),
        ("auth", None),
        ("entity", None),
        ("entity", "de"),
    ]
    meta = job["metadata"]
    assert meta["annotations"]["argocd.argoproj.io/sync-wave"] == "0"
    assert meta["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
    assert meta["annotations"]["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"
    assert meta["namespace"] == "arematics-test-tenancy" and len(meta["name"]) <= 63


def test_argv_and_env_come_from_the_contract(example_fleet: Path) -> None:
    job = _job(example_fleet)
    main = _main(job)
    steps = (
        contract.TenantStep("payments", "2.1.0", None, ("payments",), backup=True),
        contract.TenantStep("payments", "2.1.0", "de", ("payments-crm",), backup=True),
        contract.TenantStep("auth", "1.4.0", None, ("auth",), backup=True),
        contract.TenantStep("entity", "2.3.0", None, ("entity",), backup=True),
        contract.TenantStep("entity", "2.3.0", "de", ("entity-crm",), backup=True),
    )
    expected = contract.TenantMigrateInvocation(
        tenant="xyz",
        steps=steps,
        backup_destination="s3://arematics-tenant-backups/arematics-test/xyz",
        backup_timeout_seconds=600,
        slot_wait_seconds=600.0,
        statement_timeout_ms=600_000,
        candidate_namespace="arematics-test-platform-2025-07",  # the readiness gate: the tenant's candidate
        candidate_wait_seconds=600.0,
    )
    assert main["args"] == list(contract.migrate_tenant_argv(expected))
    assert main["image"] == f"ghcr.io/relc-dev/relc-migrate:{compiler.__version__}"  # the default: relc's version
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in main["env"]}
    name = job["metadata"]["name"]
    assert env == {
        **dict(
            contract.job_environment(
                image=main["image"], concurrency_limit=3, cluster="test", instance="arematics-test", kube_api=True
            )
        ),
        # the Job's name from the pod's own label, not written a second time
        contract.ENV_JOB_NAME: {"fieldRef": {"fieldPath": "metadata.labels['batch.kubernetes.io/job-name']"}},
    }
    assert [e["name"] for e in main["env"]] == sorted(env)
    assert name == contract.tenant_job_name("xyz", steps, False)
    assert main["terminationMessagePath"] == contract.TERMINATION_LOG_PATH


def test_credentials_are_vault_files_never_values(example_fleet: Path) -> None:
    job = _job(example_fleet)
    annotations = job["spec"]["template"]["metadata"]["annotations"]
    env = {e["name"]: e["value"] for e in _main(job)["env"] if "value" in e}
    tenant_file = env[contract.ENV_DB_DSN_FILE].rsplit("/", 1)[1]
    assert annotations["vault.hashicorp.com/namespace"] == "vault-test"
    assert annotations["vault.hashicorp.com/agent-pre-populate-only"] == "true"
    assert (
        annotations[f"vault.hashicorp.com/agent-inject-secret-{tenant_file}"]
        == "secret/data/arematics-test/tenants/xyz"
    )
    infra_file = env[contract.ENV_INFRA_DSN_FILE].rsplit("/", 1)[1]
    assert "dbname=infra" in annotations[f"vault.hashicorp.com/agent-inject-template-{infra_file}"]
    assert "password" not in json.dumps(job).lower()
    assert not any(k in env for k in (contract.ENV_DB_DSN, contract.ENV_INFRA_DSN))


def test_one_init_container_per_service_image_each_into_its_own_folder(example_fleet: Path) -> None:
    job = _job(example_fleet)
    pod = job["spec"]["template"]["spec"]
    inits = pod["initContainers"]
    assert [(c["name"], c["image"]) for c in inits] == [  # pin + Instance imageTagSuffix, in migration order
        ("copy-payments", "registry.arematics.example/payments:2.1.0-test"),
        ("copy-auth", "registry.arematics.example/auth:1.4.0-test"),
        ("copy-entity", "registry.arematics.example/entity:2.3.0-test"),
    ]
    assert [c["command"] for c in inits] == [
        ["cp", "-R", "/migrations/payments", "/work/migrations/payments"],
        ["cp", "-R", "/migrations/auth", "/work/migrations/auth"],
        ["cp", "-R", "/migrations/entity", "/work/migrations/entity"],
    ]
    assert [list(contract.init_container_command(s)) for s in ("payments", "auth", "entity")] == [
        c["command"] for c in inits
    ]
    args = _main(job)["args"]
    assert args[args.index("--migrations-root") + 1] == contract.MIGRATIONS_MOUNT_ROOT
    shared = {"name": "migrations", "mountPath": contract.MIGRATIONS_VOLUME_MOUNT}
    assert all(c["volumeMounts"] == [shared] for c in inits)
    assert {**shared, "readOnly": True} in _main(job)["volumeMounts"]
    assert {"name": "migrations", "emptyDir": {}} in pod["volumes"]


def test_component_image_tag_is_used_when_declared(example_fleet: Path) -> None:
    edit(
        example_fleet / "blueprints/components/payments/2.1.0.yaml",
        "version: 2.1.0",
        "version: 2.1.0\n  imageTag: v2.1.0-b7",
    )
    (payments, *_) = _job(example_fleet)["spec"]["template"]["spec"]["initContainers"]
    assert payments["image"] == "registry.arematics.example/payments:v2.1.0-b7-test"


def test_pod_is_locked_down_and_limits_follow_the_instance(example_fleet: Path) -> None:
    job = _job(example_fleet)
    spec = job["spec"]
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == "relc-migrate" and pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    for container in (*pod["initContainers"], *pod["containers"]):
        ctx = container["securityContext"]
        assert ctx["readOnlyRootFilesystem"] is True and ctx["capabilities"] == {"drop": ["ALL"]}
        assert ctx["allowPrivilegeEscalation"] is False
        assert "requests" in container["resources"]
    assert spec["backoffLimit"] == 0  # Argo CD's retry is the one retry layer (migration.retries)
    # slot wait, then per step (five, each backing up) backup + migration: 10m each
    assert pod["activeDeadlineSeconds"] == (2 + 5 * 2) * 600  # the gate, the slot, 5 steps with a backup each
    assert spec["activeDeadlineSeconds"] == pod["activeDeadlineSeconds"]  # one pod per Job
    assert spec["ttlSecondsAfterFinished"] > 0
    fail = spec["podFailurePolicy"]["rules"][0]
    assert fail["action"] == "FailJob" and contract.ExitCode.BLOCKED in fail["onExitCodes"]["values"]
    assert "exec" not in json.dumps(job)


def test_new_desired_version_makes_a_new_job_name(example_fleet: Path) -> None:
    folder = "instances/arematics-prod/tenants/xyz"
    before = _job(example_fleet, folder)
    edit(example_fleet / "tenants/arematics-prod/xyz.yaml", "platform-2025-05", "platform-2025-07")
    after = _job(example_fleet, folder)
    old = {(s.service, s.country): s.version for s in _steps(before)}
    new = {(s.service, s.country): s.version for s in _steps(after)}
    assert old.keys() == new.keys()
    moved = {key for key in old if old[key] != new[key]}
    # auth 1.2.0 -> 1.4.0 and entity 2.0.0 -> 2.3.0 move (in both databases); payments is 2.1.0 in both candidates
    assert {service for service, _ in moved} == {"auth", "entity"}
    assert before["metadata"]["name"] != after["metadata"]["name"]


def test_dry_run_policy_reaches_the_job(example_fleet: Path) -> None:
    folder = "instances/droneup-production/tenants/cherokee-nation"
    assert "--dry-run" in _main(_job(example_fleet, folder))["args"]


def test_backup_destination_per_tenant(example_fleet: Path) -> None:
    """Each tenant's backups go under the Instance's destination (an Instance without one is RLC606)."""
    path = example_fleet / "instances/arematics-test.yaml"
    edit(path, "s3://arematics-tenant-backups/arematics-test", "s3://backups/arematics-test/")
    args = _main(_job(example_fleet))["args"]
    assert args[args.index("--backup-destination") + 1] == "s3://backups/arematics-test/xyz"


def test_long_tenant_names_keep_job_names_within_63(example_fleet: Path) -> None:
    long = "t" * 40 + "-" + "x" * 12  # 53: tenant_<long>_de is exactly 63 bytes
    src = example_fleet / "tenants/arematics-test/xyz.yaml"
    src.rename(src.with_name(f"{long}.yaml"))
    edit(src.with_name(f"{long}.yaml"), "name: xyz", f"name: {long}")
    out = files(example_fleet, tenancy.render)
    jobs = [d for p, f in out.items() if long in p for d in f.manifests() if d["kind"] == "Job"]
    assert len(jobs) == 3  # two provisioning, one migration
    names = [j["metadata"]["name"] for j in jobs]
    assert all(len(n) <= 63 for n in names) and len(set(names)) == len(names)


def test_provisioning_jobs_one_per_database_before_migrations(example_fleet: Path) -> None:
    jobs = [d for d in _jobs(example_fleet, file="provisioning.yaml") if d["kind"] == "Job"]
    argvs = [_main(j)["args"] for j in jobs]
    assert argvs == [
        list(
            contract.provision_argv(
                contract.ProvisionInvocation(
                    "xyz", "tenant_xyz", ("payments", "auth", "entity"), ("payments", "auth", "entity")
                )
            )
        ),
        list(
            contract.provision_argv(
                contract.ProvisionInvocation(  # app crm's schemas: its AppProvisionJob gets the status
                    "xyz", "tenant_xyz_de", ("payments-crm", "entity-crm"), ("payments", "entity"), app="crm"
                )
            )
        ),
    ]
    assert {j["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] for j in jobs} == {"-10"}
    assert all("initContainers" not in j["spec"]["template"]["spec"] for j in jobs)


def test_vault_values_that_would_break_the_agent_template_are_refused(example_fleet: Path) -> None:
    path = example_fleet / "instances/arematics-test.yaml"
    edit(path, "pathPrefix: secret/data/arematics-test/tenants", 'pathPrefix: secret/data/x"}}{{ evil')
    result = compile_fleet(example_fleet)
    assert result.exit_code == 1
    assert "Vault path" in result.output and "may only hold" in result.output
