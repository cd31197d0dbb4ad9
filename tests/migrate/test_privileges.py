"""The tenant role's privilege model against the real server (relc_migrate/privileges.py).

Provision two tenants through the CLI, give their roles passwords, and check as each role what it can and cannot
do: its migrations (CREATE TABLE, ALTER, CREATE INDEX, foreign keys across its schemas, DROP COLUMN) run through
``migrate-tenant`` with its own credentials; it cannot connect to the other tenant's database, create roles or
databases, create schemas, or change relc's bookkeeping beyond what a migration run records.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

import relc_contract as contract
from tests.migrate.helpers import provision_args, tenant_args

pytestmark = pytest.mark.postgres

ALL = ("auth@1.2.0", "payments@2.2.0", "entity@1.2.0")


def _role_dsn(pg: Any, tenant: str) -> str:
    """Give the tenant's role a fresh password (as the admin) and return a DSN that logs in as it."""
    role, password = contract.tenant_role(tenant), secrets.token_urlsafe(24)
    with pg.connect() as admin:
        admin.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
    return f"host={pg.socket_dir} port=5432 user={role} password={password}"


def _as_role(dsn: str, database: str) -> psycopg.Connection:
    return psycopg.connect(f"{dsn} dbname={database}", autocommit=True)


def _denied(conn: psycopg.Connection, statement: str) -> str:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
        conn.execute(statement.encode())
    return str(caught.value.diag.message_primary)


@pytest.fixture
def two_tenants(relc: Any, pg: Any, tenant: str) -> tuple[str, str]:
    other = f"{tenant}-b"
    for name in (tenant, other):
        assert relc(*provision_args(name)).exit_code == 0
    assert relc(*provision_args(tenant, "entity-crm=entity", country="de")).exit_code == 0
    return tenant, other


def test_the_tenant_role_is_a_plain_login_role(pg: Any, two_tenants: tuple[str, str]) -> None:
    a, _ = two_tenants
    with pg.connect() as admin:
        row = admin.execute(
            """SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolinherit
               FROM pg_roles WHERE rolname = %s""",
            (contract.tenant_role(a),),
        ).fetchone()
    assert row == (True, False, False, False, False, False, False)


def test_a_tenant_connects_only_to_its_own_databases(pg: Any, two_tenants: tuple[str, str]) -> None:
    a, b = two_tenants
    dsn_a = _role_dsn(pg, a)
    for database in (contract.tenant_database(a), contract.tenant_database(a, "de")):
        with _as_role(dsn_a, database) as conn:
            assert conn.execute("SELECT current_user").fetchone() == (contract.tenant_role(a),)
    with pytest.raises(psycopg.OperationalError) as caught:
        _as_role(dsn_a, contract.tenant_database(b))
    assert f'permission denied for database "{contract.tenant_database(b)}"' in str(caught.value)
    with pytest.raises(psycopg.OperationalError) as wrong:
        psycopg.connect(f"host={pg.socket_dir} user={contract.tenant_role(a)} password=guess dbname=postgres")
    assert "password authentication failed" in str(wrong.value)


def test_a_tenant_cannot_create_roles_databases_or_schemas(pg: Any, two_tenants: tuple[str, str]) -> None:
    a, _ = two_tenants
    with _as_role(_role_dsn(pg, a), contract.tenant_database(a)) as conn:
        assert _denied(conn, "CREATE ROLE sneaky LOGIN") == "permission denied to create role"
        assert _denied(conn, "CREATE DATABASE sneaky") == "permission denied to create database"
        assert _denied(conn, "CREATE SCHEMA sneaky") == f"permission denied for database {contract.tenant_database(a)}"
        assert _denied(conn, "CREATE TABLE public.sneaky (x int)") == "permission denied for schema public"


def test_a_tenant_cannot_rewrite_what_deprovision_relies_on(pg: Any, two_tenants: tuple[str, str]) -> None:
    a, b = two_tenants
    with _as_role(_role_dsn(pg, a), contract.tenant_database(a)) as conn:
        assert _denied(conn, f"UPDATE relc.owner SET tenant = '{b}'") == "permission denied for table owner"
        assert _denied(conn, "DELETE FROM relc.provisioned_objects") == (
            "permission denied for table provisioned_objects"
        )
        assert _denied(conn, "INSERT INTO relc.deletion_request (mode) VALUES ('immediate')") == (
            "permission denied for table deletion_request"
        )
        assert _denied(conn, "DELETE FROM relc.migration_history") == "permission denied for table migration_history"
        assert _denied(conn, "DELETE FROM relc.audit") == "permission denied for table audit"
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner of table migration_history"):
            conn.execute("ALTER TABLE relc.migration_history ADD COLUMN x int")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner of table schema_registry"):
            conn.execute("DROP TABLE relc.schema_registry")
        assert conn.execute("SELECT tenant FROM relc.owner").fetchone() == (a,)


def test_a_tenant_migrates_with_its_own_credentials(
    relc: Any, pg: Any, two_tenants: tuple[str, str], tmp_path: Path
) -> None:
    a, b = two_tenants
    dsn_file = tmp_path / "role-dsn"  # the role's DSN instead of the admin's
    dsn_file.write_text(_role_dsn(pg, a))
    run = relc(*tenant_args(a, *ALL), RELC_DB_DSN_FILE=str(dsn_file))
    assert (run.exit_code, run.summary["outcome"]) == (0, "ok"), run.output
    role = contract.tenant_role(a)
    with pg.connect(contract.tenant_database(a)) as admin:
        owners = admin.execute(
            """SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('auth', 'payments', 'entity')"""
        ).fetchall()
        history = admin.execute("SELECT count(*) FROM relc.migration_history WHERE state = 'applied'").fetchone()
    assert owners == [(role,)]
    assert history is not None and history[0] > 10
    # and B's role, against A's database, gets nowhere even through relc-migrate
    dsn_file.write_text(_role_dsn(pg, b))
    denied = relc(*tenant_args(a, *ALL), RELC_DB_DSN_FILE=str(dsn_file))
    assert denied.exit_code == 1
    assert f'permission denied for database "{contract.tenant_database(a)}"' in str(denied.summary["message"])


def test_provision_hands_over_what_an_older_relc_migrate_created_as_admin(relc: Any, pg: Any, tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    with pg.connect(contract.tenant_database(tenant)) as admin:
        admin.execute("ALTER SCHEMA auth OWNER TO relc")
        admin.execute("CREATE TABLE auth.legacy (id serial PRIMARY KEY, kind text)")
        admin.execute("CREATE SEQUENCE auth.counter")
        admin.execute("CREATE VIEW auth.legacy_kinds AS SELECT DISTINCT kind FROM auth.legacy")
        admin.execute("CREATE FUNCTION auth.one() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        admin.execute("CREATE TYPE auth.mood AS ENUM ('ok')")
        admin.execute("CREATE DOMAIN auth.positive AS int CHECK (VALUE > 0)")
    assert relc(*provision_args(tenant)).exit_code == 0
    role = contract.tenant_role(tenant)
    with pg.connect(contract.tenant_database(tenant)) as admin:
        owners = admin.execute(
            """SELECT 'schema', pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'auth'
               UNION SELECT 'relation', pg_get_userbyid(relowner) FROM pg_class
                WHERE relnamespace = 'auth'::regnamespace
               UNION SELECT 'routine', pg_get_userbyid(proowner) FROM pg_proc WHERE pronamespace = 'auth'::regnamespace
               UNION SELECT 'type', pg_get_userbyid(typowner) FROM pg_type WHERE typnamespace = 'auth'::regnamespace"""
        ).fetchall()
    assert sorted(owners) == [("relation", role), ("routine", role), ("schema", role), ("type", role)]


def test_the_role_goes_with_the_tenants_last_database(relc: Any, pg: Any, two_tenants: tuple[str, str]) -> None:
    a, b = two_tenants

    def deprovision(country: str | None) -> Any:
        inv = contract.DeprovisionInvocation(a, contract.tenant_database(a, country), "immediate")
        return relc(*contract.deprovision_argv(inv))

    def roles() -> set[str]:
        with pg.connect() as admin:
            return {r[0] for r in admin.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 'relc_t_%'")}

    country = deprovision("de")
    assert (country.exit_code, country.summary["database_dropped"], country.summary["role_dropped"]) == (0, True, False)
    assert contract.tenant_role(a) in roles()
    main = deprovision(None)
    assert (main.exit_code, main.summary["database_dropped"], main.summary["role_dropped"]) == (0, True, True)
    assert contract.tenant_role(a) not in roles() and contract.tenant_role(b) in roles()


def test_a_createrole_admin_that_is_not_superuser_provisions_too(
    relc: Any, pg: Any, tenant: str, tmp_path: Path
) -> None:
    """Managed PostgreSQL gives the Instance's admin CREATEDB and CREATEROLE, never SUPERUSER."""
    admin_role, password = f"admin_{tenant.replace('-', '_')}", secrets.token_urlsafe(16)
    with pg.connect() as su:
        su.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEDB CREATEROLE PASSWORD {}").format(
                sql.Identifier(admin_role), sql.Literal(password)
            )
        )
    dsn_file = tmp_path / "managed-admin-dsn"
    dsn_file.write_text(f"host={pg.socket_dir} port=5432 user={admin_role} password={password} dbname=postgres")
    for _ in range(2):  # the second run takes the ALTER ROLE path
        run = relc(*provision_args(tenant), RELC_DB_DSN_FILE=str(dsn_file))
        assert run.exit_code == 0, run.output
    role_dsn = tmp_path / "role-dsn"
    role_dsn.write_text(_role_dsn(pg, tenant))
    migrated = relc(*tenant_args(tenant, *ALL), RELC_DB_DSN_FILE=str(role_dsn))
    assert (migrated.exit_code, migrated.summary["outcome"]) == (0, "ok"), migrated.output
    with pg.connect() as su:
        su.execute(sql.SQL("ALTER ROLE {} BYPASSRLS").format(sql.Identifier(contract.tenant_role(tenant))))
    refused = relc(*provision_args(tenant), RELC_DB_DSN_FILE=str(dsn_file))
    assert refused.exit_code == 1
    assert refused.summary["message"] == (
        f"the tenant role {contract.tenant_role(tenant)} has SUPERUSER, REPLICATION or BYPASSRLS, which only a "
        "superuser can remove; refusing to hand the tenant's schemas to it"
    )


def test_a_kept_database_is_handed_back_with_postgresqls_default_access(relc: Any, pg: Any, tenant: str) -> None:
    db, role = contract.tenant_database(tenant), contract.tenant_role(tenant)
    assert relc(*provision_args(tenant)).exit_code == 0
    with pg.connect(db) as conn:
        conn.execute("CREATE SCHEMA hand_made")

    def access() -> tuple[bool, bool]:
        with pg.connect() as admin:
            row = admin.execute(
                "SELECT has_database_privilege('public', %s, 'CONNECT, TEMPORARY'), EXISTS ("
                "  SELECT 1 FROM pg_database d, aclexplode(d.datacl) a"
                "  WHERE d.datname = %s AND a.grantee = %s::regrole)",  # a grant of its own, not through PUBLIC
                (db, db, role),
            ).fetchone()
        assert row is not None
        return bool(row[0]), bool(row[1])

    assert access() == (False, True)
    inv = contract.DeprovisionInvocation(tenant, db, "immediate")
    run = relc(*contract.deprovision_argv(inv))
    assert (run.exit_code, run.summary["database_dropped"], run.summary["bookkeeping_dropped"]) == (0, False, True)
    assert access() == (True, False)
