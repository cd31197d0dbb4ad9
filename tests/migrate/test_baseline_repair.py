"""baseline (adopt an existing database) and repair (realign checksums, remove failed entries), audited, through
the CLI against the real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import relc_contract as contract
from tests.migrate.helpers import EXAMPLES, copy_service, migrate_args, provision_args

pytestmark = pytest.mark.postgres


def _adopt_args(command: str, tenant: str, service: str, folder: Path, *extra: str) -> list[str]:
    return [command, "--tenant", tenant, "--service", service, "--database", contract.tenant_database(tenant),
            "--schema", service, "--migrations-dir", str(folder), *extra]  # fmt: skip


def _rows(pg: Any, tenant: str, query: str) -> list[tuple[Any, ...]]:
    with pg.connect(contract.tenant_database(tenant)) as conn:
        return [tuple(r) for r in conn.execute(query).fetchall()]


def test_baseline_adopts_existing_objects_without_running_them(relc: Any, pg: Any, tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    db = contract.tenant_database(tenant)
    with pg.connect(db) as conn:  # what an existing fleet has: the objects of auth 1.1.0, no relc history
        conn.execute("SET search_path = auth")
        for name in ("V1.0.0__01_create_users.sql", "V1.0.0__02_create_roles.sql", "V1.1.0__01_create_sessions.sql"):
            conn.execute((EXAMPLES / "auth" / name).read_text().split("-- ROLLBACK:")[0])
    run = relc(*_adopt_args("baseline", tenant, "auth", EXAMPLES / "auth", "--version", "1.1.0",
                            "--reason", "adopting acme from the legacy flyway setup (ops-123)"))  # fmt: skip
    assert run.exit_code == 0, run.output
    assert run.summary["recorded"] == [
        "auth/V1.0.0__01_create_users.sql", "auth/V1.0.0__02_create_roles.sql",
        "auth/V1.1.0__01_create_sessions.sql", "auth/init_data.sql",
    ]  # fmt: skip
    assert _rows(pg, tenant, "SELECT file, state, baselined, statements_applied FROM relc.migration_history") == [
        ("V1.0.0__01_create_users.sql", "applied", True, 0),
        ("V1.0.0__02_create_roles.sql", "applied", True, 0),
        ("V1.1.0__01_create_sessions.sql", "applied", True, 0),
        ("init_data.sql", "applied", True, 0),
    ]
    assert _rows(pg, tenant, "SELECT action, schema_name, detail, reason, run_by_job FROM relc.audit") == [
        ("baseline", "auth", "at 1.1.0: 3 file(s) recorded as applied by baseline, not run",
         "adopting acme from the legacy flyway setup (ops-123)", "test-job"),
    ]  # fmt: skip
    registry = "SELECT current_version, status FROM relc.schema_registry WHERE schema_name = 'auth'"
    assert _rows(pg, tenant, registry) == [("1.1.0", "complete")]
    up = relc(*migrate_args(tenant, "auth", "1.2.0"))  # only the newer file runs
    assert up.exit_code == 0, up.output
    assert up.summary["schemas"][0]["applied"] == ["V1.2.0__01_add_tfa.sql"]
    again = relc(*_adopt_args("baseline", tenant, "auth", EXAMPLES / "auth", "--version", "1.1.0", "--reason", "x"))
    assert again.exit_code == 2
    assert again.summary["message"] == (
        "schema auth already has migration history (5 rows): baseline only adopts a schema relc-migrate never migrated"
    )


def test_baseline_of_another_tenants_database_or_without_a_reason_is_refused(relc: Any, tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    args = _adopt_args("baseline", tenant, "auth", EXAMPLES / "auth", "--version", "1.1.0")
    args[args.index("--tenant") + 1] = "someoneelse"
    run = relc(*args, "--reason", "why not")
    assert run.exit_code == 2
    assert str(run.summary["message"]).startswith(f"database '{contract.tenant_database(tenant)}' is not tenant")
    blank = relc(*_adopt_args("baseline", tenant, "auth", EXAMPLES / "auth", "--version", "1.1.0", "--reason", " "))
    assert (blank.exit_code, blank.summary["message"]) == (2, "--reason must say who agreed to this and why")
    missing = relc(*_adopt_args("repair", tenant, "auth", EXAMPLES / "auth"))
    assert missing.exit_code == 2  # click: --reason is required


def test_repair_realigns_an_agreed_edit_and_removes_a_failed_entry(
    relc: Any, pg: Any, tenant: str, tmp_path: Path
) -> None:
    folder = copy_service(tmp_path, "auth")
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0", migrations_dir=folder)).exit_code == 0
    edited = folder / "V1.0.0__01_create_users.sql"
    edited.write_text("-- reviewed: comment added after the fact (agreed in ops-456)\n" + edited.read_text())
    (folder / "V1.2.0__01_add_tfa.sql").write_text("SELECT 1/0;\n-- ROLLBACK:\nSELECT 1;\n")
    assert relc(*migrate_args(tenant, "auth", "1.2.0", migrations_dir=folder)).exit_code == 2  # drift
    run = relc(*_adopt_args("repair", tenant, "auth", folder, "--reason", "comment-only edit, ops-456"))
    assert run.exit_code == 0, run.output
    assert run.summary["realigned"] == ["auth/V1.0.0__01_create_users.sql"]
    assert run.summary["removed_failed"] == []
    failed = relc(*migrate_args(tenant, "auth", "1.2.0", migrations_dir=folder))
    assert failed.exit_code == 1, failed.output
    repaired = relc(*_adopt_args("repair", tenant, "auth", folder, "--reason", "1.2.0 is withdrawn, ops-457"))
    assert repaired.summary["removed_failed"] == ["auth/V1.2.0__01_add_tfa.sql"]
    assert _rows(pg, tenant, "SELECT count(*) FROM relc.migration_history WHERE state = 'failed'") == [(0,)]
    registry = "SELECT status, status_reason FROM relc.schema_registry WHERE schema_name = 'auth'"
    assert _rows(pg, tenant, registry) == [("pending", "repaired: 1.2.0 is withdrawn, ops-457")]
    audit = _rows(pg, tenant, "SELECT action, detail, reason FROM relc.audit ORDER BY id")
    assert [(a, r) for a, _, r in audit] == [
        ("repair-checksum", "comment-only edit, ops-456"),
        ("repair-remove-failed", "1.2.0 is withdrawn, ops-457"),
    ]
    assert audit[0][1].startswith("auth/V1.0.0__01_create_users.sql: checksum ")
    assert audit[1][1].startswith("auth/V1.2.0__01_add_tfa.sql: failed entry ")
