"""relc-migrate's exit codes and the one-line JSON summary it prints and writes to the termination log.

The Job's backoff policy keys on the exit codes and the compiler's tooling reads the summary; declaring both here
keeps every outcome and every key relc-migrate may write visible to the compiler.
"""

from __future__ import annotations

import enum
from typing import TypedDict


class ExitCode(enum.IntEnum):
    """relc-migrate's process exit codes (documented in the README; the Job's backoff policy keys on them)."""

    OK = 0
    FAILED = 1  #: a migration, provisioning or sync step failed in the database
    USAGE = 2  #: bad input: malformed migration files, bad identifiers, drift, missing credentials
    BLOCKED = 3  #: a dependency is unmet or the backup before migration failed
    LOCKED = 4  #: skipped: another runner holds the tenant:service lock (or no slot within the wait)
    INTERRUPTED = 5  #: SIGTERM: the current file was rolled back and the lock released
    CANDIDATE_NOT_READY = 6  #: migrate-tenant's gate: the candidate's Deployments were not Available in time


# --- the JSON summary --------------------------------------------------------------------------------------


class RunSummary(TypedDict, total=False):
    """The one-line JSON summary printed last on stdout and written to the termination log.

    ``command``, ``outcome``, ``exit_code`` and ``duration_seconds`` are always present (``message`` when the
    run did not succeed); the rest depends on the command. ``outcome`` is one of: ok, dry_run, failed, usage,
    blocked, locked, interrupted, not_ready (see ExitCode). Every key relc-migrate writes is declared here (tested).
    """

    command: str
    outcome: str
    exit_code: int
    duration_seconds: float
    message: str
    # migrate / rollback / retry
    tenant: str
    service: str
    database: str
    dry_run: bool
    from_version: str | None
    to_version: str
    applied: int
    rolled_back: int
    recovered: bool  #: a previous runner died mid-migration and this run recovered
    schemas: list[dict[str, object]]  #: per schema: from/to version, applied, rolled_back, resumed files
    changes: dict[str, int]  #: dry run: added / dropped / altered catalog objects
    backup: str  #: where the backup before migration was written
    # migrate-tenant
    steps: list[dict[str, object]]  #: per step run, in order: service, database, outcome and its schemas
    steps_total: int  #: how many steps the plan has (more than ``steps`` when a step failed)
    noop: bool  #: nothing to do: no slot was taken, nothing was written
    candidate_waited_seconds: float  #: how long the readiness gate waited for the candidate's Deployments
    status_writes: dict[str, int]  #: Kubernetes status patches: ``written`` and ``failed`` (best effort)
    # baseline / repair
    recorded: list[str]  #: baseline: ``schema/file`` recorded as applied by baseline (not run)
    realigned: list[str]  #: repair: ``schema/file`` whose stored checksum now matches the folder
    removed_failed: list[str]  #: repair: ``schema/file`` of the failed history entries removed
    # provision / deprovision
    database_created: bool
    schemas_created: list[str]
    schemas_existing: list[str]
    mode: str
    action: str  #: nothing | retained | awaiting-finalize | purged
    purge_after: str | None
    dropped_schemas: list[str]
    database_dropped: bool
    kept_schemas: list[str]
    bookkeeping_dropped: bool  #: deprovision kept the database and removed relc's own schema from it
    role: str  #: provision / rotate-credentials: the tenant's login role (its name, never its password)
    role_created: bool
    role_dropped: bool  #: deprovision dropped the tenant's role with its last database
    #: provision / rotate-credentials: what happened to the tenant's Vault secret: written (first version),
    #: reused (present and its password logs in), repaired (present; the role's password was set to it),
    #: updated (a new version, same password, the server's new address), rotated (a new version and a new
    #: password), not-configured (no RELC_VAULT_ADDR: nothing written)
    credentials: str
    vault_path: str  #: the tenant's KV v2 secret the credentials are in
    vault_version: int  #: its current version
    # cleanup
    retained: list[str]  #: ``database/schema until <UTC time>``: left behind, kept until its retention expires
    dropped_databases: list[str]  #: cleanup: country databases relc created whose last schema it dropped
    # registry-sync
    entries: int
    inserted: int
    updated: int
    unchanged: int
    deleted: int
    # status / lint
    databases: int
    failed_or_blocked: int
    services: list[str]
    errors: int
    warnings: int
