"""The cluster-wide concurrency limit: N slots as advisory locks in the infra database.

Advisory locks are per database, so tenant databases cannot count runners across the cluster; the infra
database can. A runner holds slot ``i`` as ``pg_try_advisory_lock(SLOT_NAMESPACE, i)`` on a dedicated
connection, so a killed runner frees its slot when the server drops its connection: no lease to expire, no
cleanup Job. ``infra.migration_slots`` mirrors the holders for humans (the lock is the truth).

Waiting runners queue in arrival order: each takes a ticket (a sequence) in ``infra.migration_queue`` and only
the first live ticket may try the slots. A runner that frees a slot, or leaves the queue, NOTIFYs the others,
so the next in line tries at once instead of at its next poll (polling left slots idle: with 3 slots, all 3
were rarely busy at once). A killed holder sends nothing, but the server drops its lock with its connection;
waiters also re-check every POLL_SECONDS, so that slot is taken within that time. The queue doubles as the
migration_queue_length metric.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import psycopg

from relc_migrate.locks import unlock

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
    "ALTER TABLE infra.migration_queue ADD COLUMN IF NOT EXISTS ticket bigint",
    "CREATE SEQUENCE IF NOT EXISTS infra.migration_ticket",  # last: its presence means the DDL is complete
)
_DDL_LOCK: Final = (SLOT_NAMESPACE, -1)
#: The LISTEN/NOTIFY channel on which a freed slot (or a waiter leaving the queue) wakes the waiting runners.
CHANNEL: Final = "relc_migration_slots"
#: How often a waiter re-checks without a notification (a killed holder frees its slot silently).
POLL_SECONDS: Final = 0.5


def ensure_infra(conn: psycopg.Connection) -> None:
    """Create the slot tables once; concurrent first runners serialise on a transaction-level try-lock."""
    present = conn.execute("SELECT to_regclass('infra.migration_ticket') IS NOT NULL").fetchone()
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
        with self.conn.pipeline():  # one round trip: the row, the lock, the wake-up
            self.conn.execute("DELETE FROM infra.migration_slots WHERE slot = %s", (self.number,))
            unlock(self.conn, (SLOT_NAMESPACE, self.number))
            self.conn.execute(f"NOTIFY {CHANNEL}")


def _try_any(conn: psycopg.Connection, limit: int) -> int | None:
    """One free slot locked in one round trip: the executor evaluates the filter row by row and LIMIT 1 stops it
    at the first lock it got, so at most one slot is taken (no ORDER BY: a sort would evaluate every row first)."""
    row = conn.execute(
        """SELECT n FROM generate_series(0, %s - 1) AS n
           WHERE pg_try_advisory_lock(%s::integer, n) LIMIT 1""",
        (limit, SLOT_NAMESPACE),
    ).fetchone()
    return None if row is None else int(row[0])


def acquire_slot(
    conn: psycopg.Connection,
    limit: int,
    tenant: str,
    service: str,
    job: str | None,
    wait_seconds: float,
    should_stop: Callable[[], bool] = lambda: False,
    queued: Callable[[int], None] = lambda waiting: None,
) -> Slot | None:
    """Take one of ``limit`` slots in arrival order, waiting up to ``wait_seconds``; None if none came free.

    ``queued`` gets the number of other live runners waiting when this one joined the queue (the
    migration_queue_length metric). Round trips are batched (pipelines): a slot that is free at once costs
    five, whatever the limit."""
    ensure_infra(conn)
    deadline = time.monotonic() + wait_seconds
    with conn.pipeline():
        conn.execute(f"LISTEN {CHANNEL}")
        conn.execute(
            """INSERT INTO infra.migration_queue (pid, tenant, service, ticket)
               VALUES (pg_backend_pid(), %s, %s, nextval('infra.migration_ticket'))
               ON CONFLICT (pid) DO UPDATE SET tenant = excluded.tenant, service = excluded.service,
                                               ticket = excluded.ticket, enqueued_at = now()""",
            (tenant, service),
        )
    claimed: Slot | None = None
    try:
        first, waiting = _position(conn)
        queued(waiting)
        while True:
            number = _try_any(conn, limit) if first else None
            if number is not None:
                claimed = Slot(conn, number)
                return claimed
            remaining = deadline - time.monotonic()
            if remaining <= 0 or should_stop():
                return None
            # psycopg keeps notices that arrive during a query and yields them first: none is missed
            for _ in conn.notifies(timeout=min(remaining, POLL_SECONDS), stop_after=1):
                pass
            first, _ = _position(conn)
    finally:
        if not conn.closed and not conn.broken:
            with conn.pipeline():  # one round trip: record the holder (if any), leave the queue, wake the next
                if claimed is not None:
                    _record_holder(conn, claimed.number, tenant, service, job)
                conn.execute("DELETE FROM infra.migration_queue WHERE pid = pg_backend_pid()")
                conn.execute(f"UNLISTEN {CHANNEL}")
                conn.execute(f"NOTIFY {CHANNEL}")  # the next in line may try now


def _position(conn: psycopg.Connection) -> tuple[bool, int]:
    """(no live runner holds an older ticket, how many other live runners wait); a killed waiter's row stays,
    but its backend is gone, so it counts for neither."""
    row = conn.execute(
        """SELECT count(*) FILTER (WHERE q.ticket < (SELECT ticket FROM infra.migration_queue
                                                       WHERE pid = pg_backend_pid())),
                  count(*) FILTER (WHERE q.pid <> pg_backend_pid())
           FROM infra.migration_queue q JOIN pg_stat_activity a ON a.pid = q.pid"""
    ).fetchone()
    return (row[0] == 0, int(row[1])) if row else (True, 0)


def _record_holder(conn: psycopg.Connection, number: int, tenant: str, service: str, job: str | None) -> None:
    conn.execute(
        """INSERT INTO infra.migration_slots (slot, holder_pid, tenant, service, job)
           VALUES (%s, pg_backend_pid(), %s, %s, %s)
           ON CONFLICT (slot) DO UPDATE SET holder_pid = excluded.holder_pid, tenant = excluded.tenant,
               service = excluded.service, job = excluded.job, acquired_at = now()""",
        (number, tenant, service, job),
    )
