"""Backup before migration: pg_dump of the affected schemas. The only module that starts a subprocess.

pg_dump must be at least the server's major version (an older pg_dump refuses or silently misses features),
credentials reach it through PG* environment variables (never its command line, which ``ps`` shows), and a
dump is written under a temporary name and renamed, so a half-written file never looks like a backup.
Object-store destinations (``s3://``, ``gs://``: stores.py) get pg_dump's stdout streamed into a multipart or
resumable upload, part by part: no dump on local disk (a Job's disk is small), memory of about one part, and the
object completed only after pg_dump exited 0.
A failed backup (after the retries) blocks the migration: ``BackupFailed`` is a BlockedError.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol

from relc_migrate.db import libpq_environment
from relc_migrate.errors import BlockedError, Interrupted


class BackupFailed(BlockedError):
    """Every attempt failed (or pg_dump cannot be used): the schema becomes ``blocked``."""


PART_SIZE = 8 * 1024 * 1024
"""Bytes per upload part: S3's minimum part is 5 MiB, GCS chunks are multiples of 256 KiB; what a backup holds
in memory is about one part."""


class UploadFailed(Exception):
    """The object store refused or failed the upload (raised by a store, with the store's own message)."""


class Readable(Protocol):
    """What a store reads a dump from: pg_dump's stdout, never seekable (``tell``: the bytes read so far)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def tell(self) -> int: ...


class Stop(Protocol):
    """The run's SIGTERM state (runtime.StopFlag): a streamed dump's pg_dump is killed when it is requested."""

    @property
    def requested(self) -> bool: ...

    def watch_process(self, process: subprocess.Popen[bytes] | None) -> None: ...


class _NoStop:
    requested = False

    def watch_process(self, process: subprocess.Popen[bytes] | None) -> None:
        pass


class ObjectStore(Protocol):
    """An object-store client (stores.py): ``s3://bucket/prefix`` destinations stream their dumps to one."""

    def upload(self, stream: Readable, destination: str, name: str) -> str:
        """Store what ``stream`` yields as ``name`` under ``destination``, visible there only once ``stream`` has
        been read to its end (its ``read`` raises when the dump failed); return the stored object's URL.
        Raises UploadFailed."""
        ...


@dataclass(frozen=True, slots=True)
class BackupRequest:
    dsn: str
    database: str
    schemas: tuple[str, ...]
    tenant: str
    service: str
    from_version: str
    destination: str
    server_major: int
    timeout_seconds: int
    retries: int
    pg_dump: str = "pg_dump"


@dataclass(frozen=True, slots=True)
class BackupResult:
    location: str
    seconds: float
    attempts: int


def pg_dump_major(pg_dump: str) -> int:
    """The major version of a pg_dump binary (``pg_dump (PostgreSQL) 15.18`` -> 15)."""
    try:
        out = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as err:
        raise BackupFailed(f"backup failed: cannot run {pg_dump} --version ({err})") from None
    match = re.search(r"\)\s+(\d+)", out.stdout)
    if match is None:
        raise BackupFailed(f"backup failed: cannot read the version of {pg_dump}: {out.stdout.strip()!r}")
    return int(match.group(1))


def schema_pattern(schema: str) -> str:
    """A pg_dump ``--schema`` pattern that matches exactly ``schema`` (quoted: no wildcard, no case fold)."""
    return '"' + schema.replace('"', '""') + '"'


def dump_name(req: BackupRequest, now: datetime) -> str:
    return f"{req.database}/{req.service}/{now.strftime('%Y%m%dT%H%M%SZ')}-from-{req.from_version}.dump"


def _attempt(req: BackupRequest, target: Path) -> str | None:
    """One pg_dump run into ``target``; None on success, else why it failed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(libpq_environment(req.dsn, req.database))
    cmd = [req.pg_dump, "--format=custom", "--no-owner", f"--file={target}"]
    cmd += [f"--schema={schema_pattern(s)}" for s in req.schemas]
    try:
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=req.timeout_seconds)
    except subprocess.TimeoutExpired:
        return f"pg_dump timed out after {req.timeout_seconds}s"
    except OSError as err:
        return f"cannot run {req.pg_dump}: {err}"
    if result.returncode != 0:
        return f"pg_dump exited {result.returncode}: {result.stderr.strip()[-500:]}"
    return None


def run_backup(
    req: BackupRequest, stores: Mapping[str, ObjectStore] | None = None, stop: Stop | None = None
) -> BackupResult:
    """Dump the schemas to the destination with up to ``retries`` retries; BackupFailed when all fail.
    ``stores`` replaces the real object-store clients (stores.py) by scheme. A SIGTERM (``stop``) during a
    streamed dump kills pg_dump, which makes the store abort its upload (S3's multipart upload, GCS's resumable
    session), and raises Interrupted without another attempt."""
    stop = stop or _NoStop()
    major = pg_dump_major(req.pg_dump)
    if major < req.server_major:
        raise BackupFailed(
            f"backup failed: pg_dump {major} is older than the server ({req.server_major}); "
            "use a pg_dump of the server's major version or newer"
        )
    scheme = req.destination.split("://", 1)[0] if "://" in req.destination else "file"
    store = _store_for(scheme, stores)
    if scheme != "file" and store is None:
        raise BackupFailed(f"backup failed: relc-migrate cannot write {scheme}:// destinations")
    name = dump_name(req, datetime.now(UTC))
    started = time.monotonic()
    errors: list[str] = []
    for attempt in range(1, req.retries + 2):
        try:
            location = _store(req, name, store, stop)
        except _AttemptFailed as err:
            if stop.requested:
                raise Interrupted(
                    "interrupted by SIGTERM during the backup: pg_dump was stopped and the upload aborted; nothing "
                    "was migrated"
                ) from None
            errors.append(str(err))
            if attempt <= req.retries:
                time.sleep(min(5.0, 0.5 * attempt))
            continue
        return BackupResult(location, time.monotonic() - started, attempt)
    raise BackupFailed(f"backup failed after {req.retries + 1} attempt(s): {errors[-1]}")


class _AttemptFailed(Exception):
    pass


def _store_for(scheme: str, stores: Mapping[str, ObjectStore] | None) -> ObjectStore | None:
    if stores is not None:
        return stores.get(scheme)
    if scheme == "file":
        return None
    from relc_migrate import stores as real  # imports a cloud client only on the way to its store

    return real.for_scheme(scheme)


class _DumpFailed(Exception):
    """pg_dump failed: raised out of the stream's ``read`` at the end, so the store never completes the object."""


class _DumpStream:
    """pg_dump's stdout as a non-seekable binary stream that raises at its end unless pg_dump exited 0."""

    def __init__(self, proc: subprocess.Popen[bytes], stderr: IO[bytes], timeout: int, timed_out: threading.Event):
        assert proc.stdout is not None  # Popen(stdout=PIPE)
        self._proc, self._out, self._stderr = proc, proc.stdout, stderr
        self._timeout, self._timed_out = timeout, timed_out
        self._position = 0

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1, /) -> bytes:
        data = self._out.read(size)  # a BufferedReader: blocks until ``size`` bytes or the end
        self._position += len(data)
        if size < 0 or len(data) < size:
            self._finish()
        return data

    def _finish(self) -> None:
        code = self._proc.wait()
        if code == 0:
            return
        if self._timed_out.is_set():
            raise _DumpFailed(f"pg_dump timed out after {self._timeout}s")
        self._stderr.seek(0)
        message = self._stderr.read().decode("utf-8", "replace").strip()[-500:]
        raise _DumpFailed(f"pg_dump exited {code}: {message}")


def _stream(req: BackupRequest, name: str, store: ObjectStore, stop: Stop) -> str:
    """One pg_dump run streamed into ``store``; its stderr goes to a small temporary file (a pipe could fill)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(libpq_environment(req.dsn, req.database))
    cmd = [req.pg_dump, "--format=custom", "--no-owner", *(f"--schema={schema_pattern(s)}" for s in req.schemas)]
    with tempfile.TemporaryFile(prefix="relc-pg-dump-") as stderr:
        try:
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=stderr)
        except OSError as err:
            raise _AttemptFailed(f"cannot run {req.pg_dump}: {err}") from None
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            proc.kill()  # its stdout ends: the stream raises, the store aborts

        timer = threading.Timer(req.timeout_seconds, expire)
        timer.start()
        stop.watch_process(proc)
        try:
            stream = _DumpStream(proc, stderr, req.timeout_seconds, timed_out)
            return store.upload(stream, req.destination, name)
        except (_DumpFailed, UploadFailed) as err:
            raise _AttemptFailed(str(err)) from None
        finally:
            stop.watch_process(None)
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            assert proc.stdout is not None
            proc.stdout.close()


def _store(req: BackupRequest, name: str, store: ObjectStore | None, stop: Stop) -> str:
    if store is None:
        root = Path(req.destination.removeprefix("file://"))
        final = root / name
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise _AttemptFailed(f"cannot create {final.parent}: {err.strerror}") from None
        partial = final.with_name(final.name + ".partial")
        problem = _attempt(req, partial)
        if problem is not None:
            partial.unlink(missing_ok=True)
            raise _AttemptFailed(problem)
        partial.rename(final)
        return str(final)
    return _stream(req, name, store, stop)
