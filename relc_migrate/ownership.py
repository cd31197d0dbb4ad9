"""Whose database is this? The checks every command runs before it works in a tenant database.

Three layers, cheapest first: the name must derive from the tenant (``relc_contract.tenant_database_country``,
no connection); the catalog must not call it a template, a database nobody may connect to, or the maintenance
database the DSN names (one query on a connection that does no work); and inside the database, ``relc.owner``
(written once by ``provision``) must name this tenant and this database. Names alone cannot prove ownership:
tenant ``acme-de``'s main database and tenant ``acme``'s ``de`` database are both ``tenant_acme_de``.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from relc_migrate.errors import UsageError


@dataclass(frozen=True, slots=True)
class Owner:
    tenant: str
    database: str
    country: str | None


def refuse_special(conn: psycopg.Connection, database: str, maintenance: str | None) -> bool:
    """UsageError if ``database`` is a template, refuses connections or is the maintenance database; else
    whether it exists. ``conn`` may be any connection to the server (the catalog is shared)."""
    row = conn.execute("SELECT datistemplate, datallowconn FROM pg_database WHERE datname = %s", (database,)).fetchone()
    if database == maintenance:
        raise UsageError(f"database {database!r} is the maintenance database of the connection string; refusing")
    if row is None:
        return False
    if row[0] or not row[1]:
        raise UsageError(f"database {database!r} is a template database; relc-migrate never works in it")
    return True


def recorded_owner(conn: psycopg.Connection) -> Owner | None:
    """The ownership record of the connected database, or None (not provisioned by this relc-migrate)."""
    present = conn.execute("SELECT to_regclass('relc.owner') IS NOT NULL").fetchone()
    if not (present and present[0]):
        return None
    row = conn.execute("SELECT tenant, database, country FROM relc.owner").fetchone()
    return Owner(row[0], row[1], row[2]) if row else None


def verify(conn: psycopg.Connection, tenant: str, database: str) -> Owner:
    """The record naming ``tenant`` and ``database``, or UsageError saying why this run must not touch it."""
    owner = recorded_owner(conn)
    if owner is None:
        raise UsageError(
            f"{database} has no relc ownership record (relc.owner): relc-migrate did not provision it for "
            f"{tenant}; refusing to touch it (run relc-migrate provision --tenant {tenant} first)"
        )
    _match(owner, tenant, database)
    return owner


def claim(conn: psycopg.Connection, tenant: str, database: str, country: str | None) -> None:
    """Record ``tenant`` as the owner (first provision), or check the record already there names it."""
    conn.execute(
        "INSERT INTO relc.owner (tenant, database, country) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (tenant, database, country),
    )
    owner = recorded_owner(conn)
    if owner is None:  # pragma: no cover  (inserted just above, in the same session)
        raise UsageError(f"{database}: the ownership record vanished while provisioning")
    _match(owner, tenant, database)


def _match(owner: Owner, tenant: str, database: str) -> None:
    if owner.database != database:
        raise UsageError(
            f"{database}'s ownership record names database {owner.database} (copied from a template?); refusing"
        )
    if owner.tenant != tenant:
        raise UsageError(f"{database} belongs to tenant {owner.tenant}, not {tenant}; refusing to touch it")
