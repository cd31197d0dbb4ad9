"""What a run needs from its environment, read once by cli.py and passed down (nothing below reads env).

Also the SIGTERM state: the handler only sets a flag and cancels the statement in flight; the migration loop
turns that into ``Interrupted`` at a point where the current file's transaction rolls back cleanly.
"""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psycopg

from relc_migrate.errors import Interrupted

if TYPE_CHECKING:  # relc_migrate.kube (http.client, ssl) is imported only when the environment enables the API
    from relc_migrate.kube import InCluster


class StopFlag:
    """Set by the SIGTERM handler; checked between statements; cancels a running statement at once."""

    def __init__(self) -> None:
        self.requested = False
        self._conn: psycopg.Connection | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def watch(self, conn: psycopg.Connection | None) -> None:
        """The connection whose running statement a SIGTERM cancels (None: nothing to cancel)."""
        self._conn = conn

    def watch_process(self, process: subprocess.Popen[bytes] | None) -> None:
        """The child (pg_dump) a SIGTERM kills, so a streamed backup ends and its upload is aborted at once instead
        of running on past the pod's grace period (None: no child); killed at once if the SIGTERM came first."""
        self._process = process
        if process is not None and self.requested:
            process.kill()

    def request(self) -> None:
        self.requested = True
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
        conn = self._conn
        if conn is not None and not conn.closed:
            # if the cancel fails the statement still ends; the flag is checked before the next one
            with contextlib.suppress(psycopg.Error):
                conn.cancel_safe(timeout=5)

    def check(self) -> None:
        if self.requested:
            raise Interrupted("interrupted by SIGTERM: the current file was rolled back and the lock released")


@dataclass(frozen=True)
class Runtime:
    """Credentials (opaque DSNs, never logged), identity and limits for one run."""

    dsn: str
    infra_dsn: str | None = None
    concurrency_limit: int = 3
    job: str | None = None
    image: str | None = None
    cluster: str | None = None
    pg_dump: str = "pg_dump"
    stop: StopFlag = field(default_factory=StopFlag)
    kube: InCluster | None = None
    """the in-cluster Kubernetes API (status writes, the readiness gate), when the environment enables it"""
    kube_problem: str | None = None
    """why the API is enabled but unusable (then ``kube`` is None)"""
