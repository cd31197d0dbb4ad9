"""provision / deprovision: tenant databases and schemas, idempotently, dropping only what relc created.

Provisioning records every object it creates in ``relc.provisioned_objects`` (a schema in the same transaction
as its CREATE SCHEMA); deprovisioning drops only recorded objects, and drops the database itself only when
relc created it and nothing it did not create lives in it. The deletion policy (seed section 6.2) is kept in
``relc.deletion_request``: ``retained`` purges on the first run after the grace period, ``immediate`` purges
now, ``manual`` purges only when finalized.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from relc_contract import (
    DeprovisionInvocation,
    ProvisionInvocation,
    tenant_database_country,
    tenant_role,
    validate_identifier,
    validate_schema,
)
from relc_migrate import db, ownership, privileges, state
from relc_migrate.errors import DatabaseError, UsageError
from relc_migrate.runtime import Runtime

log = logging.getLogger("relc_migrate")


@dataclass
class ProvisionResult:
    role: str
    database_created: bool = False
    role_created: bool = False
    schemas_created: list[str] = field(default_factory=list)
    schemas_existing: list[str] = field(default_factory=list)


def validate_provision(inv: ProvisionInvocation) -> str | None:
    """Every name checked before any connection; returns the database's country (None: the main one)."""
    country = tenant_database_country(inv.tenant, inv.database)
    if len(inv.schemas) != len(inv.services) or not inv.schemas:
        raise UsageError("give at least one --schema <schema>=<service>")
    for schema, service in zip(inv.schemas, inv.services, strict=True):
        validate_schema(schema)
        validate_identifier(service, "service")
    if inv.app is not None:
        validate_identifier(inv.app, "app")
    return country


def _create_database(conn: psycopg.Connection, rt: Runtime, name: str) -> bool:
    """CREATE DATABASE unless it exists; True when this run created it (a concurrent creator wins quietly)."""
    if ownership.refuse_special(conn, name, db.maintenance_database(rt.dsn)):
        return False
    try:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except pg_errors.DuplicateDatabase:
        return False
    except psycopg.Error as err:
        raise DatabaseError(f"cannot create database {name}: {err.diag.message_primary or err}") from None
    return True


def provision(inv: ProvisionInvocation, rt: Runtime) -> ProvisionResult:
    """Create the tenant's role, the database, bookkeeping and schemas that are missing, with the privileges of
    the model in privileges.py (re-applied on every run, so an older database is brought into it); safe to
    re-run at any point."""
    country = validate_provision(inv)
    result = ProvisionResult(tenant_role(inv.tenant))
    with db.connect(rt.dsn, None, "provision") as admin:  # kept open: the database is locked down last
        result.role_created = privileges.ensure_role(admin, result.role)
        result.database_created = _create_database(admin, rt, inv.database)
        _provision_inside(inv, rt, country, result)
        # only once relc.owner names this tenant: never open (or close) a database that is not the tenant's
        privileges.lock_down_database(admin, inv.database, result.role)
    return result


def _provision_inside(inv: ProvisionInvocation, rt: Runtime, country: str | None, result: ProvisionResult) -> None:
    """Bookkeeping, ownership record, the role's grants and the schemas, inside the tenant's database."""
    with db.connect(rt.dsn, inv.database, f"provision:{inv.tenant}") as conn:
        if result.database_created and state.schema_exists(conn, state.BOOKKEEPING_SCHEMA):
            conn.close()
            _drop_database(rt, inv.database)
            raise UsageError(
                f"the template database holds a {state.BOOKKEEPING_SCHEMA} schema (left by an older relc-migrate), "
                f"so {inv.database} was created with another database's bookkeeping; dropped it again. Remove the "
                f"schema from template1 (DROP SCHEMA {state.BOOKKEEPING_SCHEMA} CASCADE) and provision again"
            )
        state.ensure_bookkeeping(conn)
        ownership.claim(conn, inv.tenant, inv.database, country)
        privileges.grant_bookkeeping(conn, result.role)
        if result.database_created:
            conn.execute(
                "INSERT INTO relc.provisioned_objects (kind, name) VALUES ('database', %s) ON CONFLICT DO NOTHING",
                (inv.database,),
            )
        for schema, service in zip(inv.schemas, inv.services, strict=True):
            with conn.transaction():
                if state.schema_exists(conn, schema):
                    result.schemas_existing.append(schema)
                else:
                    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
                    conn.execute(
                        "INSERT INTO relc.provisioned_objects (kind, name) VALUES ('schema', %s) "
                        "ON CONFLICT DO NOTHING",
                        (schema,),
                    )
                    result.schemas_created.append(schema)
                privileges.hand_over_schema(conn, schema, result.role)
                state.register_schema(conn, schema, service)


@dataclass
class DeprovisionResult:
    action: str  #: nothing | retained | awaiting-finalize | purged
    purge_after: str | None = None
    dropped_schemas: list[str] = field(default_factory=list)
    database_dropped: bool = False
    kept: list[str] = field(default_factory=list)  #: schemas relc did not create, left in place
    bookkeeping_dropped: bool = False  #: the database was kept, without relc's schema
    role_dropped: bool = False  #: the tenant's role went with its last database


def deprovision(inv: DeprovisionInvocation, rt: Runtime) -> DeprovisionResult:
    """Record or carry out the deletion of a tenant database, per its deletion policy.

    Proves before it drops: the name derives from the tenant, the catalog does not call it a template or the
    maintenance database, and ``relc.owner`` names this tenant (no record, no deletion). A database relc did not
    create, or that holds a schema relc did not create, is *kept*: relc drops its own schemas and then its
    bookkeeping (``relc``), handing the database back as if relc had never been there; a later deprovision of it
    is refused (no ownership record).
    """
    tenant_database_country(inv.tenant, inv.database)
    if inv.mode not in ("retained", "immediate", "manual"):
        raise UsageError(f"deletion mode {inv.mode!r} is not one of retained, immediate, manual")
    with db.connect(rt.dsn, None, "deprovision") as admin:
        if not ownership.refuse_special(admin, inv.database, db.maintenance_database(rt.dsn)):
            return DeprovisionResult("nothing")
    with db.connect(rt.dsn, inv.database, f"deprovision:{inv.tenant}") as conn:
        ownership.verify(conn, inv.tenant, inv.database)
        due = _record_request(conn, inv)
        if inv.mode == "retained" and not due:
            return DeprovisionResult("retained", purge_after=_purge_after(conn))
        if inv.mode == "manual" and not inv.finalize:
            return DeprovisionResult("awaiting-finalize")
        result = _purge_schemas(conn)
        owned_db = conn.execute(
            "SELECT 1 FROM relc.provisioned_objects WHERE kind = 'database' AND name = %s", (inv.database,)
        ).fetchone()
        if not owned_db or result.kept:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(state.BOOKKEEPING_SCHEMA)))
            result.bookkeeping_dropped = True
            with db.connect(rt.dsn, None, "deprovision") as admin:
                privileges.hand_back_database(admin, inv.database, tenant_role(inv.tenant))
            return result
    _drop_database(rt, inv.database)
    result.database_dropped = True
    with db.connect(rt.dsn, None, "deprovision") as admin:  # its last database gone, nothing holds the role
        result.role_dropped = privileges.drop_role_if_unused(admin, tenant_role(inv.tenant))
    return result


def _drop_database(rt: Runtime, database: str) -> None:
    with db.connect(rt.dsn, None, "deprovision") as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


def _record_request(conn: psycopg.Connection, inv: DeprovisionInvocation) -> bool:
    """Insert (or keep) the deletion request; True when its grace period is over."""
    conn.execute(
        """INSERT INTO relc.deletion_request (mode, purge_after)
           VALUES (%s, CASE WHEN %s = 'retained' THEN now() + make_interval(secs => %s) END)
           ON CONFLICT (singleton) DO UPDATE SET mode = excluded.mode,
               purge_after = coalesce(relc.deletion_request.purge_after, excluded.purge_after)""",
        (inv.mode, inv.mode, inv.grace_period_seconds),
    )
    conn.execute(
        "UPDATE relc.schema_registry SET retention_expires_at = (SELECT purge_after FROM relc.deletion_request)"
    )
    row = conn.execute("SELECT purge_after IS NULL OR purge_after <= now() FROM relc.deletion_request").fetchone()
    return bool(row and row[0])


def _purge_after(conn: psycopg.Connection) -> str | None:
    row = conn.execute(
        """SELECT to_char(purge_after AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
           FROM relc.deletion_request"""
    ).fetchone()
    return str(row[0]) if row and row[0] else None


def _purge_schemas(conn: psycopg.Connection) -> DeprovisionResult:
    """Drop the schemas relc created; report the ones it did not (they keep the database alive)."""
    owned = {r[0] for r in conn.execute("SELECT name FROM relc.provisioned_objects WHERE kind = 'schema'")}
    present = {
        r[0]
        for r in conn.execute(
            """SELECT nspname FROM pg_namespace
               WHERE nspname NOT IN ('public', 'information_schema', 'relc')
                 AND nspname NOT LIKE 'pg\\_%'"""
        )
    }
    result = DeprovisionResult("purged", kept=sorted(present - owned))
    for schema in sorted(owned & present):
        with conn.transaction():
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
            conn.execute("DELETE FROM relc.provisioned_objects WHERE kind = 'schema' AND name = %s", (schema,))
            conn.execute("DELETE FROM relc.schema_registry WHERE schema_name = %s", (schema,))
        result.dropped_schemas.append(schema)
    if result.kept:
        log.warning("kept schemas relc did not create: %s", ", ".join(result.kept))
    return result
