"""Drift, ordering, blocked dependencies, malformed files and hostile input: clear errors, nothing lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import relc_contract as contract
from tests.migrate.helpers import copy_service, migrate_args, provision_args

pytestmark = pytest.mark.postgres


def test_drift_names_the_changed_file(relc: Any, pg: Any, tenant: str, tmp_path: Path) -> None:
    folder = copy_service(tmp_path, "auth")
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0", migrations_dir=folder)).exit_code == 0
    edited = folder / "V1.0.0__01_create_users.sql"
    edited.write_text(edited.read_text().replace("email      text", "email      varchar(200)"))
    run = relc(*migrate_args(tenant, "auth", "1.2.0", migrations_dir=folder))
    assert run.exit_code == 2
    message = str(run.summary["message"])
    assert message.startswith("drift: auth/V1.0.0__01_create_users.sql changed after it was applied (checksum ")
    assert message.endswith("revert the edit and ship the change as a new migration file")
    with pg.connect(contract.tenant_database(tenant)) as conn:  # nothing applied, status untouched
        assert conn.execute("SELECT to_regclass('auth.tfa_secrets')").fetchone() == (None,)
        status = conn.execute("SELECT status, current_version FROM relc.schema_registry WHERE schema_name='auth'")
        assert status.fetchone() == ("complete", "1.1.0")


def test_line_ending_changes_are_not_drift(relc: Any, tenant: str, tmp_path: Path) -> None:
    folder = copy_service(tmp_path, "auth")
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0", migrations_dir=folder)).exit_code == 0
    edited = folder / "V1.0.0__01_create_users.sql"
    edited.write_bytes(edited.read_bytes().replace(b"\n", b"\r\n") + b"\r\n\r\n")
    assert relc(*migrate_args(tenant, "auth", "1.2.0", migrations_dir=folder)).exit_code == 0


def test_a_missing_applied_file_is_drift(relc: Any, tenant: str, tmp_path: Path) -> None:
    folder = copy_service(tmp_path, "auth")
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0", migrations_dir=folder)).exit_code == 0
    (folder / "V1.1.0__01_create_sessions.sql").unlink()
    run = relc(*migrate_args(tenant, "auth", "1.2.0", migrations_dir=folder))
    assert run.exit_code == 2
    assert run.summary["message"] == (
        "drift: auth/V1.1.0__01_create_sessions.sql was applied but is missing from the migrations folder; "
        "restore it (applied files must stay in every later image)"
    )


def test_an_older_unapplied_file_is_never_skipped_silently(relc: Any, tenant: str, tmp_path: Path) -> None:
    folder = copy_service(tmp_path, "auth")
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.2.0", migrations_dir=folder)).exit_code == 0
    (folder / "V1.1.0__02_late_hotfix.sql").write_text(
        "CREATE TABLE hotfix (a int);\n-- ROLLBACK:\nDROP TABLE hotfix;\n"
    )
    run = relc(*migrate_args(tenant, "auth", "1.2.0", migrations_dir=folder))
    assert run.exit_code == 2
    assert run.summary["message"] == (
        "auth/V1.1.0__02_late_hotfix.sql is older than V1.2.0__01_add_tfa.sql, which is already applied to "
        "schema auth: it would never run; ship its change as a new file of a newer version"
    )


def test_unmet_dependency_blocks_and_does_not_fail(relc: Any, pg: Any, tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    run = relc(*migrate_args(tenant, "entity", "1.2.0"))
    assert run.exit_code == 3
    db = contract.tenant_database(tenant)
    assert run.summary["message"] == (
        f"blocked: requires auth >= 1.2.0, but schema auth in {db} is at 1.1.0; "
        f"requires payments >= 2.1.0, but schema payments in {db} is at no version"
    )
    with pg.connect(db) as conn:
        row = conn.execute("SELECT status, status_reason FROM relc.schema_registry WHERE schema_name = 'entity'")
        status, reason = row.fetchone()
        assert status == "blocked" and reason.startswith("requires auth >= 1.2.0")
        assert conn.execute("SELECT to_regclass('entity.entities')").fetchone() == (None,)
    assert relc(*migrate_args(tenant, "auth", "1.2.0")).exit_code == 0
    assert relc(*migrate_args(tenant, "payments", "2.1.0")).exit_code == 0
    retry = relc(*migrate_args(tenant, "entity", "1.2.0"))
    assert retry.exit_code == 0, retry.output


def test_country_database_checks_dependencies_in_the_main_database(relc: Any, pg: Any, tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    country = provision_args(tenant, "entity-crm=entity", "payments-crm=payments", country="de")
    assert relc(*country).exit_code == 0
    for service, version in (("auth", "1.2.0"), ("payments", "2.1.0")):
        assert relc(*migrate_args(tenant, service, version)).exit_code == 0
    argv = migrate_args(
        tenant,
        "entity",
        "1.2.0",
        schemas=("entity-crm",),
        dependency_database=contract.tenant_database(tenant),
    )
    argv[argv.index("--database") + 1] = contract.tenant_database(tenant, "de")
    run = relc(*argv)
    assert run.exit_code == 0, run.output
    with pg.connect(contract.tenant_database(tenant, "de")) as conn:
        assert conn.execute("""SELECT to_regclass('"entity-crm".entities') IS NOT NULL""").fetchone() == (True,)


def test_malformed_folder_touches_no_database(relc: Any, pg: Any, tenant: str, tmp_path: Path) -> None:
    folder = copy_service(tmp_path, "auth")
    (folder / "V1.3.0__01_broken.sql").write_text("ALTER TABLE users DROP COLUMN email;\n")
    run = relc(*migrate_args(tenant, "auth", "1.3.0", migrations_dir=folder))
    assert run.exit_code == 2
    assert run.summary["message"] == "1 problem(s) in the migrations folder"
    assert "auth/V1.3.0__01_broken.sql:0: error [missing-rollback]" in run.output
    with pg.connect() as conn:
        assert (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (contract.tenant_database(tenant),)).fetchone()
            is None
        )


def test_hostile_tenant_name_is_rejected_before_any_connection(relc: Any, pg: Any) -> None:
    hostile = 'x"; DROP DATABASE postgres; --'
    run = relc("provision", "--tenant", hostile, "--database", "tenant_x", "--schema", "auth=auth")
    assert run.exit_code == 2
    assert run.summary["message"] == (
        f"tenant {hostile!r} is not a DNS-1123 label (a-z, 0-9 and '-', starting and ending with a letter or "
        "digit, at most 63 characters)"
    )
    run = relc("provision", "--tenant", "acme", "--database", 'tenant_acme"; DROP SCHEMA relc; --', "--schema", "a=a")
    assert run.exit_code == 2 and "may only contain a-z, 0-9, '_' and '-'" in str(run.summary["message"])
    run = relc("provision", "--tenant", "acme", "--database", "tenant_acme", "--schema", "x\x00y=auth")
    assert run.exit_code == 2
    with pg.connect() as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = 'postgres'").fetchone() == (1,)
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = 'tenant_acme'").fetchone() is None


def test_missing_credentials_is_a_usage_error(relc: Any, tenant: str) -> None:
    run = relc(*migrate_args(tenant, "auth", "1.0.0"), RELC_DB_DSN_FILE="", RELC_DB_DSN="")
    assert run.exit_code == 2
    assert run.summary["message"] == (
        "no database credentials: set RELC_DB_DSN_FILE (path of a Vault-injected file) or RELC_DB_DSN"
    )


def test_summary_goes_to_the_termination_log(relc: Any, cli_env: dict[str, str], tenant: str) -> None:
    run = relc(*provision_args(tenant))
    assert run.exit_code == 0
    written = Path(cli_env["RELC_TERMINATION_LOG"]).read_text()
    assert written.strip() == run.output.strip().splitlines()[-1]
    assert "password" not in written.lower() and "host=" not in written


def test_lock_timeouts_are_retried_then_reported(relc: Any, pg: Any, tenant: str) -> None:
    import threading

    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    db = contract.tenant_database(tenant)
    blocker = pg.connect(db)
    blocker.execute("BEGIN")
    blocker.execute("LOCK TABLE auth.users IN ACCESS EXCLUSIVE MODE")
    try:
        gave_up = relc(*migrate_args(tenant, "auth", "1.2.0", lock_timeout_ms=100, lock_retries=1))
        assert gave_up.exit_code == 1
        assert str(gave_up.summary["message"]).startswith(
            "auth/V1.2.0__01_add_tfa.sql failed: 55P03 canceling statement due to lock timeout"
        )
        threading.Timer(1.0, blocker.execute, ("ROLLBACK",)).start()  # the holder lets go after a second
        retried = relc(*migrate_args(tenant, "auth", "1.2.0", lock_timeout_ms=200, lock_retries=8))
        assert retried.exit_code == 0, retried.output
    finally:
        blocker.close()


def test_credentials_never_appear_in_output(relc: Any, tenant: str, tmp_path: Path) -> None:
    secret_file = tmp_path / "dsn"
    secret_file.write_text("host=/nonexistent-socket-dir port=5432 user=relc password=hunter2-secret")
    run = relc(*migrate_args(tenant, "auth", "1.0.0"), RELC_DB_DSN_FILE=str(secret_file), RELC_INFRA_DSN_FILE="")
    assert run.exit_code == 1
    assert str(run.summary["message"]).startswith("cannot connect to /nonexistent-socket-dir:5432/tenant_")
    assert "hunter2" not in run.output
