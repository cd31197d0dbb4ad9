"""rollback, retry, dry run and up -> down -> up on the example services, against a real server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import relc_contract as contract
from relc_migrate.folder import load_folder
from tests.migrate.helpers import EXAMPLES, migrate_args, provision_args

pytestmark = pytest.mark.postgres


def _schema_dump(pg: Any, tenant: str, schema: str) -> str:
    dump: str = pg.pg_dump(contract.tenant_database(tenant), "--schema-only", f"--schema={schema}")
    return dump


def _versions(service: str) -> list[str]:
    files = load_folder(EXAMPLES / service, service).files
    return list(dict.fromkeys(str(f.version) for f in files))


def _history(pg: Any, tenant: str, schema: str) -> list[tuple[Any, ...]]:
    with pg.connect(contract.tenant_database(tenant)) as conn:
        rows: list[tuple[Any, ...]] = conn.execute(
            "SELECT file, direction, state, statements_applied, error, failing_statement, run_by_job "
            "FROM relc.migration_history WHERE schema_name = %s ORDER BY id",
            (schema,),
        ).fetchall()
    return rows


@pytest.mark.parametrize("service", ["auth", "payments", "entity"])
def test_up_down_up_on_every_example_migration(relc: Any, pg: Any, tenant: str, service: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    if service == "entity":  # its dependencies.yml requires auth >= 1.2.0 and payments >= 2.1.0
        assert relc(*migrate_args(tenant, "auth", "1.2.0")).exit_code == 0
        assert relc(*migrate_args(tenant, "payments", "2.2.0")).exit_code == 0
    previous, before = "0.0.0", _schema_dump(pg, tenant, service)
    for version in _versions(service):
        up = relc(*migrate_args(tenant, service, version))
        assert up.exit_code == 0, up.output
        after_up = _schema_dump(pg, tenant, service)
        down = relc(*migrate_args(tenant, service, previous)[: -0 or None])
        assert down.exit_code == 0, down.output
        assert down.summary["rolled_back"] >= 1
        assert _schema_dump(pg, tenant, service) == before, f"rollback {version} -> {previous} is not exact"
        again = relc(*migrate_args(tenant, service, version))
        assert again.exit_code == 0, again.output
        assert _schema_dump(pg, tenant, service) == after_up
        previous, before = version, after_up


def test_rollback_command_returns_to_the_earlier_schema(relc: Any, pg: Any, tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    at_110 = _schema_dump(pg, tenant, "auth")
    assert relc(*migrate_args(tenant, "auth", "1.2.0")).exit_code == 0
    argv = migrate_args(tenant, "auth", "1.1.0")
    argv[0] = "rollback"
    argv[argv.index("--desired-version")] = "--to-version"
    run = relc(*argv)
    assert run.exit_code == 0, run.output
    assert run.summary["schemas"][0]["rolled_back"] == ["V1.2.0__01_add_tfa.sql"]
    assert _schema_dump(pg, tenant, "auth") == at_110
    assert relc("status", "--tenant", tenant, "--json").output.count('"current_version": "1.1.0"') == 1


def test_rollback_to_a_newer_version_is_refused(relc: Any, tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    argv = migrate_args(tenant, "auth", "1.2.0")
    argv[0], argv[argv.index("--desired-version")] = "rollback", "--to-version"
    run = relc(*argv)
    assert run.exit_code == 2
    assert run.summary["message"] == (
        "rollback target 1.2.0 is newer than schema auth's current version 1.1.0; use migrate to upgrade"
    )


def test_dry_run_reports_the_diff_and_leaves_the_database_exactly_as_it_was(
    relc: Any, pg: Any, tenant: str, tmp_path: Path
) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    db = contract.tenant_database(tenant)
    before = pg.pg_dump(db)
    diff_file = tmp_path / "diff.json"
    run = relc(*migrate_args(tenant, "auth", "1.2.0", dry_run=True), "--diff-json", str(diff_file))
    assert run.exit_code == 0, run.output
    assert run.summary["outcome"] == "dry_run"
    assert run.summary["changes"] == {"added": 4, "dropped": 0, "altered": 0}, run.output
    assert "+ ALTER TABLE users ADD COLUMN tfa_enabled boolean NOT NULL DEFAULT false;" in run.output
    assert "+ CREATE TABLE tfa_secrets (user_id bigint NOT NULL, secret bytea NOT NULL" in run.output
    assert "+ ALTER TABLE tfa_secrets ADD CONSTRAINT tfa_secrets_pkey PRIMARY KEY (user_id);" in run.output
    assert pg.pg_dump(db) == before
    document = json.loads(diff_file.read_text())
    assert {"op": "added", "kind": "column", "table": "users", "name": "tfa_enabled", "before": None,
            "after": "boolean NOT NULL DEFAULT false"} in document["auth"]  # fmt: skip


def test_dry_run_of_a_rollback_shows_drops(relc: Any, pg: Any, tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.2.0")).exit_code == 0
    before = pg.pg_dump(contract.tenant_database(tenant))
    run = relc(*migrate_args(tenant, "auth", "1.1.0", dry_run=True))
    assert run.exit_code == 0, run.output
    assert "- DROP TABLE tfa_secrets;" in run.output
    assert "- ALTER TABLE users DROP COLUMN tfa_enabled;" in run.output
    assert pg.pg_dump(contract.tenant_database(tenant)) == before


def test_retry_after_a_fixed_file_runs_only_unapplied_steps(relc: Any, pg: Any, tenant: str, tmp_path: Path) -> None:
    folder = tmp_path / "svc"
    folder.mkdir()
    (folder / "V1.0.0__01_base.sql").write_text("CREATE TABLE base (a int);\n-- ROLLBACK:\nDROP TABLE base;\n")
    (folder / "V1.1.0__01_extra.sql").write_text(
        "CREATE TABLE extra (a int);\nINSERT INTO missing VALUES (1);\n-- ROLLBACK:\nDROP TABLE extra;\n"
    )
    assert relc(*provision_args(tenant, "svc=svc")).exit_code == 0
    failed = relc(*migrate_args(tenant, "svc", "1.1.0", migrations_dir=folder))
    assert failed.exit_code == 1
    assert failed.summary["message"] == (
        'svc/V1.1.0__01_extra.sql failed: 42P01 relation "missing" does not exist '
        "(statement: INSERT INTO missing VALUES (1))"
    )
    assert '"status": "failed"' in relc("status", "--tenant", tenant, "--json").output
    with pg.connect(contract.tenant_database(tenant)) as conn:  # the failed file's transaction rolled back
        assert conn.execute("SELECT to_regclass('svc.extra')").fetchone() == (None,)
    (folder / "V1.1.0__01_extra.sql").write_text(
        "CREATE TABLE extra (a int);\nINSERT INTO extra VALUES (1);\n-- ROLLBACK:\nDROP TABLE extra;\n"
    )
    argv = migrate_args(tenant, "svc", "1.1.0", migrations_dir=folder)
    i = argv.index("--desired-version")
    retry = relc("retry", *argv[1:i], *argv[i + 2 :])
    assert retry.exit_code == 0, retry.output
    assert retry.summary["schemas"][0]["applied"] == ["V1.1.0__01_extra.sql"]
    assert _history(pg, tenant, "svc") == [
        ("V1.0.0__01_base.sql", "up", "applied", 1, None, None, "test-job"),
        ("V1.1.0__01_extra.sql", "up", "failed", 1, '42P01 relation "missing" does not exist',
         "INSERT INTO missing VALUES (1)", "test-job"),
        ("V1.1.0__01_extra.sql", "up", "applied", 2, None, None, "test-job"),
    ]  # fmt: skip
    nothing = relc("retry", *argv[1:i], *argv[i + 2 :])
    assert nothing.exit_code == 2
    assert nothing.summary["message"] == "nothing to retry: no schema is failed or blocked (svc=complete)"
