"""Connections: building conninfo from the secret DSN, application names, and mapping connect failures.

The DSN is read from a file or the environment by cli.py and handed down as an opaque string; it is never
logged, and only ``safe_target`` (host/port/database, no user or password) ever appears in a message.
"""

from __future__ import annotations

import psycopg
from psycopg import conninfo

from relc_migrate.errors import DatabaseError

APP_PREFIX = "relc-migrate"


def connect(dsn: str, dbname: str | None, purpose: str, *, autocommit: bool = True) -> psycopg.Connection:
    """Open a connection to ``dbname`` (the DSN's own database when None) tagged with ``purpose``.

    ``application_name`` is ``relc-migrate:<purpose>`` so pg_stat_activity shows which runner and role
    (lock, migrate, slots) a backend belongs to; crash recovery relies on it.
    """
    params: dict[str, str] = {"application_name": f"{APP_PREFIX}:{purpose}"[:63], "connect_timeout": "10"}
    if dbname is not None:
        params["dbname"] = dbname
    try:
        info = conninfo.make_conninfo(dsn, **params)
        return psycopg.connect(info, autocommit=autocommit)
    except psycopg.OperationalError as err:
        raise DatabaseError(f"cannot connect to {safe_target(dsn, dbname)}: {_first_line(err)}") from None
    except psycopg.ProgrammingError as err:
        raise DatabaseError(f"the database connection string is invalid: {_first_line(err)}") from None


def safe_target(dsn: str, dbname: str | None) -> str:
    """host:port/dbname of a DSN, without user or password, for messages."""
    try:
        parts = conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "the configured server"
    host = parts.get("host") or "localhost"
    return f"{host}:{parts.get('port') or 5432}/{dbname or parts.get('dbname') or ''}"


def libpq_environment(dsn: str, dbname: str | None) -> dict[str, str]:
    """The DSN as PG* environment variables, for pg_dump: credentials never go on a command line."""
    keys = {
        "host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "user": "PGUSER",
        "password": "PGPASSWORD", "passfile": "PGPASSFILE", "sslmode": "PGSSLMODE",
        "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
        "connect_timeout": "PGCONNECT_TIMEOUT", "dbname": "PGDATABASE",
    }  # fmt: skip
    parts = {k: str(v) for k, v in conninfo.conninfo_to_dict(dsn).items() if v is not None}
    if dbname is not None:
        parts["dbname"] = dbname
    return {keys[k]: v for k, v in parts.items() if k in keys}


def maintenance_database(dsn: str) -> str | None:
    """The database the DSN itself names (libpq defaults it to the user name): relc-migrate's maintenance
    database, from which it creates tenant databases and in which it never works. None when neither is set."""
    try:
        parts = conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return None
    name = parts.get("dbname") or parts.get("user")
    return str(name) if name else None


def database_exists(conn: psycopg.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
