"""Running one file: one transaction per file, or statement by statement for no-transaction files.

Transactional file: its statements and its ``applied`` history row commit together, so after a kill -9 the
file is either wholly applied and recorded, or not at all. No-transaction file (CREATE INDEX CONCURRENTLY
...): progress is committed after every statement; a crashed run is resumed at the statement in flight, after
dropping INVALID indexes it left behind, and lint requires those statements to be re-runnable
(IF [NOT] EXISTS). Lock timeouts are retried with a jittered backoff; SIGTERM cancels the statement in flight
and the transaction rolls back.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from relc_migrate import state
from relc_migrate.errors import Interrupted, MigrationFailed
from relc_migrate.files import (
    CHECKSUM_NORMALISATION,
    INIT_DATA_FILE,
    InitData,
    MigrationFile,
    Statement,
    split_statements,
)
from relc_migrate.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Limits:
    lock_timeout_ms: int
    statement_timeout_ms: int
    lock_retries: int


class StatementFailed(Exception):
    """A statement failed; carries what the history row and the error message need."""

    def __init__(self, statement: str, error: str, applied: int) -> None:
        self.statement, self.error, self.applied = statement, error, applied
        super().__init__(error)


def _configure(conn: psycopg.Connection, schema: str, limits: Limits, *, local: bool) -> None:
    """search_path to the target schema only, and the timeouts (transaction-local or for the session)."""
    search_path = sql.Identifier(schema).as_string(conn)
    conn.execute(
        "SELECT set_config('search_path', %s, %s), set_config('lock_timeout', %s, %s), "
        "set_config('statement_timeout', %s, %s)",
        (search_path, local, f"{limits.lock_timeout_ms}ms", local, f"{limits.statement_timeout_ms}ms", local),
    )  # fmt: skip


def _reset_session(conn: psycopg.Connection) -> None:
    conn.execute("RESET search_path")
    conn.execute("RESET lock_timeout")
    conn.execute("RESET statement_timeout")


def run_statement(conn: psycopg.Connection, rt: Runtime, file: str, index: int, statement: Statement) -> None:
    """Execute one statement (index is 1-based), honouring SIGTERM.

    The kill tests wrap this function (tests/migrate/paused_runner.py) to pause after a given statement of a
    given file, which is why it takes ``file`` and ``index``; the shipped program has no such hook.
    """
    rt.stop.check()
    conn.execute(statement.sql.encode("utf-8"))


def _error_text(err: psycopg.Error) -> str:
    diag = err.diag
    text = diag.message_primary or str(err).strip().splitlines()[0]
    return f"{diag.sqlstate or ''} {text}".strip()


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0.1, 0.5) * attempt)


def in_transaction(
    conn: psycopg.Connection,
    rt: Runtime,
    schema: str,
    file: str,
    statements: Sequence[Statement],
    limits: Limits,
    finish: Callable[[int], None],
) -> None:
    """Run ``statements`` and ``finish(count)`` in one transaction, retrying lock timeouts."""
    for attempt in range(1, limits.lock_retries + 2):
        done = 0
        try:
            with conn.transaction():
                _configure(conn, schema, limits, local=True)
                for index, statement in enumerate(statements, start=1):
                    run_statement(conn, rt, file, index, statement)
                    done = index
                finish(done)
            return
        except pg_errors.LockNotAvailable as err:
            if attempt > limits.lock_retries:
                raise StatementFailed(statements[done].sql, _error_text(err), done) from None
            _backoff(attempt)
        except pg_errors.QueryCanceled as err:
            rt.stop.check()
            raise StatementFailed(statements[done].sql, _error_text(err), done) from None
        except psycopg.Error as err:
            failing = statements[done].sql if done < len(statements) else "(bookkeeping)"
            raise StatementFailed(failing, _error_text(err), done) from None


def outside_transaction(
    conn: psycopg.Connection,
    rt: Runtime,
    schema: str,
    file: str,
    statements: Sequence[Statement],
    limits: Limits,
    start: int,
    progress: Callable[[int], None],
) -> None:
    """Run statements ``start``.. one by one in autocommit, calling ``progress(done)`` after each."""
    _configure(conn, schema, limits, local=False)
    try:
        for index in range(start, len(statements)):
            statement = statements[index]
            for attempt in range(1, limits.lock_retries + 2):
                try:
                    run_statement(conn, rt, file, index + 1, statement)
                    break
                except pg_errors.LockNotAvailable as err:
                    if attempt > limits.lock_retries:
                        raise StatementFailed(statement.sql, _error_text(err), index) from None
                    _backoff(attempt)
                except pg_errors.QueryCanceled as err:
                    if rt.stop.requested:
                        raise StatementFailed(statement.sql, "interrupted by SIGTERM", index) from None
                    raise StatementFailed(statement.sql, _error_text(err), index) from None
                except Interrupted:
                    raise StatementFailed(statement.sql, "interrupted by SIGTERM", index) from None
                except psycopg.Error as err:
                    raise StatementFailed(statement.sql, _error_text(err), index) from None
            progress(index + 1)
    finally:
        if not conn.closed and not conn.broken:
            _reset_session(conn)


def drop_invalid_indexes(conn: psycopg.Connection, schema: str) -> list[str]:
    """Drop INVALID indexes an interrupted CREATE INDEX CONCURRENTLY left in ``schema``; their names."""
    names = [
        row[0]
        for row in conn.execute(
            """SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND NOT i.indisvalid""",
            (schema,),
        ).fetchall()
    ]
    for name in names:
        conn.execute(
            sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}.{}").format(sql.Identifier(schema), sql.Identifier(name))
        )
    return names


@dataclass(frozen=True, slots=True)
class Who:
    """The run a history row belongs to."""

    run_id: str
    service: str
    image: str | None
    job: str | None


def attempt_for(who: Who, schema: str, file: MigrationFile) -> state.Attempt:
    return state.Attempt(
        run_id=who.run_id, service=who.service, schema=schema, version=file.version_text, file=file.name,
        direction="up", checksum=file.checksum, normalisation=CHECKSUM_NORMALISATION,
        no_transaction=file.no_transaction, statements_total=len(file.up), rollback_sql=file.down_sql,
        image=who.image, job=who.job,
    )  # fmt: skip


def apply_file(
    conn: psycopg.Connection, rt: Runtime, who: Who, schema: str, file: MigrationFile, limits: Limits
) -> bool:
    """Apply one file to ``schema``; True when it resumed an interrupted no-transaction attempt."""
    attempt = attempt_for(who, schema, file)
    started = time.monotonic()
    if file.no_transaction:
        return _apply_no_transaction(conn, rt, schema, file, attempt, limits, started)

    def finish(done: int) -> None:
        state.insert_history(conn, attempt, "applied", applied=done, started=started)

    try:
        in_transaction(conn, rt, schema, file.name, file.up, limits, finish)
    except StatementFailed as err:
        state.insert_history(
            conn, attempt, "failed", applied=err.applied, started=started, error=err.error,
            failing_statement=err.statement,
        )  # fmt: skip
        raise MigrationFailed(file.display, err.statement, err.error) from None
    return False


def _apply_no_transaction(
    conn: psycopg.Connection,
    rt: Runtime,
    schema: str,
    file: MigrationFile,
    attempt: state.Attempt,
    limits: Limits,
    started: float,
) -> bool:
    resume = state.resumable_file(conn, schema, file.name)
    start = 0
    if resume is not None:
        start = resume.statements_applied
        row_id = resume.id
        drop_invalid_indexes(conn, schema)
        state.update_history(conn, row_id, "applying", applied=start)
    else:
        row_id = state.insert_history(conn, attempt, "applying", applied=0, started=started)
    try:
        outside_transaction(
            conn, rt, schema, file.name, file.up, limits, start,
            lambda done: state.update_history(conn, row_id, "applying", applied=done),
        )  # fmt: skip
    except StatementFailed as err:
        state.update_history(
            conn, row_id, "failed", applied=err.applied, error=err.error, failing_statement=err.statement
        )
        rt.stop.check()
        raise MigrationFailed(file.display, err.statement, err.error) from None
    state.update_history(conn, row_id, "applied", applied=len(file.up))
    return resume is not None


def revert_file(
    conn: psycopg.Connection, rt: Runtime, who: Who, schema: str, row: state.HistoryRow, limits: Limits
) -> None:
    """Run the ROLLBACK section stored when ``row`` was applied (the running image may lack the file)."""
    statements, findings = split_statements(row.rollback_sql or "", row.file, 1)
    if findings:
        raise MigrationFailed(row.file, "(ROLLBACK section)", findings[0].message)
    started = time.monotonic()
    attempt = state.Attempt(
        run_id=who.run_id, service=who.service, schema=schema, version=row.version, file=row.file,
        direction="down", checksum=row.checksum, normalisation=CHECKSUM_NORMALISATION,
        no_transaction=row.no_transaction, statements_total=len(statements), rollback_sql=None,
        image=who.image, job=who.job,
    )  # fmt: skip

    def finish(done: int) -> None:
        state.mark_rolled_back(conn, row.id)
        state.insert_history(conn, attempt, "applied", applied=done, started=started)

    try:
        if row.no_transaction:
            outside_transaction(conn, rt, schema, row.file, statements, limits, 0, lambda done: None)
            with conn.transaction():
                finish(len(statements))
        else:
            in_transaction(conn, rt, schema, row.file, statements, limits, finish)
    except StatementFailed as err:
        state.insert_history(
            conn, attempt, "failed", applied=err.applied, started=started, error=err.error,
            failing_statement=err.statement,
        )  # fmt: skip
        rt.stop.check()
        raise MigrationFailed(f"{who.service}/{row.file} (ROLLBACK)", err.statement, err.error) from None


def apply_init_data(
    conn: psycopg.Connection, rt: Runtime, who: Who, schema: str, init: InitData, version: str, limits: Limits
) -> None:
    """Apply init_data.sql once, in one transaction with its history row."""
    started = time.monotonic()
    attempt = state.Attempt(
        run_id=who.run_id, service=who.service, schema=schema, version=version, file=INIT_DATA_FILE,
        direction="init", checksum=init.checksum, normalisation=CHECKSUM_NORMALISATION, no_transaction=False,
        statements_total=len(init.statements), rollback_sql=None, image=who.image, job=who.job,
    )  # fmt: skip

    def finish(done: int) -> None:
        state.insert_history(conn, attempt, "applied", applied=done, started=started)

    try:
        in_transaction(conn, rt, schema, INIT_DATA_FILE, init.statements, limits, finish)
    except StatementFailed as err:
        state.insert_history(
            conn, attempt, "failed", applied=err.applied, started=started, error=err.error,
            failing_statement=err.statement,
        )  # fmt: skip
        raise MigrationFailed(init.display, err.statement, err.error) from None
