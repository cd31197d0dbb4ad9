"""The tenant's own login role and what it may do: the least privilege its migrations need, granted by provision.

The model (README, "relc-migrate: privilege model"):

- One LOGIN role per tenant (``relc_contract.tenant_role``), with no SUPERUSER, CREATEDB, CREATEROLE, REPLICATION
  or BYPASSRLS, and NOINHERIT: it cannot make roles or databases, nor act as any role it might be granted.
- The tenant's databases (main and country ones) stay OWNED by the admin that created them; ``PUBLIC`` loses
  CONNECT and TEMPORARY on them and the tenant role alone gets them: no other tenant's role can even connect.
- The tenant's schemas (and everything already in them) are OWNED by the tenant role, so its migrations run any
  DDL there (CREATE TABLE, ALTER, CREATE INDEX, DROP, ...) as that role.
- relc's bookkeeping schema stays the admin's: the tenant role may read it and write only what a migration run
  records (rows of ``schema_registry`` and ``migration_history``, and ``audit`` rows of a baseline); it cannot
  alter or drop those tables, nor touch ``owner``, ``provisioned_objects`` or ``deletion_request`` (what
  deprovision relies on to prove what it may drop). Deleting history (``repair`` of failed entries) is an
  operator's act with the admin's credentials.

Why connect as the role rather than connect as admin and ``SET ROLE`` for the DDL: a migration file is SQL, and
SQL can say ``RESET ROLE``. Only a session that never was the admin keeps a migration inside its tenant.
"""

from __future__ import annotations

from typing import Final

import psycopg
from psycopg import sql

from relc_migrate.errors import DatabaseError
from relc_migrate.state import BOOKKEEPING_SCHEMA

ROLE_ATTRIBUTES: Final = sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT")
#: What a CREATEROLE (non-superuser) admin may set on an existing role.
CREATEROLE_ATTRIBUTES: Final = sql.SQL("LOGIN NOCREATEDB NOCREATEROLE NOINHERIT")

#: The bookkeeping tables a migration run writes (INSERT, UPDATE); every other relc table is read-only to it.
WRITABLE_BOOKKEEPING: Final = ("schema_registry", "migration_history")
#: ... and the one it may only append to (baseline leaves an audit row).
APPEND_ONLY_BOOKKEEPING: Final = ("audit",)


def _fail(what: str, err: psycopg.Error) -> DatabaseError:
    return DatabaseError(f"cannot {what}: {err.diag.message_primary or type(err).__name__}")


def ensure_role(conn: psycopg.Connection, role: str) -> bool:
    """Create the tenant's role if missing (True), else reset its attributes to the model's (a role someone
    made CREATEDB by hand loses it). No password here: credentials.py sets it after Vault holds it.

    A non-superuser admin (CREATEROLE, as managed services give) may not even *name* SUPERUSER, REPLICATION or
    BYPASSRLS in ALTER ROLE on PostgreSQL 15, so an existing role is altered with the other attributes only, and
    one that has any of those three is refused: only a superuser can take them away.
    """
    ident = sql.Identifier(role)
    superuser = _is_superuser(conn)
    row = conn.execute(
        "SELECT rolsuper OR rolreplication OR rolbypassrls FROM pg_roles WHERE rolname = %s", (role,)
    ).fetchone()
    try:
        if row is None:
            conn.execute(sql.SQL("CREATE ROLE {} {}").format(ident, ROLE_ATTRIBUTES))
        elif superuser:
            conn.execute(sql.SQL("ALTER ROLE {} {}").format(ident, ROLE_ATTRIBUTES))
        elif row[0]:
            raise DatabaseError(
                f"the tenant role {role} has SUPERUSER, REPLICATION or BYPASSRLS, which only a superuser can remove; "
                "refusing to hand the tenant's schemas to it"
            )
        else:
            conn.execute(sql.SQL("ALTER ROLE {} {}").format(ident, CREATEROLE_ATTRIBUTES))
    except psycopg.errors.DuplicateObject:  # a concurrent provisioning Job of the same tenant created it
        return ensure_role(conn, role)
    except psycopg.Error as err:
        raise _fail(f"create or alter the tenant role {role}", err) from None
    if not superuser:
        # a non-superuser admin may only hand a schema to a role it is a member of; PostgreSQL 15 does not make
        # the creator one by itself
        try:
            conn.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(ident))
        except psycopg.Error as err:
            raise _fail(f"grant {role} to the admin role", err) from None
    return row is None


def _is_superuser(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    return bool(row and row[0])


def lock_down_database(conn: psycopg.Connection, database: str, role: str) -> None:
    """Only ``role`` (and the admin, its owner) may connect to ``database`` or create temporary tables in it."""
    db_ident, role_ident = sql.Identifier(database), sql.Identifier(role)
    try:
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(db_ident))
        conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(db_ident, role_ident))
    except psycopg.Error as err:
        raise _fail(f"restrict access to database {database}", err) from None


def hand_back_database(conn: psycopg.Connection, database: str, role: str) -> None:
    """Undo :func:`lock_down_database` for a database deprovision keeps: PUBLIC gets PostgreSQL's defaults
    (CONNECT, TEMPORARY) back and the tenant's role loses its grants, as if relc had never been there."""
    db_ident = sql.Identifier(database)
    conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO PUBLIC").format(db_ident))
    if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None:
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM {}").format(db_ident, sql.Identifier(role)))


def grant_bookkeeping(conn: psycopg.Connection, role: str) -> None:
    """Read relc's bookkeeping, write the rows a migration run records; nothing else (see the module doc)."""
    schema, role_ident = sql.Identifier(BOOKKEEPING_SCHEMA), sql.Identifier(role)

    def tables(names: tuple[str, ...]) -> sql.Composable:
        return sql.SQL(", ").join(sql.Identifier(BOOKKEEPING_SCHEMA, name) for name in names)

    conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(schema))
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, role_ident))
    conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, role_ident))
    conn.execute(sql.SQL("GRANT INSERT, UPDATE ON {} TO {}").format(tables(WRITABLE_BOOKKEEPING), role_ident))
    conn.execute(sql.SQL("GRANT INSERT ON {} TO {}").format(tables(APPEND_ONLY_BOOKKEEPING), role_ident))


_FOREIGN_OBJECTS: Final = """
    SELECT 'TABLE', format('%%I.%%I', n.nspname, c.relname) FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relowner <> %(role)s::regrole
    UNION ALL
    SELECT 'SEQUENCE', format('%%I.%%I', n.nspname, c.relname) FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = %(schema)s AND c.relkind = 'S' AND c.relowner <> %(role)s::regrole
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
           p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = %(schema)s AND p.proowner <> %(role)s::regrole
    UNION ALL
    SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype::text FROM pg_type t
      JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = %(schema)s AND t.typowner <> %(role)s::regrole AND t.typtype IN ('e', 'd', 'r')
    ORDER BY 1, 2"""


def hand_over_schema(conn: psycopg.Connection, schema: str, role: str) -> int:
    """Make ``role`` the owner of ``schema`` and of what is already in it (tables, views, stand-alone sequences,
    routines, types; indexes and owned sequences follow their table): a schema an older relc-migrate filled as
    admin stays migratable by the tenant. Returns how many objects changed owner."""
    role_ident = sql.Identifier(role)
    try:
        conn.execute(sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(sql.Identifier(schema), role_ident))
        found = conn.execute(_FOREIGN_OBJECTS, {"schema": schema, "role": role}).fetchall()
        for kind, name in found:  # names come quoted from the catalog (format %I, regprocedure, regtype)
            conn.execute(sql.SQL("ALTER {} {} OWNER TO {}").format(sql.SQL(kind), sql.SQL(name), role_ident))
    except psycopg.Error as err:
        raise _fail(f"hand schema {schema} over to {role}", err) from None
    return len(found)


def set_password_verifier(conn: psycopg.Connection, role: str, password: str) -> None:
    """Set ``role``'s password as a SCRAM-SHA-256 verifier computed here (libpq's PQencryptPasswordConn): the
    cleartext never reaches the server, so no statement log or pg_stat_statements can hold it."""
    verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
    try:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(verifier)))
    except psycopg.Error as err:
        raise _fail(f"set the password of {role}", err) from None


def drop_role_if_unused(conn: psycopg.Connection, role: str) -> bool:
    """Drop the tenant's role once nothing on the server depends on it (its last database is gone); False while
    another database still holds its objects or grants."""
    try:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
    except psycopg.errors.DependentObjectsStillExist:
        return False
    return True
