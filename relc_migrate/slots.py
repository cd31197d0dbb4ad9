"""The cluster-wide concurrency limit: N slots as advisory locks in the infra database.

Advisory locks are per database, so tenant databases cannot count runners across the cluster; the infra
database can. A runner holds slot ``i`` as ``pg_try_advisory_lock(SLOT_NAMESPACE, i)`` on a dedicated
connection, so a killed runner frees its slot when the server drops its connection: no lease to expire, no
cleanup Job. ``infra.migration_slots`` mirrors the holders for humans (the lock is the truth), and
``infra.migration_queue`` lists waiting runners for the migration_queue_length metric.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import psycopg

from relc_migrate.locks import Backoff, try_lock, unlock

#: classid of slot locks ("relc" + 2); objid is the slot number
SLOT_NAMESPACE: Final = 0x72656C65

DDL: Final = (
    "CREATE SCHEMA IF NOT EXISTS infra",
    """CREATE TABLE IF NOT EXISTS infra.migration_slots (
        slot        integer PRIMARY KEY,
        holder_pid  integer NOT NULL,
        tenant      text NOT NULL,
        service     text NOT NULL,
        job         text,
        acquired_at timestamptz NOT NULL DEFAULT now()
    )""",
    """CREATE TABLE IF NOT EXISTS infra.migration_queue (
        pid         integer PRIMARY KEY,
        tenant      text NOT NULL,
        service     text NOT NULL,
        enqueued_at timestamptz NOT NULL DEFAULT now()
    )""",
)
_DDL_LOCK: Final = (SLOT_NAMESPACE, -1)


def ensure_infra(conn: psycopg.Connection) -> None:
    """Create the slot tables once; concurrent first runners serialise on a transaction-level try-lock."""
    present = conn.execute("SELECT to_regclass('infra.migration_queue') IS NOT NULL").fetchone()
    if present and present[0]:
        return
    while True:
        with conn.transaction():
            got = conn.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", _DDL_LOCK).fetchone()
            if got and got[0]:
                for statement in DDL:
                    conn.execute(statement)
                return
        time.sleep(0.05)


@dataclass
class Slot:
    """A held slot; ``release`` frees it (a crash frees it too)."""

    conn: psycopg.Connection
    number: int

    def release(self) -> None:
        self.conn.execute("DELETE FROM infra.migration_slots WHERE slot = %s", (self.number,))
        unlock(self.conn, (SLOT_NAMESPACE, self.number))


def _try_any(conn: psycopg.Connection, limit: int) -> int | None:
    for number in range(limit):
        if try_lock(conn, (SLOT_NAMESPACE, number)):
            return number
    return None


def queue_length(conn: psycopg.Connection) -> int:
    """Runners waiting for a slot whose backend is still alive (a killed waiter stops counting at once)."""
    row = conn.execute(
        """SELECT count(*) FROM infra.migration_queue q
           WHERE EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = q.pid)"""
    ).fetchone()
    return int(row[0]) if row else 0


def acquire_slot(
    conn: psycopg.Connection,
    limit: int,
    tenant: str,
    service: str,
    job: str | None,
    wait_seconds: float,
    should_stop: Callable[[], bool] = lambda: False,
) -> Slot | None:
    """Take one of ``limit`` slots, waiting (bounded, jittered) up to ``wait_seconds``; None if none freed."""
    ensure_infra(conn)
    found: list[int] = []

    def attempt() -> bool:
        number = _try_any(conn, limit)
        if number is not None:
            found.append(number)
        return number is not None

    if attempt():
        return _claimed(conn, found[0], tenant, service, job)
    conn.execute(
        """INSERT INTO infra.migration_queue (pid, tenant, service) VALUES (pg_backend_pid(), %s, %s)
           ON CONFLICT (pid) DO UPDATE SET tenant = excluded.tenant, service = excluded.service,
                                           enqueued_at = now()""",
        (tenant, service),
    )
    try:
        if not Backoff(wait_seconds, initial=0.05, cap=1.0).poll(attempt, should_stop):
            return None
    finally:
        conn.execute("DELETE FROM infra.migration_queue WHERE pid = pg_backend_pid()")
    return _claimed(conn, found[0], tenant, service, job)


def _claimed(conn: psycopg.Connection, number: int, tenant: str, service: str, job: str | None) -> Slot:
    conn.execute(
        """INSERT INTO infra.migration_slots (slot, holder_pid, tenant, service, job)
           VALUES (%s, pg_backend_pid(), %s, %s, %s)
           ON CONFLICT (slot) DO UPDATE SET holder_pid = excluded.holder_pid, tenant = excluded.tenant,
               service = excluded.service, job = excluded.job, acquired_at = now()""",
        (number, tenant, service, job),
    )
    return Slot(conn, number)
