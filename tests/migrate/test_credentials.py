"""The tenant's credentials in Vault, through the CLI, against the real server and a Vault that checks each request.

provision writes a secret once (KV v2, check-and-set 0) and sets the role's password after; later runs reuse it
(or set the role back to it); rotate-credentials writes a new version (check-and-set on the metadata's version)
then alters the role. A refusal, a lost check-and-set or Vault being down changes nothing in the database, and
no password or DSN ever appears in the output, the summary, the termination log or the metrics.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

import relc_contract as contract
from tests.migrate.fakevault import FakeVault
from tests.migrate.helpers import REPO, provision_args

pytestmark = pytest.mark.postgres

PREFIX = "secret/data/acme-test/tenants"


@pytest.fixture
def vault() -> Iterator[FakeVault]:
    server = FakeVault().start()
    try:
        yield server
    finally:
        server.stop()
    assert server.violations == []


@pytest.fixture
def vault_env(vault: FakeVault, tmp_path: Path) -> dict[str, str]:
    """What the rendered provisioning Job sets, with the ServiceAccount token in a local file."""
    token = tmp_path / "sa-token"
    token.write_text(vault.jwt)
    return {
        contract.ENV_VAULT_ADDR: vault.address,
        contract.ENV_VAULT_NAMESPACE: vault.namespace,
        contract.ENV_VAULT_PATH_PREFIX: PREFIX,
        contract.ENV_VAULT_ROLE: "relc-migrate",
        contract.ENV_VAULT_SA_TOKEN_FILE: str(token),
    }


def _secret_path(tenant: str) -> str:
    return f"acme-test/tenants/{tenant}"


def _calls(vault: FakeVault) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in vault.requests]


def _logs_in(pg: Any, secret: dict[str, str], tenant: str) -> bool:
    try:
        with psycopg.connect(secret["dsn"], dbname=contract.tenant_database(tenant)) as conn:
            return conn.execute("SELECT current_user").fetchone() == (contract.tenant_role(tenant),)
    except psycopg.OperationalError:
        return False


def _has_password(pg: Any, tenant: str) -> bool:
    with pg.connect() as admin:
        row = admin.execute(
            "SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = %s", (contract.tenant_role(tenant),)
        ).fetchone()
    return bool(row and row[0])


def test_provision_writes_the_secret_once_and_the_role_logs_in_with_it(
    relc: Any, pg: Any, tenant: str, vault: FakeVault, vault_env: dict[str, str]
) -> None:
    run = relc(*provision_args(tenant), **vault_env)
    assert run.exit_code == 0, run.output
    path = _secret_path(tenant)
    assert {k: run.summary[k] for k in ("credentials", "vault_path", "vault_version", "role")} == {
        "credentials": "written",
        "vault_path": f"{PREFIX}/{tenant}",
        "vault_version": 1,
        "role": contract.tenant_role(tenant),
    }
    assert _calls(vault) == [
        ("POST", "/v1/auth/kubernetes/login"),
        ("GET", f"/v1/secret/data/{path}"),
        ("POST", f"/v1/secret/data/{path}"),
    ]
    write = vault.requests[-1]
    assert write.body["options"] == {"cas": 0}
    assert all(r.namespace == "vault-test" for r in vault.requests)
    secret = vault.current(path)
    assert secret is not None
    assert set(secret) == {"username", "password", "dsn", "database"}
    assert secret["username"] == contract.tenant_role(tenant)
    assert secret["database"] == contract.tenant_database(tenant)
    assert len(secret["password"]) >= 43
    assert "dbname" not in secret["dsn"]
    assert _logs_in(pg, secret, tenant)

    vault.requests.clear()
    again = relc(*provision_args(tenant), **vault_env)
    assert (again.exit_code, again.summary["credentials"], again.summary["vault_version"]) == (0, "reused", 1)
    assert _calls(vault) == [("POST", "/v1/auth/kubernetes/login"), ("GET", f"/v1/secret/data/{path}")]
    assert vault.current(path) == secret


def test_a_role_whose_password_drifted_is_set_back_to_vaults(
    relc: Any, pg: Any, tenant: str, vault: FakeVault, vault_env: dict[str, str]
) -> None:
    assert relc(*provision_args(tenant), **vault_env).exit_code == 0
    with pg.connect() as admin:
        admin.execute(f"ALTER ROLE {contract.tenant_role(tenant)} PASSWORD 'changed-by-hand'")
    secret = vault.current(_secret_path(tenant))
    assert secret is not None and not _logs_in(pg, secret, tenant)
    run = relc(*provision_args(tenant), **vault_env)
    assert (run.exit_code, run.summary["credentials"], run.summary["vault_version"]) == (0, "repaired", 1)
    assert _logs_in(pg, secret, tenant)


def test_rotation_writes_a_new_version_then_changes_the_role(
    relc: Any, pg: Any, tenant: str, vault: FakeVault, vault_env: dict[str, str]
) -> None:
    assert relc(*provision_args(tenant), **vault_env).exit_code == 0
    old = vault.current(_secret_path(tenant))
    vault.requests.clear()
    run = relc("rotate-credentials", "--tenant", tenant, **vault_env)
    assert run.exit_code == 0, run.output
    assert (run.summary["credentials"], run.summary["vault_version"]) == ("rotated", 2)
    path = _secret_path(tenant)
    assert _calls(vault) == [
        ("POST", "/v1/auth/kubernetes/login"),
        ("GET", f"/v1/secret/metadata/{path}"),
        ("POST", f"/v1/secret/data/{path}"),
    ]
    assert vault.requests[-1].body["options"] == {"cas": 1}
    new = vault.current(path)
    assert old is not None and new is not None and new["password"] != old["password"]
    assert _logs_in(pg, new, tenant) and not _logs_in(pg, old, tenant)


def test_a_refused_write_leaves_the_role_without_a_password(
    relc: Any, pg: Any, tenant: str, vault: FakeVault, vault_env: dict[str, str]
) -> None:
    vault.fail[("POST", "data")] = 403
    run = relc(*provision_args(tenant), **vault_env)
    assert run.exit_code == 2
    assert run.summary["message"] == (
        f"Vault at {vault.address} refused to write {PREFIX}/{tenant} (403 permission denied): check the Vault "
        "role 'relc-migrate' and its policy (README: relc-migrate, the Vault policy)"
    )
    assert vault.current(_secret_path(tenant)) is None
    assert not _has_password(pg, tenant)


def test_a_refused_rotation_keeps_the_old_password_working(
    relc: Any, pg: Any, tenant: str, vault: FakeVault, vault_env: dict[str, str]
) -> None:
    assert relc(*provision_args(tenant), **vault_env).exit_code == 0
    old = vault.current(_secret_path(tenant))
    vault.fail[("POST", "data")] = 403
    run = relc("rotate-credentials", "--tenant", tenant, **vault_env)
    assert (run.exit_code, run.summary["outcome"]) == (2, "usage")
    assert vault.current(_secret_path(tenant)) == old
    assert old is not None and _logs_in(pg, old, tenant)


def test_a_refused_login_is_a_usage_error(
    relc: Any, pg: Any, tenant: str, vault: FakeVault, vault_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "sa-token").write_text("not-the-service-account")
    run = relc(*provision_args(tenant), **vault_env)
    assert run.exit_code == 2
    assert run.summary["message"] == (
        f"Vault at {vault.address} refused to log in as role relc-migrate at auth/kubernetes/login (403 permission "
        "denied): check the Vault role 'relc-migrate' and its policy (README: relc-migrate, the Vault policy)"
    )
    assert not _has_password(pg, tenant)


def test_a_concurrent_first_write_is_reused_not_overwritten(
    relc: Any, pg: Any, tenant: str, vault: FakeVault, vault_env: dict[str, str]
) -> None:
    """Two provisioning Jobs of one tenant (main and country database) race: the loser adopts the winner's."""
    theirs: dict[str, str] = {}

    def other_job_writes_first(server: FakeVault, path: str) -> None:
        dsn = f"host={pg.socket_dir} port=5432 user={contract.tenant_role(tenant)} password=the-other-jobs"
        theirs.update(username=contract.tenant_role(tenant), password="the-other-jobs", dsn=dsn, database="x")
        server.put(path, theirs)

    vault.before_write = other_job_writes_first
    run = relc(*provision_args(tenant), **vault_env)
    assert (run.exit_code, run.summary["credentials"], run.summary["vault_version"]) == (0, "repaired", 1)
    assert vault.secrets[_secret_path(tenant)] == [theirs]
    assert _logs_in(pg, theirs, tenant)


def test_a_rotation_that_loses_check_and_set_changes_nothing(
    relc: Any, pg: Any, tenant: str, vault: FakeVault, vault_env: dict[str, str]
) -> None:
    assert relc(*provision_args(tenant), **vault_env).exit_code == 0
    current = vault.current(_secret_path(tenant))
    assert current is not None
    vault.before_write = lambda server, path: server.put(path, current)  # someone else wrote version 2
    run = relc("rotate-credentials", "--tenant", tenant, **vault_env)
    assert run.exit_code == 1
    assert run.summary["message"] == (
        f"{PREFIX}/{tenant} changed while rotating (it is no longer version 1); the role's password was not "
        "changed: run rotate-credentials again"
    )
    assert _logs_in(pg, current, tenant)


def test_vault_down_fails_retryably_and_changes_no_password(
    relc: Any, pg: Any, tenant: str, vault: FakeVault, vault_env: dict[str, str]
) -> None:
    address = vault.address
    vault.stop()
    run = relc(*provision_args(tenant), **vault_env)
    assert run.exit_code == 1
    assert run.summary["message"] == (
        f"Vault at {address} is unreachable (ConnectionError); could not log in as role relc-migrate at "
        "auth/kubernetes/login"
    )
    assert not _has_password(pg, tenant)


def test_a_vault_error_on_read_fails_retryably(
    relc: Any, pg: Any, tenant: str, vault: FakeVault, vault_env: dict[str, str]
) -> None:
    vault.fail[("GET", "data")] = 503
    run = relc(*provision_args(tenant), **vault_env)
    assert run.exit_code == 1
    assert run.summary["message"] == f"Vault at {vault.address} failed to read {PREFIX}/{tenant}: injected failure"
    assert not _has_password(pg, tenant)


def test_a_token_file_replaces_kubernetes_auth(
    relc: Any, pg: Any, tenant: str, vault: FakeVault, vault_env: dict[str, str], tmp_path: Path
) -> None:
    vault.static_token = "hvs.local-operator"
    (tmp_path / "vault-token").write_text("hvs.local-operator\n")
    run = relc(*provision_args(tenant), **vault_env, RELC_VAULT_TOKEN_FILE=str(tmp_path / "vault-token"))
    assert (run.exit_code, run.summary["credentials"]) == (0, "written")
    assert [r.token for r in vault.requests] == ["hvs.local-operator", "hvs.local-operator"]


def test_without_vault_provision_says_nothing_was_written(relc: Any, tenant: str) -> None:
    run = relc(*provision_args(tenant))
    assert (run.exit_code, run.summary["credentials"]) == (0, "not-configured")
    assert "relc-migrate: WARNING RELC_VAULT_ADDR is not set: the tenant's credentials were not written to Vault" in (
        run.output
    )


def test_rotation_without_vault_is_a_usage_error(relc: Any, tenant: str) -> None:
    run = relc("rotate-credentials", "--tenant", tenant)
    assert (run.exit_code, run.summary["message"]) == (2, "rotate-credentials needs Vault: set RELC_VAULT_ADDR")


def test_no_password_or_dsn_appears_in_any_output(
    relc: Any, pg: Any, tenant: str, vault: FakeVault, vault_env: dict[str, str], cli_env: dict[str, str]
) -> None:
    runs = [
        relc("-v", *provision_args(tenant), **vault_env),
        relc("-v", *provision_args(tenant), **vault_env),
        relc("-v", "rotate-credentials", "--tenant", tenant, **vault_env),
    ]
    versions = vault.secrets[_secret_path(tenant)]
    assert [run.exit_code for run in runs] == [0, 0, 0] and len(versions) == 2
    leaked = [v[key] for v in versions for key in ("password", "dsn")]
    termination = Path(cli_env["RELC_TERMINATION_LOG"]).read_text()
    metrics = Path(cli_env["RELC_METRICS_FILE"])
    texts = [run.output for run in runs] + [str(run.summary) for run in runs] + [termination]
    texts += [metrics.read_text()] if metrics.exists() else []
    assert all(value not in text for value in leaked for text in texts)
    assert f"relc-migrate: INFO {contract.tenant_role(tenant)}: wrote version 1 of {PREFIX}/{tenant}" in runs[0].output


def test_only_the_credentials_commands_import_hvac() -> None:
    """hvac (and requests) load when provision or rotate-credentials opens the store: migrate-tenant never."""
    probe = (
        "import sys\n"
        "from relc_migrate import cli, credentials, migrate, provision, tenant, vault\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'hvac', 'requests'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout == "[]\n"


def test_a_moved_server_gets_a_new_version_with_the_same_password(
    relc: Any, pg: Any, tenant: str, vault: FakeVault, vault_env: dict[str, str], tmp_path: Path
) -> None:
    assert relc(*provision_args(tenant), **vault_env).exit_code == 0
    old = vault.current(_secret_path(tenant))
    moved = tmp_path / "moved-admin-dsn"
    moved.write_text(pg.dsn() + " connect_timeout=7")  # the admin DSN's server settings changed
    run = relc(*provision_args(tenant), **vault_env, RELC_DB_DSN_FILE=str(moved))
    assert (run.exit_code, run.summary["credentials"], run.summary["vault_version"]) == (0, "updated", 2)
    new = vault.current(_secret_path(tenant))
    assert old is not None and new is not None
    assert new["password"] == old["password"] and "connect_timeout=7" in new["dsn"]
    assert vault.requests[-1].body["options"] == {"cas": 1}
    assert _logs_in(pg, new, tenant)
