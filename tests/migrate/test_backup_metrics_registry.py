"""Backup before migration, metrics (text file and Pushgateway), registry-sync and deprovision."""

from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import relc_contract as contract
from relc_migrate.backup import BackupRequest, Readable, run_backup
from tests.migrate.helpers import migrate_args, provision_args

pytestmark = pytest.mark.postgres


def test_backup_before_migration_writes_a_restorable_dump(relc: Any, pg: Any, tenant: str, tmp_path: Path) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    dest = tmp_path / "backups"
    run = relc(*migrate_args(tenant, "auth", "1.2.0", backup_before_migration=True, backup_destination=str(dest)))
    assert run.exit_code == 0, run.output
    dump = Path(str(run.summary["backup"]))
    assert dump.is_file() and dump.parent == dest / contract.tenant_database(tenant) / "auth"
    assert dump.name.endswith("-from-1.1.0.dump")
    listing = subprocess.run([str(pg.bindir / "pg_restore"), "--list", str(dump)], capture_output=True, text=True)
    assert "TABLE auth users" in listing.stdout and "TABLE auth sessions" in listing.stdout
    assert "TABLE payments" not in listing.stdout  # only the affected schemas


def test_failed_backup_blocks_the_migration(
    relc: Any, pg: Any, tenant: str, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    run = relc(*migrate_args(tenant, "auth", "1.2.0", backup_before_migration=True,
                             backup_destination=str(not_a_dir), backup_retries=2))  # fmt: skip
    assert run.exit_code == 3
    message = str(run.summary["message"])
    assert message.startswith("backup failed after 3 attempt(s): cannot create ")
    with pg.connect(contract.tenant_database(tenant)) as conn:
        assert conn.execute("SELECT to_regclass('auth.users')").fetchone() == (None,)
        row = conn.execute("SELECT status, status_reason FROM relc.schema_registry WHERE schema_name = 'auth'")
        assert row.fetchone() == ("blocked", message)
    metrics = Path(cli_env["RELC_METRICS_FILE"]).read_text()
    assert f'tenant_backup_failed_total{{cluster="none",relc_instance="none",tenant="{tenant}"}} 1.0' in metrics
    assert 'tenant_migration_total{cluster="none",outcome="blocked",relc_instance="none"} 1.0' in metrics


def test_pg_dump_older_than_the_server_is_refused(relc: Any, tenant: str, tmp_path: Path) -> None:
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(0o755)
    assert relc(*provision_args(tenant)).exit_code == 0
    argv = migrate_args(tenant, "auth", "1.0.0", backup_before_migration=True, backup_destination=str(tmp_path))
    run = relc(*argv, RELC_PG_DUMP=str(fake))
    assert run.exit_code == 3
    assert run.summary["message"] == (
        "backup failed: pg_dump 9 is older than the server (15); use a pg_dump of the server's major version or newer"
    )


def test_object_store_destinations_go_through_the_store_interface(pg: Any, relc: Any, tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0

    class FakeStore:
        def __init__(self) -> None:
            self.stored: dict[str, bytes] = {}

        def upload(self, stream: Readable, destination: str, name: str) -> str:
            chunks = iter(lambda: stream.read(1000), b"")
            self.stored[f"{destination}/{name}"] = b"".join(chunks)
            return f"{destination}/{name}"

    store = FakeStore()
    request = BackupRequest(
        dsn=pg.dsn(), database=contract.tenant_database(tenant), schemas=("auth",), tenant=tenant,
        service="auth", from_version="none", destination="s3://bucket/tenants", server_major=15,
        timeout_seconds=60, retries=0, pg_dump=str(pg.bindir / "pg_dump"),
    )  # fmt: skip
    result = run_backup(request, {"s3": store})
    assert result.location.startswith(f"s3://bucket/tenants/{contract.tenant_database(tenant)}/auth/")
    assert store.stored[result.location].startswith(b"PGDMP")


def test_metrics_are_written_in_the_text_format(relc: Any, tenant: str, cli_env: dict[str, str]) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.2.0")).exit_code == 0
    text = Path(cli_env["RELC_METRICS_FILE"]).read_text()
    assert 'tenant_migration_total{cluster="none",outcome="success",relc_instance="none"} 1.0' in text
    assert (
        f'tenant_schema_version{{cluster="none",relc_instance="none",schema="auth",service="auth",tenant="{tenant}",'
        'version="1.2.0"} 1.0'
    ) in text
    assert "tenant_migration_duration_seconds_bucket" in text
    assert 'migration_queue_length{cluster="none",relc_instance="none"} 0.0' in text


def test_metrics_are_pushed_when_a_pushgateway_is_configured(relc: Any, tenant: str) -> None:
    received: list[tuple[str, str, bytes]] = []

    class Gateway(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.command, self.path, body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert relc(*provision_args(tenant)).exit_code == 0
        url = f"http://127.0.0.1:{server.server_address[1]}"
        run = relc(
            *migrate_args(tenant, "auth", "1.0.0"),
            RELC_PUSHGATEWAY_URL=url,
            RELC_JOB_NAME="mig-acme-auth",
            RELC_INSTANCE="arematics-prod",
            RELC_CLUSTER="prod",
        )
        assert run.exit_code == 0
    finally:
        server.shutdown()
    # grouped by Job and Instance: two Instances' Jobs for a tenant of one name never overwrite each other's group
    assert [(m, p) for m, p, _ in received] == [("PUT", "/metrics/job/mig-acme-auth/relc_instance/arematics-prod")]
    assert (
        b'tenant_migration_total{cluster="prod",outcome="success",relc_instance="arematics-prod"} 1.0'
        in (received[0][2])
    )


def _registry(*instances: dict[str, Any]) -> str:
    return json.dumps(
        {"apiVersion": "relc.dev/v1alpha2", "kind": "ServiceVersionRegistry", "instances": list(instances)}
    )


def _instance(name: str, versions: dict[str, str], tenants: dict[str, list[str]]) -> dict[str, Any]:
    """An Instance running one candidate, q1-2025, at ``versions``."""
    return {"instance": name, "cluster": "prod", "environment": "prod", "candidates": {"q1-2025": versions},
            "shared": [], "tenants": tenants}  # fmt: skip


def test_registry_sync_is_idempotent_and_scoped_to_the_file_instances(
    relc: Any, pg: Any, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    with pg.connect() as conn:
        conn.execute("DROP DATABASE IF EXISTS relc_infra_registry")
        conn.execute("CREATE DATABASE relc_infra_registry")
    env = {"RELC_INFRA_DSN_FILE": "", "RELC_INFRA_DSN": pg.dsn("relc_infra_registry")}
    other = tmp_path / "other.json"
    other.write_text(_registry(_instance("partner", {"auth": "1.0.0"}, {"p1": ["q1-2025"]})))
    assert relc("registry-sync", "--registry-file", str(other), **env).summary["inserted"] == 1
    path = tmp_path / "service_versions.json"
    path.write_text(_registry(_instance("droneup", {"auth": "1.2.0", "payments": "2.1.0"}, {"a": ["q1-2025"]})))
    first = relc("registry-sync", "--registry-file", str(path), **env)
    assert first.exit_code == 0, first.output
    assert (first.summary["inserted"], first.summary["unchanged"], first.summary["deleted"]) == (2, 0, 0)
    again = relc("registry-sync", "--registry-file", str(path), **env)
    assert (again.summary["inserted"], again.summary["updated"], again.summary["unchanged"]) == (0, 0, 2)
    path.write_text(_registry(_instance("droneup", {"auth": "1.2.0"}, {"a": ["q1-2025"], "b": ["q1-2025"]})))
    changed = relc("registry-sync", "--registry-file", str(path), **env)
    assert (changed.summary["updated"], changed.summary["deleted"]) == (1, 1)
    with pg.connect("relc_infra_registry") as conn:
        rows = conn.execute(
            "SELECT instance, service, version, tenants FROM infra.service_versions ORDER BY 1"
        ).fetchall()
    assert rows == [("droneup", "auth", "1.2.0", ["a", "b"]), ("partner", "auth", "1.0.0", ["p1"])]
    # an Instance that runs nothing any more is still named, so its rows go; the other Instance's stay
    path.write_text(_registry({**_instance("droneup", {}, {}), "candidates": {}}))
    emptied = relc("registry-sync", "--registry-file", str(path), **env)
    assert (emptied.summary["entries"], emptied.summary["deleted"]) == (0, 1)


@pytest.mark.parametrize(
    ("instance", "message"),
    [
        (_instance("droneup", {"auth": "v1.2.0"}, {}),
         "registry file: instances[0].candidates.q1-2025.auth 'v1.2.0' is not semver (no leading v)"),
        (_instance("droneup", {"auth": "1.2.0"}, {"a": ["q2-2025"]}),
         "registry file: instances[0].tenants.a uses 'q2-2025', which is not in candidates"),
        ({**_instance("droneup", {}, {}), "shared": ["infra"]},
         "registry file: instances[0].shared must list names of its candidates"),
        ({**_instance("droneup", {}, {}), "entries": []},
         "registry file: instances[0] must have exactly the keys instance, cluster, environment, candidates, shared,"
         " tenants (got ['candidates', 'cluster', 'entries', 'environment', 'instance', 'shared', 'tenants'])"),
    ],
)  # fmt: skip
def test_registry_sync_rejects_a_malformed_file(
    relc: Any, tmp_path: Path, instance: dict[str, Any], message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(_registry(instance))
    run = relc("registry-sync", "--registry-file", str(path))
    assert run.exit_code == 2
    assert run.summary["message"] == message


def test_registry_sync_rejects_a_tenant_listed_twice_and_the_old_format(relc: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(_registry(_instance("droneup", {"auth": "1.2.0"}, {"a": ["q1-2025"]})).replace(
        '"a": ["q1-2025"]', '"a": ["q1-2025"], "a": ["q1-2025"]'
    ))  # fmt: skip
    run = relc("registry-sync", "--registry-file", str(path))
    assert (run.exit_code, run.summary["message"]) == (2, "registry file: the key 'a' appears twice in one object")
    path.write_text(json.dumps({"apiVersion": "relc.dev/v1alpha1", "kind": "ServiceVersionRegistry", "entries": []}))
    run = relc("registry-sync", "--registry-file", str(path))
    assert run.exit_code == 2
    assert run.summary["message"] == (
        "registry file must be apiVersion relc.dev/v1alpha2, kind ServiceVersionRegistry (got 'relc.dev/v1alpha1',"
        " 'ServiceVersionRegistry'): compile it with the relc matching this relc-migrate"
    )


def _databases(pg: Any, name: str) -> int:
    with pg.connect() as conn:
        return int(conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone()[0])


def test_deprovision_immediate_never_drops_what_it_did_not_create(relc: Any, pg: Any, tenant: str) -> None:
    db = contract.tenant_database(tenant)
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.2.0")).exit_code == 0
    run = relc("deprovision", "--tenant", tenant, "--database", db, "--mode", "immediate")
    assert run.exit_code == 0, run.output
    assert run.summary["database_dropped"] is True and _databases(pg, db) == 0
    gone = relc("deprovision", "--tenant", tenant, "--database", db, "--mode", "immediate")
    assert gone.exit_code == 0 and gone.summary["action"] == "nothing"


def test_deprovision_keeps_a_database_with_a_foreign_schema_and_leaves_no_relc_schema(
    relc: Any, pg: Any, tenant: str
) -> None:
    db = contract.tenant_database(tenant)
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.2.0")).exit_code == 0
    with pg.connect(db) as conn:
        conn.execute("CREATE SCHEMA hand_made")
    run = relc("deprovision", "--tenant", tenant, "--database", db, "--mode", "immediate")
    assert run.exit_code == 0, run.output
    assert run.summary["dropped_schemas"] == ["auth", "entity", "payments"]
    assert run.summary["kept_schemas"] == ["hand_made"] and run.summary["database_dropped"] is False
    assert run.summary["bookkeeping_dropped"] is True
    with pg.connect(db) as conn:  # kept means handed back: the foreign schema, and nothing of relc's
        schemas = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname IN ('relc', 'hand_made')")
        assert schemas.fetchall() == [("hand_made",)]
    again = relc("deprovision", "--tenant", tenant, "--database", db, "--mode", "immediate")
    assert again.exit_code == 2
    assert again.summary["message"] == (
        f"{db} has no relc ownership record (relc.owner): relc-migrate did not provision it for {tenant}; "
        f"refusing to touch it (run relc-migrate provision --tenant {tenant} first)"
    )
    assert _databases(pg, db) == 1


def test_deprovision_keeps_a_database_relc_did_not_create(relc: Any, pg: Any, tenant: str) -> None:
    db = contract.tenant_database(tenant)
    with pg.connect() as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    assert relc(*provision_args(tenant)).summary["database_created"] is False
    run = relc("deprovision", "--tenant", tenant, "--database", db, "--mode", "immediate")
    assert run.summary["dropped_schemas"] == ["auth", "entity", "payments"]
    assert run.summary["database_dropped"] is False and _databases(pg, db) == 1
    with pg.connect(db) as conn:
        assert conn.execute("SELECT to_regnamespace('relc')").fetchone() == (None,)


def test_deprovision_retained_waits_for_the_grace_period(relc: Any, pg: Any, tenant: str) -> None:
    db = contract.tenant_database(tenant)
    assert relc(*provision_args(tenant)).exit_code == 0
    args = (
        "deprovision",
        "--tenant",
        tenant,
        "--database",
        db,
        "--mode",
        "retained",
        "--grace-period",
        "86400",
    )
    first = relc(*args)
    assert first.summary["action"] == "retained" and first.summary["purge_after"]
    with pg.connect(db) as conn:
        assert conn.execute(
            "SELECT count(*) FROM relc.schema_registry WHERE retention_expires_at IS NOT NULL"
        ).fetchone() == (3,)
        conn.execute("UPDATE relc.deletion_request SET purge_after = now() - interval '1 second'")  # time passes
    assert relc(*args).summary["action"] == "purged"
    assert _databases(pg, db) == 0


def test_deprovision_manual_needs_finalize(relc: Any, pg: Any, tenant: str) -> None:
    db = contract.tenant_database(tenant)
    assert relc(*provision_args(tenant)).exit_code == 0
    args = ("deprovision", "--tenant", tenant, "--database", db, "--mode", "manual")
    assert relc(*args).summary["action"] == "awaiting-finalize"
    assert _databases(pg, db) == 1
    assert relc(*args, "--finalize").summary["database_dropped"] is True
