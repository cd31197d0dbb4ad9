"""cleanup: retention of the schemas a tenant's candidate no longer uses (design section 6.1).

A country-scope downgrade leaves the app's country databases behind, and a candidate that drops a service or
app leaves its schemas in the main database. Neither is dropped at once: a schema becomes *left behind* on the
first cleanup run that does not find it in ``--in-use``, ``schema_registry.retention_expires_at`` says until when
it is kept (``schemaTransition`` in a country database, ``deprecatedVersions`` in the main one), and the first
run after that drops it. Only what relc-migrate provisioned is ever dropped (``relc.provisioned_objects``), only
in databases whose ``relc.owner`` names the tenant, and never in a database with a pending deletion request
(deprovision decides those). A country database relc created goes too once its last schema is dropped and
nothing foreign lives in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from relc_contract import CleanupInvocation, tenant_database_country, validate_schema, validate_tenant
from relc_migrate import db, ownership, state, status
from relc_migrate.errors import UsageError
from relc_migrate.runtime import Runtime


@dataclass
class CleanupResult:
    retained: list[str] = field(default_factory=list)
    dropped_schemas: list[str] = field(default_factory=list)
    dropped_databases: list[str] = field(default_factory=list)


def _in_use(inv: CleanupInvocation) -> set[tuple[str, str]]:
    pairs = set()
    for item in inv.in_use:
        database, sep, schema = item.partition("/")
        if not sep:
            raise UsageError(f"--in-use {item!r} is not <database>/<schema>")
        tenant_database_country(inv.tenant, database)
        pairs.add((database, validate_schema(schema)))
    if inv.schema_transition_seconds < 0 or inv.deprecated_versions_seconds < 0:
        raise UsageError("retention durations must not be negative")
    return pairs


def cleanup(inv: CleanupInvocation, rt: Runtime) -> CleanupResult:
    validate_tenant(inv.tenant)
    in_use = _in_use(inv)
    result = CleanupResult()
    maintenance = db.maintenance_database(rt.dsn)
    for database in status.databases_of_tenant(rt, inv.tenant):
        with db.connect(rt.dsn, None, f"cleanup:{inv.tenant}") as admin:
            if not ownership.refuse_special(admin, database, maintenance):
                continue
        with db.connect(rt.dsn, database, f"cleanup:{inv.tenant}") as conn:
            owner = ownership.verify(conn, inv.tenant, database)
            if conn.execute("SELECT 1 FROM relc.deletion_request").fetchone() is not None:
                continue  # being deprovisioned: its own policy decides
            seconds = inv.schema_transition_seconds if owner.country else inv.deprecated_versions_seconds
            remaining = _sweep(conn, database, {s for d, s in in_use if d == database}, seconds, result)
            drop = owner.country is not None and not remaining and _created_by_relc(conn, database)
        if drop:
            with db.connect(rt.dsn, None, f"cleanup:{inv.tenant}") as admin:
                admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(database)))
            result.dropped_databases.append(database)
    return result


def _sweep(conn: psycopg.Connection, database: str, used: set[str], seconds: int, result: CleanupResult) -> bool:
    """Set, clear or act on the expiry of each provisioned schema; True while any schema remains."""
    owned = [r[0] for r in conn.execute("SELECT name FROM relc.provisioned_objects WHERE kind = 'schema' ORDER BY 1")]
    remaining = False
    for schema in owned:
        with conn.transaction():
            if schema in used:
                conn.execute(
                    "UPDATE relc.schema_registry SET retention_expires_at = NULL WHERE schema_name = %s", (schema,)
                )
                remaining = True
                continue
            row = conn.execute(
                """UPDATE relc.schema_registry
                   SET retention_expires_at = coalesce(retention_expires_at, now() + make_interval(secs => %s))
                   WHERE schema_name = %s
                   RETURNING retention_expires_at <= now(),
                       to_char(retention_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')""",
                (seconds, schema),
            ).fetchone()
            if row is not None and not row[0]:
                result.retained.append(f"{database}/{schema} until {row[1]}")
                remaining = True
                continue
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
            conn.execute("DELETE FROM relc.provisioned_objects WHERE kind = 'schema' AND name = %s", (schema,))
            conn.execute("DELETE FROM relc.schema_registry WHERE schema_name = %s", (schema,))
            result.dropped_schemas.append(f"{database}/{schema}")
    return remaining or _has_foreign_schemas(conn)


def _has_foreign_schemas(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        """SELECT count(*) FROM pg_namespace
           WHERE nspname NOT IN ('public', 'information_schema', %s) AND nspname NOT LIKE 'pg\\_%%'""",
        (state.BOOKKEEPING_SCHEMA,),
    ).fetchone()
    return bool(row and row[0])


def _created_by_relc(conn: psycopg.Connection, database: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM relc.provisioned_objects WHERE kind = 'database' AND name = %s", (database,)
    ).fetchone()
    return row is not None
