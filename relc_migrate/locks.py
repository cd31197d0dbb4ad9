"""The per tenant:service advisory lock, held on a dedicated connection for the whole run.

Session-level ``pg_try_advisory_lock`` polled with a bounded, jittered wait; never the blocking form, so a
stuck holder cannot pile up waiting Jobs. A dedicated connection means the lock is not tied to any migration
transaction, and a killed runner's lock disappears with its connection (the server notices the closed socket).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import psycopg

#: classid of relc's tenant:service locks ("relc" + 1); the objid is a 32-bit hash of tenant:service.
LOCK_NAMESPACE: Final = 0x72656C64


def lock_key(tenant: str, service: str) -> tuple[int, int]:
    """(namespace, signed 32-bit SHA-256 prefix of ``tenant:service``): stable across processes."""
    digest = hashlib.sha256(f"{tenant}:{service}".encode()).digest()
    return LOCK_NAMESPACE, int.from_bytes(digest[:4], "big", signed=True)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Bounded, jittered polling: ``initial`` doubling up to ``cap`` seconds, at most ``total`` seconds."""

    total: float
    initial: float = 0.05
    cap: float = 2.0

    def poll(self, attempt: Callable[[], bool], should_stop: Callable[[], bool] = lambda: False) -> bool:
        """Call ``attempt`` until it returns True (-> True) or the time is up (-> False)."""
        deadline = time.monotonic() + self.total
        delay = self.initial
        while True:
            if attempt():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or should_stop():
                return False
            time.sleep(min(remaining, random.uniform(delay / 2, delay)))
            delay = min(self.cap, delay * 2)


def try_lock(conn: psycopg.Connection, key: tuple[int, int]) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", key).fetchone()
    return bool(row and row[0])


def unlock(conn: psycopg.Connection, key: tuple[int, int]) -> None:
    conn.execute("SELECT pg_advisory_unlock(%s, %s)", key)


def acquire(
    conn: psycopg.Connection,
    key: tuple[int, int],
    wait_seconds: float,
    should_stop: Callable[[], bool] = lambda: False,
) -> bool:
    """Poll for the lock for up to ``wait_seconds``; True when held."""
    return Backoff(wait_seconds).poll(lambda: try_lock(conn, key), should_stop)
