"""Typed errors, each bound to one documented exit code; cli.py's single handler maps them.

Nothing below cli.py exits the process or prints tracebacks: it raises one of these, and the handler turns it
into an exit code and the one-line JSON summary.
"""

from __future__ import annotations

from relc_contract import ExitCode


class RelcMigrateError(Exception):
    """Base of every error relc-migrate reports to its caller."""

    exit_code: ExitCode = ExitCode.FAILED
    outcome: str = "failed"


class UsageError(RelcMigrateError):
    """Bad input: options, identifiers, credentials, files. Nothing was changed."""

    exit_code = ExitCode.USAGE
    outcome = "usage"


class DriftError(UsageError):
    """An applied migration file changed (or vanished) since it was applied."""


class OutOfOrderError(UsageError):
    """An unapplied file is older than one already applied: it would be skipped silently otherwise."""


class DatabaseError(RelcMigrateError):
    """The database refused or failed an operation relc-migrate needed (connection, DDL, bookkeeping)."""


class MigrationFailed(RelcMigrateError):
    """A migration file failed; its transaction was rolled back and the history records why."""

    def __init__(self, file: str, statement: str, error: str) -> None:
        self.file, self.statement, self.error = file, statement, error
        super().__init__(f"{file} failed: {error.strip()} (statement: {statement[:200]})")


class BlockedError(RelcMigrateError):
    """A dependency is unmet or the backup failed: the schema is ``blocked``, not ``failed``."""

    exit_code = ExitCode.BLOCKED
    outcome = "blocked"


class LockedError(RelcMigrateError):
    """Another runner holds the tenant:service lock (or every slot stayed taken for the whole wait)."""

    exit_code = ExitCode.LOCKED
    outcome = "locked"


class Interrupted(RelcMigrateError):
    """SIGTERM arrived: the current file was rolled back and the lock released."""

    exit_code = ExitCode.INTERRUPTED
    outcome = "interrupted"


class CandidateNotReady(RelcMigrateError):
    """migrate-tenant's readiness gate: the candidate's Deployments were not Available in time; nothing ran."""

    exit_code = ExitCode.CANDIDATE_NOT_READY
    outcome = "not_ready"
