"""Bookkeeping in each tenant database: schema ``relc`` with the schema registry and the migration history.

``relc.schema_registry`` is the seed's table (service, schema_name, current_version, desired_version, status)
plus the reason for a failed/blocked status and retention_expires_at (seed section 6.1).
``relc.migration_history`` has one row per file per schema per direction: the exactly-once guarantee for
transactional files is that the ``applied`` row is inserted in the same transaction as the file's statements;
a partial unique index makes a second ``applied``/``applying`` row for one file impossible.

Every change is additive (CREATE ... IF NOT EXISTS, ADD COLUMN IF NOT EXISTS) because several relc-migrate
versions may run against one database while Release Candidates coexist.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from relc_migrate.errors import DatabaseError

BOOKKEEPING_SCHEMA: Final = "relc"
#: advisory lock namespace (pg_try_advisory_xact_lock(int, int)) that serialises bookkeeping DDL
BOOKKEEPING_LOCK: Final = (0x72656C63, 0)

Status = Literal["pending", "migrating", "complete", "failed", "blocked"]

DDL: Final = (
    "CREATE SCHEMA IF NOT EXISTS relc",
    """CREATE TABLE IF NOT EXISTS relc.schema_registry (
        schema_name          text PRIMARY KEY,
        service              text NOT NULL,
        current_version      text,
        desired_version      text,
        status               text NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'migrating', 'complete', 'failed', 'blocked')),
        status_reason        text,
        retention_expires_at timestamptz,
        last_migrated_at     timestamptz,
        updated_at           timestamptz NOT NULL DEFAULT now()
    )""",
    """CREATE TABLE IF NOT EXISTS relc.migration_history (
        id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id                 text NOT NULL,
        service                text NOT NULL,
        schema_name            text NOT NULL,
        version                text NOT NULL,
        file                   text NOT NULL,
        direction              text NOT NULL CHECK (direction IN ('up', 'down', 'init')),
        state                  text NOT NULL
            CHECK (state IN ('applying', 'applied', 'failed', 'rolled_back')),
        no_transaction         boolean NOT NULL DEFAULT false,
        checksum               text NOT NULL,
        checksum_normalisation text NOT NULL,
        statements_total       integer NOT NULL DEFAULT 0,
        statements_applied     integer NOT NULL DEFAULT 0,
        rollback_sql           text,
        error                  text,
        failing_statement      text,
        started_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
        finished_at            timestamptz,
        duration_ms            double precision,
        run_by_image           text,
        run_by_job             text
    )""",
    """CREATE UNIQUE INDEX IF NOT EXISTS migration_history_once
        ON relc.migration_history (schema_name, file)
        WHERE direction IN ('up', 'init') AND state IN ('applying', 'applied')""",
    """CREATE TABLE IF NOT EXISTS relc.provisioned_objects (
        kind       text NOT NULL CHECK (kind IN ('database', 'schema')),
        name       text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (kind, name)
    )""",
    """CREATE TABLE IF NOT EXISTS relc.deletion_request (
        singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        mode         text NOT NULL CHECK (mode IN ('retained', 'immediate', 'manual')),
        requested_at timestamptz NOT NULL DEFAULT now(),
        purge_after  timestamptz
    )""",
    # who the database belongs to: written once by provision, checked by every command before it works
    # (deprovision drops nothing without it); ``database`` catches a record cloned from a template
    """CREATE TABLE IF NOT EXISTS relc.owner (
        singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        tenant      text NOT NULL,
        database    text NOT NULL,
        country     text,
        recorded_at timestamptz NOT NULL DEFAULT now()
    )""",
    # a file recorded by ``baseline``: its objects existed before relc-migrate, it was never run
    "ALTER TABLE relc.migration_history ADD COLUMN IF NOT EXISTS baselined boolean NOT NULL DEFAULT false",
    # baseline and repair change the history by hand: each leaves a row saying who, why and what
    """CREATE TABLE IF NOT EXISTS relc.audit (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        action      text NOT NULL CHECK (action IN ('baseline', 'repair-checksum', 'repair-remove-failed')),
        schema_name text NOT NULL,
        detail      text NOT NULL,
        reason      text NOT NULL,
        run_by_job  text,
        run_by_image text,
        at          timestamptz NOT NULL DEFAULT now()
    )""",
)
#: The object DDL creates last: present means every earlier one is (the fast path of ensure_bookkeeping).
LAST_BOOKKEEPING_OBJECT: Final = "relc.audit"


def ensure_bookkeeping(conn: psycopg.Connection, wait_seconds: float = 30.0) -> None:
    """Create the bookkeeping objects if missing; concurrent runners (other services) serialise on a lock.

    The fast path is a catalog lookup, so the lock is only contended on a fresh database.
    """
    if bookkeeping_present(conn):
        return
    deadline = time.monotonic() + wait_seconds
    while True:
        with conn.transaction():
            got = conn.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", BOOKKEEPING_LOCK).fetchone()
            if got is not None and got[0]:
                conn.execute(";\n".join(DDL))  # constants, never user input: one round trip for all of them
                return
        if time.monotonic() > deadline:
            raise DatabaseError("timed out waiting for another runner creating relc's bookkeeping tables")
        time.sleep(0.05)


def bookkeeping_present(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (LAST_BOOKKEEPING_OBJECT,)).fetchone()
    return bool(row and row[0])


@dataclass(frozen=True, slots=True)
class RegistryRow:
    schema_name: str
    service: str
    current_version: str | None
    desired_version: str | None
    status: str
    status_reason: str | None
    last_migrated_at: str | None
    retention_expires_at: str | None

    def as_json(self) -> dict[str, str | None]:
        return {
            "schema": self.schema_name,
            "service": self.service,
            "current_version": self.current_version,
            "desired_version": self.desired_version,
            "status": self.status,
            "reason": self.status_reason,
            "last_migrated_at": self.last_migrated_at,
            "retention_expires_at": self.retention_expires_at,
        }


def register_schema(conn: psycopg.Connection, schema: str, service: str, *, if_exists: bool = False) -> None:
    """A ``pending`` row for a schema, if it has none yet (``if_exists``: only if the schema itself exists)."""
    if not if_exists:
        conn.execute(
            "INSERT INTO relc.schema_registry (schema_name, service) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (schema, service),
        )
        return
    conn.execute(
        """INSERT INTO relc.schema_registry (schema_name, service)
           SELECT %(schema)s::text, %(service)s::text
           WHERE EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %(schema)s::text)
           ON CONFLICT DO NOTHING""",
        {"schema": schema, "service": service},
    )


_ROW_COLUMNS: Final = """schema_name, service, current_version, desired_version, status, status_reason,
                      to_char(last_migrated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                      to_char(retention_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


class _SchemaRows:
    """The pending result of :func:`schemas_with_rows` (usable inside a pipeline: fetched when asked)."""

    def __init__(self, cursor: psycopg.Cursor[tuple[object, ...]]) -> None:
        self._cursor = cursor

    def fetchall(self) -> list[tuple[str, bool, RegistryRow | None]]:
        return [
            (str(row[0]), bool(row[1]), RegistryRow(*row[2:]) if row[2] is not None else None)  # type: ignore[arg-type]
            for row in self._cursor.fetchall()
        ]


def schemas_with_rows(conn: psycopg.Connection, schemas: Sequence[str]) -> _SchemaRows:
    """For each of ``schemas``: (name, whether it exists, its registry row or None), in one query."""
    query = f"""SELECT s.name, n.oid IS NOT NULL, {_ROW_COLUMNS}
                FROM unnest(%s::text[]) WITH ORDINALITY AS s(name, position)
                LEFT JOIN pg_namespace n ON n.nspname = s.name
                LEFT JOIN relc.schema_registry r ON r.schema_name = s.name
                ORDER BY s.position"""
    return _SchemaRows(conn.execute(query, (list(schemas),)))


def registry_rows(conn: psycopg.Connection, service: str | None = None) -> list[RegistryRow]:
    query = f"""SELECT {_ROW_COLUMNS}
               FROM relc.schema_registry WHERE %(service)s::text IS NULL OR service = %(service)s
               ORDER BY service, schema_name"""
    return [RegistryRow(*row) for row in conn.execute(query, {"service": service}).fetchall()]


def set_status(
    conn: psycopg.Connection,
    schema: str,
    status: Status,
    *,
    reason: str | None = None,
    desired: str | None = None,
    current: str | None = None,
) -> None:
    """Move a schema's registry row; ``current`` is only written on completion (and clears the reason)."""
    conn.execute(
        """UPDATE relc.schema_registry
           SET status = %(status)s, status_reason = %(reason)s,
               desired_version = coalesce(%(desired)s, desired_version),
               current_version = coalesce(%(current)s, current_version),
               last_migrated_at = CASE WHEN %(status)s = 'complete' THEN now() ELSE last_migrated_at END,
               updated_at = now()
           WHERE schema_name = %(schema)s""",
        {"status": status, "reason": reason, "desired": desired, "current": current, "schema": schema},
    )


@dataclass(frozen=True, slots=True)
class HistoryRow:
    id: int
    file: str
    version: str
    direction: str
    state: str
    checksum: str
    no_transaction: bool
    statements_total: int
    statements_applied: int
    rollback_sql: str | None
    error: str | None


def applied_files(conn: psycopg.Connection, schema: str) -> dict[str, HistoryRow]:
    """Files currently applied to ``schema`` (up or init, state applied), by file name."""
    return applied_files_of(conn, [schema])[schema]


def applied_files_of(conn: psycopg.Connection, schemas: Sequence[str]) -> dict[str, dict[str, HistoryRow]]:
    """:func:`applied_files` of each of ``schemas``, in one query."""
    rows = conn.execute(
        """SELECT schema_name, id, file, version, direction, state, checksum, no_transaction, statements_total,
                  statements_applied, rollback_sql, error
           FROM relc.migration_history
           WHERE schema_name = ANY(%s) AND direction IN ('up', 'init') AND state = 'applied'""",
        (list(schemas),),
    ).fetchall()
    found: dict[str, dict[str, HistoryRow]] = {schema: {} for schema in schemas}
    for row in rows:
        found[row[0]][row[2]] = HistoryRow(*row[1:])
    return found


def resumable_file(conn: psycopg.Connection, schema: str, file: str) -> HistoryRow | None:
    """The newest unfinished no-transaction attempt of ``file`` (applying after a crash, or failed)."""
    row = conn.execute(
        """SELECT id, file, version, direction, state, checksum, no_transaction, statements_total,
                  statements_applied, rollback_sql, error
           FROM relc.migration_history
           WHERE schema_name = %s AND file = %s AND direction = 'up' AND no_transaction
             AND state IN ('applying', 'failed')
           ORDER BY id DESC LIMIT 1""",
        (schema, file),
    ).fetchone()
    return HistoryRow(*row) if row else None


@dataclass(frozen=True, slots=True)
class Attempt:
    """Who and what a history row describes (everything but the outcome)."""

    run_id: str
    service: str
    schema: str
    version: str
    file: str
    direction: Literal["up", "down", "init"]
    checksum: str
    normalisation: str
    no_transaction: bool
    statements_total: int
    rollback_sql: str | None
    image: str | None
    job: str | None


def insert_history(
    conn: psycopg.Connection,
    attempt: Attempt,
    state: str,
    *,
    applied: int,
    started: float,
    error: str | None = None,
    failing_statement: str | None = None,
) -> int:
    """One history row; ``started`` is a time.monotonic() value used for the duration."""
    duration_ms = (time.monotonic() - started) * 1000
    finished = state != "applying"
    row = conn.execute(
        """INSERT INTO relc.migration_history
             (run_id, service, schema_name, version, file, direction, state, no_transaction, checksum,
              checksum_normalisation, statements_total, statements_applied, rollback_sql, error,
              failing_statement, finished_at, duration_ms, run_by_image, run_by_job)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                   CASE WHEN %s THEN clock_timestamp() END, %s, %s, %s)
           RETURNING id""",
        (
            attempt.run_id, attempt.service, attempt.schema, attempt.version, attempt.file,
            attempt.direction, state, attempt.no_transaction, attempt.checksum, attempt.normalisation,
            attempt.statements_total, applied, attempt.rollback_sql, error, failing_statement,
            finished, duration_ms if finished else None, attempt.image, attempt.job,
        ),
    ).fetchone()  # fmt: skip
    if row is None:
        raise DatabaseError("INSERT ... RETURNING returned no row")
    return int(row[0])


def update_history(
    conn: psycopg.Connection,
    row_id: int,
    state: str,
    *,
    applied: int,
    error: str | None = None,
    failing_statement: str | None = None,
) -> None:
    """Progress of a no-transaction file (autocommit: it survives a crash), or its final state."""
    conn.execute(
        """UPDATE relc.migration_history
           SET state = %s, statements_applied = %s, error = %s, failing_statement = %s,
               finished_at = CASE WHEN %s <> 'applying' THEN clock_timestamp() END,
               duration_ms = CASE WHEN %s <> 'applying'
                   THEN extract(epoch FROM clock_timestamp() - started_at) * 1000 END
           WHERE id = %s""",
        (state, applied, error, failing_statement, state, state, row_id),
    )


def mark_rolled_back(conn: psycopg.Connection, row_id: int) -> None:
    conn.execute("UPDATE relc.migration_history SET state = 'rolled_back' WHERE id = %s", (row_id,))


def history(conn: psycopg.Connection, schema: str) -> list[dict[str, object]]:
    """The full history of a schema, oldest first (status --history, tests)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """SELECT id, file, version, direction, state, statements_applied, statements_total, error,
                      failing_statement, run_by_job, run_by_image, checksum
               FROM relc.migration_history WHERE schema_name = %s ORDER BY id""",
            (schema,),
        )
        return list(cur.fetchall())


def schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is not None


def ident(name: str) -> sql.Identifier:
    """A quoted identifier: every object name goes through here, never through string formatting."""
    return sql.Identifier(name)
