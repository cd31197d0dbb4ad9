"""End to end: the example fleet's rendered provisioning Jobs write the tenant's credentials to Vault, and its
rendered migration Job, with the DSN its Vault agent template reads back from there, migrates as the tenant.

The Jobs' own argv, environment and Vault annotations (compiled from the example fleet here) are used as they are,
with only what is cluster-side swapped for local: Vault's address (a fake that checks every request), the
ServiceAccount token file, the admin DSN file, the migrations root and the backup destination.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from psycopg import sql

import relc_contract as contract
from compiler.cli import main
from tests.conftest import TODAY
from tests.migrate.conftest import run_cli
from tests.migrate.fakekube import environment, serve
from tests.migrate.fakevault import FakeVault
from tests.migrate.pgserver import PgServer
from tests.migrate.test_example_fleet import TOKEN, databases, drop, instance_cluster, jobs_of, local_args

pytestmark = pytest.mark.postgres

INSTANCE, TENANT = "arematics-prod", "xyz"
_TEMPLATE = re.compile(
    r'\{\{- with secret "(?P<path>[^"]+)" -\}\}\{\{ \.Data\.data\.(?P<field>\w+) \}\}\{\{- end -\}\}'
)


def _container(job: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = job["spec"]["template"]["spec"]["containers"][0]
    return container


def _env(job: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in _container(job)["env"] if "value" in item}


def _vault_env(job: dict[str, Any]) -> dict[str, str]:
    """The Job's RELC_VAULT_* settings (the rest of its environment points at the cluster: Pushgateway, ...)."""
    return {name: value for name, value in _env(job).items() if name.startswith("RELC_VAULT_")}


def _agent_reads(vault: FakeVault, job: dict[str, Any], name: str) -> str:
    """What the Vault agent would write to /vault/secrets/<name>: its template evaluated against the fake."""
    template = job["spec"]["template"]["metadata"]["annotations"][f"vault.hashicorp.com/agent-inject-template-{name}"]
    match = _TEMPLATE.fullmatch(template)
    assert match, template
    mount, path = contract.kv2_location(match["path"])
    assert mount == vault.mount
    secret = vault.current(path)
    assert secret is not None, f"nothing at {match['path']}"
    return secret[match["field"]]


def _agent_template_key(job: dict[str, Any]) -> str:
    template: str = job["spec"]["template"]["metadata"]["annotations"][
        "vault.hashicorp.com/agent-inject-template-tenant-db-dsn"
    ]
    return template.split("}}{{ ", 1)[1].split(" }}", 1)[0]


def test_rendered_provisioning_writes_the_dsn_the_rendered_migration_reads(
    example_fleet: Path, pg: PgServer, cli_env: dict[str, str], tmp_path: Path, kube_tls: tuple[Path, Path]
) -> None:
    compiled = CliRunner().invoke(main, ["compile", "--root", str(example_fleet), "--today", TODAY])
    assert compiled.exit_code == 0, compiled.output
    jobs = jobs_of(example_fleet / "rendered" / "instances" / INSTANCE / "tenants" / TENANT)
    provisioning = [j for j in jobs if _container(j)["args"][0] == "provision"]
    (migration,) = [j for j in jobs if _container(j)["args"][0] == "migrate-tenant"]
    assert len(provisioning) == 2  # tenant_xyz and tenant_xyz_de

    rendered = _env(provisioning[0])
    annotations = provisioning[0]["spec"]["template"]["metadata"]["annotations"]
    # relc-migrate logs in as the same Vault role, in the same namespace, as the Job's Vault agent
    assert rendered[contract.ENV_VAULT_ROLE] == annotations["vault.hashicorp.com/role"] == "relc-migrate"
    assert rendered[contract.ENV_VAULT_NAMESPACE] == annotations["vault.hashicorp.com/namespace"] == "vault-prod"
    vault = FakeVault(namespace=rendered[contract.ENV_VAULT_NAMESPACE], role=rendered[contract.ENV_VAULT_ROLE])
    vault.start()
    token = tmp_path / "sa-token"
    token.write_text(vault.jwt)
    names = databases(jobs)
    drop(pg, names)
    try:
        for job in provisioning:
            assert _agent_template_key(job) == 'index .Data.data "admin"'  # provisioning runs as the admin
            env = {
                **cli_env, **_vault_env(job),
                contract.ENV_VAULT_ADDR: vault.address, contract.ENV_VAULT_SA_TOKEN_FILE: str(token),
            }  # fmt: skip
            assert env[contract.ENV_VAULT_PATH_PREFIX] == "secret/data/arematics-prod/tenants"
            run = run_cli(_container(job)["args"], env)
            assert run.exit_code == 0, run.output
        secrets = vault.secrets["arematics-prod/tenants/xyz"]
        assert len(secrets) == 1  # written by the first Job, reused by the second

        assert _env(migration)[contract.ENV_DB_DSN_FILE] == f"{contract.VAULT_SECRETS_DIR}/tenant-db-dsn"
        assert _vault_env(migration) == {}  # migrations never talk to Vault themselves
        dsn_file = tmp_path / "tenant-db-dsn"
        dsn_file.write_text(_agent_reads(vault, migration, "tenant-db-dsn"))
        # the Job's readiness gate and status writes go to a fake API server holding the Instance's rendered objects
        instance = example_fleet / "rendered" / "instances" / INSTANCE
        server = serve(instance_cluster(instance, example_fleet / "rendered" / "crds"), *kube_tls)
        try:
            pod = environment(server, tmp_path / "kube", kube_tls[0], f"{INSTANCE}-tenancy", TOKEN)
            env = {**cli_env, **pod, contract.ENV_DB_DSN_FILE: str(dsn_file)}
            run = run_cli(local_args(migration, tmp_path / "backups"), env)
        finally:
            server.shutdown()
        assert (run.exit_code, run.summary["outcome"]) == (0, "ok"), run.output
        with pg.connect(contract.tenant_database(TENANT)) as admin:
            owners = admin.execute(
                """SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c
                   JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('relc', 'pg_toast')
                     AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"""
            ).fetchall()
        assert owners == [(contract.tenant_role(TENANT),)]  # every table the migrations made is the tenant's
        assert vault.violations == []
    finally:
        vault.stop()
        drop(pg, names)
        with pg.connect() as admin:
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(contract.tenant_role(TENANT))))
