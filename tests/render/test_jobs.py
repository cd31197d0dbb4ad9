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


def _by(jobs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(service, database) → Job."""
    out = {}
    for job in jobs:
        args = _main(job)["args"]
        out[args[args.index("--service") + 1], args[args.index("--database") + 1]] = job
    return out


def _main(job: dict[str, Any]) -> dict[str, Any]:
    (main,) = job["spec"]["template"]["spec"]["containers"]
    assert isinstance(main, dict)
    return main


def test_one_job_per_service_and_database_in_migration_order(example_fleet: Path) -> None:
    jobs = _jobs(example_fleet)
    keys = list(_by(jobs))
    assert keys == [
        ("payments", "tenant_xyz"),
        ("payments", "tenant_xyz_de"),
        ("auth", "tenant_xyz"),
        ("entity", "tenant_xyz"),
        ("entity", "tenant_xyz_de"),
    ]
    waves = [j["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] for j in jobs]
    assert waves == ["0", "0", "1", "2", "2"]  # platform-2025-07: migrationOrder payments, auth, entity
    for job in jobs:
        meta = job["metadata"]
        assert meta["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
        assert meta["annotations"]["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"
        assert meta["namespace"] == "arematics-test-tenancy" and len(meta["name"]) <= 63


def test_argv_and_env_come_from_the_contract(example_fleet: Path) -> None:
    job = _by(_jobs(example_fleet))["entity", "tenant_xyz_de"]
    main = _main(job)
    expected = contract.MigrateInvocation(
        tenant="xyz",
        service="entity",
        database="tenant_xyz_de",
        schemas=("entity-crm",),
        desired_version="2.3.0",
        dependency_database="tenant_xyz",
        backup_before_migration=True,
        backup_destination="s3://arematics-tenant-backups/arematics-test/xyz",
        backup_timeout_seconds=600,
        slot_wait_seconds=600.0,
        statement_timeout_ms=600_000,
    )
    assert main["args"] == list(contract.migrate_argv(expected))
    assert main["image"] == f"ghcr.io/relc-dev/relc-migrate:{compiler.__version__}"  # the default: relc's version
    env = {e["name"]: e["value"] for e in main["env"]}
    name = job["metadata"]["name"]
    assert env == dict(
        contract.job_environment(
            job_name=name, image=main["image"], concurrency_limit=3, cluster="test", instance="arematics-test"
        )
    )
    assert name == contract.job_name("migrate", "xyz", "entity", "2.3.0", "tenant_xyz_de")
    assert main["terminationMessagePath"] == contract.TERMINATION_LOG_PATH


def test_credentials_are_vault_files_never_values(example_fleet: Path) -> None:
    job = _by(_jobs(example_fleet))["auth", "tenant_xyz"]
    annotations = job["spec"]["template"]["metadata"]["annotations"]
    env = {e["name"]: e["value"] for e in _main(job)["env"]}
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


def test_init_container_copies_migrations_from_the_pinned_image(example_fleet: Path) -> None:
    job = _by(_jobs(example_fleet))["payments", "tenant_xyz"]
    pod = job["spec"]["template"]["spec"]
    (init,) = pod["initContainers"]
    assert init["image"] == "registry.arematics.example/payments:2.1.0-test"  # pin + Instance imageTagSuffix
    assert init["command"] == list(contract.init_container_command("payments"))
    mounts = {c["name"]: c["volumeMounts"] for c in (init, _main(job))}
    shared = {"name": "migrations", "mountPath": contract.MIGRATIONS_VOLUME_MOUNT}
    assert shared in mounts["copy-migrations"]
    assert {**shared, "readOnly": True} in mounts["relc-migrate"]
    assert {"name": "migrations", "emptyDir": {}} in pod["volumes"]


def test_component_image_tag_is_used_when_declared(example_fleet: Path) -> None:
    edit(
        example_fleet / "blueprints/components/payments/2.1.0.yaml",
        "version: 2.1.0",
        "version: 2.1.0\n  imageTag: v2.1.0-b7",
    )
    job = _by(_jobs(example_fleet))["payments", "tenant_xyz"]
    assert job["spec"]["template"]["spec"]["initContainers"][0]["image"].endswith(":v2.1.0-b7-test")


def test_pod_is_locked_down_and_limits_follow_the_instance(example_fleet: Path) -> None:
    job = _by(_jobs(example_fleet))["auth", "tenant_xyz"]
    spec = job["spec"]
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == "relc-migrate" and pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    for container in (*pod["initContainers"], *pod["containers"]):
        ctx = container["securityContext"]
        assert ctx["readOnlyRootFilesystem"] is True and ctx["capabilities"] == {"drop": ["ALL"]}
        assert ctx["allowPrivilegeEscalation"] is False
        assert "requests" in container["resources"]
    assert spec["backoffLimit"] == 2  # migration.retries
    assert pod["activeDeadlineSeconds"] == 3 * 600  # slot wait + backup + migration, 10m each
    assert spec["activeDeadlineSeconds"] == 3 * pod["activeDeadlineSeconds"]
    assert spec["ttlSecondsAfterFinished"] > 0
    fail = spec["podFailurePolicy"]["rules"][0]
    assert fail["action"] == "FailJob" and contract.ExitCode.BLOCKED in fail["onExitCodes"]["values"]
    assert "exec" not in json.dumps(job)


def test_new_desired_version_makes_a_new_job_name(example_fleet: Path) -> None:
    folder = "instances/arematics-prod/tenants/xyz"
    before = _by(_jobs(example_fleet, folder))
    edit(example_fleet / "tenants/arematics-prod/xyz.yaml", "platform-2025-05", "platform-2025-07")
    after = _by(_jobs(example_fleet, folder))
    assert before.keys() == after.keys()

    def desired(job: dict[str, Any]) -> str:
        args = _main(job)["args"]
        return str(args[args.index("--desired-version") + 1])

    moved = {k for k in before if desired(before[k]) != desired(after[k])}
    renamed = {k for k in before if before[k]["metadata"]["name"] != after[k]["metadata"]["name"]}
    # auth 1.2.0 -> 1.4.0 and entity 2.0.0 -> 2.3.0 move (in both databases); payments is 2.1.0 in both candidates
    assert {service for service, _ in moved} == {"auth", "entity"}
    assert renamed == moved


def test_dry_run_policy_reaches_the_job(example_fleet: Path) -> None:
    folder = "instances/droneup-production/tenants/cherokee-nation"
    (job, _) = _jobs(example_fleet, folder)
    assert "--dry-run" in _main(job)["args"]


def test_backup_destination_per_tenant(example_fleet: Path) -> None:
    """Each tenant's backups go under the Instance's destination (an Instance without one is RLC606)."""
    path = example_fleet / "instances/arematics-test.yaml"
    edit(path, "s3://arematics-tenant-backups/arematics-test", "s3://backups/arematics-test/")
    args = _main(_by(_jobs(example_fleet))["auth", "tenant_xyz"])["args"]
    assert args[args.index("--backup-destination") + 1] == "s3://backups/arematics-test/xyz"


def test_long_tenant_names_keep_job_names_within_63(example_fleet: Path) -> None:
    long = "t" * 40 + "-" + "x" * 12  # 53: tenant_<long>_de is exactly 63 bytes
    src = example_fleet / "tenants/arematics-test/xyz.yaml"
    src.rename(src.with_name(f"{long}.yaml"))
    edit(src.with_name(f"{long}.yaml"), "name: xyz", f"name: {long}")
    out = files(example_fleet, tenancy.render)
    jobs = [d for p, f in out.items() if long in p for d in f.manifests() if d["kind"] == "Job"]
    assert len(jobs) == 7  # two provisioning, five migration
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
                contract.ProvisionInvocation(
                    "xyz", "tenant_xyz_de", ("payments-crm", "entity-crm"), ("payments", "entity")
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
