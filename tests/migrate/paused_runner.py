"""Test-only relc-migrate runner that pauses mid-file, so kill -9 and SIGTERM land deterministically.

    python -m tests.migrate.paused_runner FILE:N[:SECONDS] <relc-migrate arguments>

After statement N (1-based) of migration file FILE the runner sleeps in the database (``SELECT pg_sleep``,
60 s unless SECONDS says otherwise), where a test sees it in pg_stat_activity before it signals the process.
The shipped relc-migrate has no such hook: this wrapper replaces ``relc_migrate.execute.run_statement`` in its
own process and then runs relc-migrate's real entry point with the remaining arguments.
"""

from __future__ import annotations

import sys

import psycopg

from relc_migrate import execute
from relc_migrate.cli import main
from relc_migrate.files import Statement
from relc_migrate.runtime import Runtime


def install_pause(spec: str) -> None:
    """``FILE:N[:SECONDS]``: sleep in the database after statement N of FILE."""
    parts = spec.split(":")
    target, number = parts[0], int(parts[1])
    seconds = float(parts[2]) if len(parts) > 2 else 60.0
    run = execute.run_statement

    def run_then_pause(conn: psycopg.Connection, rt: Runtime, file: str, index: int, statement: Statement) -> None:
        run(conn, rt, file, index, statement)
        if (file, index) == (target, number):
            conn.execute("SELECT pg_sleep(%s)", (seconds,))

    execute.run_statement = run_then_pause


if __name__ == "__main__":
    install_pause(sys.argv.pop(1))
    main()
