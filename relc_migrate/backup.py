"""Backup before migration: pg_dump of the affected schemas. The only module that starts a subprocess.

pg_dump must be at least the server's major version (an older pg_dump refuses or silently misses features),
credentials reach it through PG* environment variables (never its command line, which ``ps`` shows), and a
dump is written under a temporary name and renamed, so a half-written file never looks like a backup.
A failed backup (after the retries) blocks the migration: ``BackupFailed`` is a BlockedError.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from relc_migrate.db import libpq_environment
from relc_migrate.errors import BlockedError


class BackupFailed(BlockedError):
    """Every attempt failed (or pg_dump cannot be used): the schema becomes ``blocked``."""


class Uploader(Protocol):
    """An object-store client: ``s3://bucket/prefix`` destinations hand their dumps to one of these."""

    def upload(self, local_path: Path, destination: str, key: str) -> str:
        """Store ``local_path`` as ``key`` under ``destination``; return the stored object's URL."""
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


def run_backup(req: BackupRequest, uploaders: Mapping[str, Uploader] | None = None) -> BackupResult:
    """Dump the schemas to the destination with up to ``retries`` retries; BackupFailed when all fail."""
    major = pg_dump_major(req.pg_dump)
    if major < req.server_major:
        raise BackupFailed(
            f"backup failed: pg_dump {major} is older than the server ({req.server_major}); "
            "use a pg_dump of the server's major version or newer"
        )
    scheme = req.destination.split("://", 1)[0] if "://" in req.destination else "file"
    uploader = (uploaders or {}).get(scheme)
    if scheme != "file" and uploader is None:
        raise BackupFailed(f"backup failed: no uploader is configured for {scheme}:// destinations")
    name = dump_name(req, datetime.now(UTC))
    started = time.monotonic()
    errors: list[str] = []
    for attempt in range(1, req.retries + 2):
        try:
            location = _store(req, name, uploader)
        except _AttemptFailed as err:
            errors.append(str(err))
            if attempt <= req.retries:
                time.sleep(min(5.0, 0.5 * attempt))
            continue
        return BackupResult(location, time.monotonic() - started, attempt)
    raise BackupFailed(f"backup failed after {req.retries + 1} attempt(s): {errors[-1]}")


class _AttemptFailed(Exception):
    pass


def _store(req: BackupRequest, name: str, uploader: Uploader | None) -> str:
    if uploader is None:
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
    with tempfile.TemporaryDirectory(prefix="relc-backup-") as tmp:
        local = Path(tmp) / "dump"
        problem = _attempt(req, local)
        if problem is not None:
            raise _AttemptFailed(problem)
        try:
            return uploader.upload(local, req.destination, name)
        except OSError as err:
            raise _AttemptFailed(f"upload failed: {err}") from None
