"""Nothing deleted that is not the tenant's: every command verifies the database against the tenant (its name,
the catalog, the ownership record) and refuses system and template databases, through the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import relc_contract as contract
from relc_migrate import slots
from tests.migrate.helpers import EXAMPLES, migrate_args, provision_args

pytestmark = pytest.mark.postgres


def _exists(pg: Any, name: str) -> bool:
    with pg.connect() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def _has_relc_schema(pg: Any, database: str) -> bool:
    with pg.connect(database) as conn:
        return bool(conn.execute("SELECT to_regnamespace('relc') IS NOT NULL").fetchone() == (True,))


def test_deprovision_of_another_tenants_database_is_refused(relc: Any, pg: Any, tenant: str) -> None:
    db = contract.tenant_database(tenant)
    assert relc(*provision_args(tenant)).exit_code == 0
    run = relc("deprovision", "--tenant", "someoneelse", "--database", db, "--mode", "immediate")
    assert run.exit_code == 2
    assert run.summary["message"] == (
        f"database '{db}' is not tenant 'someoneelse''s: its databases are tenant_someoneelse and "
        "tenant_someoneelse_<country>"
    )
    assert _exists(pg, db)
    for command in (
        ["provision", "--tenant", "someoneelse", "--database", db, "--schema", "auth=auth"],
        [*migrate_args("someoneelse", "auth", "1.0.0")[:5], "--database", db, "--schema", "auth",
         "--desired-version", "1.0.0"],
    ):  # fmt: skip
        refused = relc(*command)
        assert refused.exit_code == 2, refused.output
        assert str(refused.summary["message"]).startswith(f"database '{db}' is not tenant 'someoneelse''s")


def test_a_name_shared_by_two_tenants_is_decided_by_the_ownership_record(relc: Any, pg: Any, tenant: str) -> None:
    # tenant "<t>-de"'s main database is tenant "<t>"'s "de" database: the name alone proves nothing
    owner = tenant + "-de"
    db = contract.tenant_database(owner)
    assert db == contract.tenant_database(tenant, "de")
    assert relc(*provision_args(owner)).exit_code == 0
    run = relc("deprovision", "--tenant", tenant, "--database", db, "--mode", "immediate")
    assert run.exit_code == 2
    assert run.summary["message"] == f"{db} belongs to tenant {owner}, not {tenant}; refusing to touch it"
    assert _exists(pg, db)
    provision = relc("provision", "--tenant", tenant, "--database", db, "--schema", "entity-crm=entity")
    assert provision.exit_code == 2
    assert provision.summary["message"] == f"{db} belongs to tenant {owner}, not {tenant}; refusing to touch it"
    argv = migrate_args(owner, "auth", "1.0.0")
    argv[argv.index("--tenant") + 1] = tenant
    migrate = relc(*argv)
    assert migrate.exit_code == 2
    assert migrate.summary["message"] == f"{db} belongs to tenant {owner}, not {tenant}; refusing to touch it"
    with pg.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM relc.migration_history").fetchone() == (0,)


@pytest.mark.parametrize("database", ["postgres", "template0", "template1"])
def test_system_databases_are_refused_by_every_command(relc: Any, pg: Any, tenant: str, database: str) -> None:
    message = f"database '{database}' is a system or template database; relc-migrate never works in it"
    commands = [
        ["provision", "--tenant", tenant, "--database", database, "--schema", "auth=auth"],
        ["deprovision", "--tenant", tenant, "--database", database, "--mode", "immediate"],
        ["migrate", "--tenant", tenant, "--service", "auth", "--database", database, "--schema", "auth",
         "--desired-version", "1.0.0", "--migrations-dir", str(Path(__file__).parents[2] / "migrations" / "auth")],
        ["status", "--database", database],
    ]  # fmt: skip
    for command in commands:
        run = relc(*command)
        assert (run.exit_code, run.summary.get("message")) == (2, message), run.output
    assert not _has_relc_schema(pg, "template1") and not _has_relc_schema(pg, "postgres")


def test_a_template_or_the_maintenance_database_is_refused_even_with_a_tenant_name(
    relc: Any, pg: Any, tenant: str, tmp_path: Path
) -> None:
    db = contract.tenant_database(tenant)
    with pg.connect() as conn:
        conn.execute(f'CREATE DATABASE "{db}" IS_TEMPLATE true')
    try:
        run = relc(*provision_args(tenant))
        assert (run.exit_code, run.summary["message"]) == (
            2, f"database '{db}' is a template database; relc-migrate never works in it"
        )  # fmt: skip
        with pg.connect() as conn:
            conn.execute(f'ALTER DATABASE "{db}" IS_TEMPLATE false')
        dsn_file = tmp_path / "maintenance-dsn"
        dsn_file.write_text(pg.dsn(db))
        run = relc("deprovision", "--tenant", tenant, "--database", db, "--mode", "immediate",
                   RELC_DB_DSN_FILE=str(dsn_file))  # fmt: skip
        assert (run.exit_code, run.summary["message"]) == (
            2, f"database '{db}' is the maintenance database of the connection string; refusing"
        )  # fmt: skip
        assert not _has_relc_schema(pg, db)
    finally:
        with pg.connect() as conn:
            conn.execute(f'ALTER DATABASE "{db}" IS_TEMPLATE false')
            conn.execute(f'DROP DATABASE "{db}"')


def test_deprovision_leaves_template1_clean_and_a_dirty_template_is_refused(relc: Any, pg: Any, tenant: str) -> None:
    db = contract.tenant_database(tenant)
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc("deprovision", "--tenant", tenant, "--database", db, "--mode", "immediate").exit_code == 0
    assert not _has_relc_schema(pg, "template1")
    with pg.connect("template1") as conn:  # what an older relc-migrate left behind
        conn.execute("CREATE SCHEMA relc")
    try:
        run = relc(*provision_args(tenant))
        assert run.exit_code == 2
        assert run.summary["message"] == (
            f"the template database holds a relc schema (left by an older relc-migrate), so {db} was created "
            "with another database's bookkeeping; dropped it again. Remove the schema from template1 "
            "(DROP SCHEMA relc CASCADE) and provision again"
        )
        assert not _exists(pg, db)
    finally:
        with pg.connect("template1") as conn:
            conn.execute("DROP SCHEMA relc CASCADE")
    assert relc(*provision_args(tenant)).exit_code == 0


def test_migrate_refuses_a_database_it_cannot_prove_is_the_tenants(relc: Any, pg: Any, tenant: str) -> None:
    db = contract.tenant_database(tenant)
    with pg.connect() as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    with pg.connect(db) as conn:
        conn.execute("CREATE SCHEMA auth")
    run = relc(*migrate_args(tenant, "auth", "1.0.0"))
    assert run.exit_code == 2
    assert run.summary["message"] == (
        f"{db} has no relc ownership record (relc.owner): relc-migrate did not provision it for {tenant}; "
        f"refusing to touch it (run relc-migrate provision --tenant {tenant} first)"
    )
    assert not _has_relc_schema(pg, db)


def test_the_dependency_database_must_be_the_tenants_main_database(relc: Any, pg: Any, tenant: str) -> None:
    argv = migrate_args(tenant, "entity", "1.2.0", schemas=("entity-crm",), dependency_database="tenant_other")
    argv[argv.index("--database") + 1] = contract.tenant_database(tenant, "de")
    run = relc(*argv)
    assert run.exit_code == 2
    assert run.summary["message"] == (
        f"dependency database tenant_other is not tenant {tenant}'s main database {contract.tenant_database(tenant)}"
    )
    assert not _exists(pg, contract.tenant_database(tenant, "de"))


def test_a_refused_run_never_queues_for_a_slot(relc: Any, pg: Any, tenant: str) -> None:
    """The cluster's one slot is busy: a migrate (and a migrate-tenant) of a database that is not the tenant's is
    refused at once, on the ownership check, and never joins the slot queue (the ticket sequence did not move)."""
    owner = tenant + "-de"  # its main database is tenant's "de" database: refused by the ownership record
    db = contract.tenant_database(owner)
    assert relc(*provision_args(owner)).exit_code == 0
    argv = migrate_args(owner, "auth", "1.0.0", slot_wait_seconds=60)
    argv[argv.index("--tenant") + 1] = tenant
    argv[argv.index("--database") + 1] = contract.tenant_database(tenant, "de")
    with pg.connect("relc_infra") as holder:
        slots.ensure_infra(holder)
        held = slots.acquire_slot(holder, 1, "holder", "svc", None, 5)
        assert held is not None
        tickets = _last_ticket(holder)
        step = contract.parse_step("auth@1.0.0:de:auth")
        whole = contract.TenantMigrateInvocation(tenant, (step,), migrations_root=str(EXAMPLES), slot_wait_seconds=60)
        for command in (argv, list(contract.migrate_tenant_argv(whole))):
            refused = relc(*command, RELC_CONCURRENCY_LIMIT="1")
            assert refused.exit_code == 2, refused.output
            assert str(refused.summary["message"]).endswith(
                f"{db} belongs to tenant {owner}, not {tenant}; refusing to touch it"
            )
            assert _last_ticket(holder) == tickets
        held.release()


def _last_ticket(conn: Any) -> int:
    row = conn.execute("SELECT last_value FROM infra.migration_ticket").fetchone()
    return int(row[0])
