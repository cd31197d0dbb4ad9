"""``migrate-tenant``: every schema of one tenant, in the candidate's migration order, in one process.

Why one process: a tenant on a 20-service candidate used to get 20+ Jobs (a pod, an interpreter and a slot each),
ordered by Argo CD hook waves. Here the order is the plan's: each step is exactly a one-service ``migrate`` run
(same lock, recovery, drift and dependency checks, backup), the steps run one after another under ONE cluster
slot, and the first step that fails stops the run, so a service never migrates before one it requires.

Why check first: most syncs change nothing for most tenants. Before queueing for a slot the run reads each
database's schema registry and history (read-only, no lock): when every schema is ``complete`` at its desired
version with no file left to apply and no drift, it returns at once without taking a slot or writing anything.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass, field

import psycopg

from relc_contract import TenantMigrateInvocation, TenantStep, step_invocation, validate_tenant
from relc_migrate import db, migrate, state
from relc_migrate.errors import RelcMigrateError, UsageError
from relc_migrate.findings import MigrationFilesError
from relc_migrate.folder import MigrationSet, parse_version
from relc_migrate.kubestatus import StatusWriter, api_client
from relc_migrate.metrics import Metrics
from relc_migrate.plan import plan_from
from relc_migrate.runtime import Runtime

log = logging.getLogger("relc_migrate")

#: The slot holder's "service" in infra.migration_slots when one runner migrates a whole tenant.
WHOLE_TENANT = "*"

StepError = RelcMigrateError | MigrationFilesError | psycopg.Error


@dataclass
class StepReport:
    """One step that ran (or was the one that failed), for the JSON summary."""

    step: TenantStep
    database: str
    outcome: str
    result: migrate.MigrateResult | None = None

    def as_json(self) -> dict[str, object]:
        found: dict[str, object] = {
            "service": self.step.service,
            "database": self.database,
            "to_version": self.step.version,
            "outcome": self.outcome,
        }
        if self.result is not None:
            found["schemas"] = [s.as_json() for s in self.result.schemas]
            if self.result.backup is not None:
                found["backup"] = self.result.backup.location
        return found


@dataclass
class TenantResult:
    """What a tenant run did: the steps that ran, in order, and the error that stopped it (if any)."""

    total: int
    noop: bool = False
    candidate_waited: float | None = None
    steps: list[StepReport] = field(default_factory=list)
    error: StepError | None = None


@dataclass(frozen=True, slots=True)
class _Step:
    step: TenantStep
    request: migrate.MigrateRequest
    migrations: MigrationSet

    @property
    def database(self) -> str:
        return self.request.invocation.database


def _prepare(inv: TenantMigrateInvocation) -> list[_Step]:
    """Every name and every migrations folder checked (and each folder read once) before any connection."""
    validate_tenant(inv.tenant)
    if not inv.steps:
        raise UsageError("at least one --step is required")
    seen: set[tuple[str, str | None]] = set()
    folders: dict[str, MigrationSet] = {}
    prepared = []
    for step in inv.steps:
        request = migrate.MigrateRequest(step_invocation(inv, step))
        if (step.service, step.country) in seen:
            raise UsageError(f"step {step.service} in {request.invocation.database} is listed twice")
        seen.add((step.service, step.country))
        migrate.validate_invocation(request.invocation)
        if step.service not in folders:
            folders[step.service] = migrate.load_migrations(request.invocation)
        prepared.append(_Step(step, request, folders[step.service]))
    return prepared


@dataclass(frozen=True, slots=True)
class _Bookkeeping:
    """One database's registry rows and applied files (None: no bookkeeping yet), read in two queries."""

    rows: dict[str, state.RegistryRow]
    applied: dict[str, dict[str, state.HistoryRow]]


def _read_bookkeeping(conn: psycopg.Connection, steps: list[_Step]) -> _Bookkeeping | None:
    if not state.bookkeeping_present(conn):
        return None
    rows = {row.schema_name: row for row in state.registry_rows(conn)}
    return _Bookkeeping(rows, state.applied_files_of(conn, [schema for step in steps for schema in step.step.schemas]))


def _has_work(found: _Bookkeeping | None, step: _Step) -> bool:
    """Whether ``step`` would change anything; raises DriftError / OutOfOrderError as the locked run would."""
    if found is None:
        return True
    desired = parse_version(step.step.version)
    for schema in step.step.schemas:
        row = found.rows.get(schema)
        if row is None or row.service != step.step.service:
            return True
        if row.status != "complete" or row.current_version != str(desired):
            return True
        if plan_from(found.applied[schema], step.migrations, schema, desired, row.current_version).direction != "none":
            return True
    return False


def anything_to_do(steps: list[_Step], conns: dict[str, psycopg.Connection]) -> bool:
    """Read-only, before any slot or lock, on one connection per database (kept for the run if there is work);
    each database's bookkeeping is read once (two queries), the steps are judged in their order."""
    found: dict[str, _Bookkeeping | None] = {}
    for step in steps:
        if step.database not in found:
            same = [s for s in steps if s.database == step.database]
            found[step.database] = _read_bookkeeping(conns[step.database], same)
        if _has_work(found[step.database], step):
            return True
    return False


def _queued(
    status: StatusWriter, inv: TenantMigrateInvocation, steps: list[_Step], conns: dict[str, psycopg.Connection]
) -> None:
    """Every schema not yet complete at its desired version shows ``pending`` while the run waits for its slot."""
    if not status.enabled:  # no registry reads for a view nobody writes
        return
    for step in steps:
        rows = {row.schema_name: row for row in state.registry_rows(conns[step.database], step.step.service)}
        for schema in step.step.schemas:
            row = rows.get(schema)
            if row is None or row.status != "complete" or row.current_version != step.step.version:
                current = None if row is None else row.current_version
                message = f"waiting to migrate to {step.step.version}"
                status.schema(inv.tenant, schema, step.step.country, "pending", current=current, message=message)


def _mirror(
    status: StatusWriter,
    inv: TenantMigrateInvocation,
    step: _Step,
    conn: psycopg.Connection,
    error: StepError | None,
    *,
    only_if_changed: bool = False,
) -> None:
    """A step's schemas as its database's registry now records them (the status is a view of the registry)."""
    if not status.enabled:  # no registry reads for a view nobody writes (a no-op run stays as cheap as before)
        return
    try:
        rows = {row.schema_name: row for row in state.registry_rows(conn, step.step.service)}
    except psycopg.Error:  # the connection broke with the step: report the outcome without the registry
        rows = {}
    for schema in step.step.schemas:
        row = rows.get(schema)
        if row is None:
            phase = (
                "complete" if error is None else ("blocked" if getattr(error, "outcome", "") == "blocked" else "failed")
            )
            status.schema(inv.tenant, schema, step.step.country, phase, message=None if error is None else str(error))
            continue
        status.schema(
            inv.tenant, schema, step.step.country, row.status, current=row.current_version,
            migrated_at=row.last_migrated_at, message=row.status_reason, only_if_changed=only_if_changed,
        )  # fmt: skip


def run_tenant(
    inv: TenantMigrateInvocation, rt: Runtime, metrics: Metrics, status: StatusWriter | None = None
) -> TenantResult:
    """Gate, check, then (only if there is work) take one slot and run the steps in order, stopping at the first
    failure; errors in the input (names, folders, drift found by the check) raise before anything ran.

    ``status`` mirrors each step's schemas into their TenantSchemaVersions (best effort; not in a dry run, which
    changes nothing; a run with nothing to do only patches objects whose status does not match the registry)."""
    steps = _prepare(inv)
    result = TenantResult(total=len(steps))
    if inv.candidate_namespace is not None:
        from relc_migrate import gate  # the API client is imported only by runs that use it

        client = api_client(rt)
        result.candidate_waited = gate.await_candidate(
            client, inv.candidate_namespace, inv.candidate_wait_seconds, rt.stop
        )
    if status is None or inv.dry_run:
        status = StatusWriter(None, metrics)
    with ExitStack() as stack:
        work: dict[str, psycopg.Connection] = {}
        for step in steps:
            if step.database not in work:
                conn = stack.enter_context(db.connect(rt.dsn, step.database, f"check:{inv.tenant}"))
                migrate.verify_database(rt, step.request.invocation, conn)  # the tenant's, before reading it
                work[step.database] = conn
        if not anything_to_do(steps, work):
            log.info("%s: every schema is at its desired version; nothing to do", inv.tenant)
            result.noop = True
            for step in steps:  # reconcile only: objects that already say so are not patched
                _mirror(status, inv, step, work[step.database], None, only_if_changed=True)
            return result
        _queued(status, inv, steps, work)
        stack.enter_context(migrate.cluster_slot(rt, inv.tenant, WHOLE_TENANT, inv.slot_wait_seconds, metrics))
        conns: dict[str, migrate.Connections] = {}
        for step in steps:
            for schema in step.step.schemas:
                message = f"migrating to {step.step.version}"
                status.schema(inv.tenant, schema, step.step.country, "migrating", message=message)
            try:
                if step.database not in conns:
                    lock = stack.enter_context(db.connect(rt.dsn, step.database, f"lock:{inv.tenant}"))
                    conns[step.database] = migrate.Connections(
                        lock, migrate.prepare_work_connection(work[step.database])
                    )
                ran = migrate.run_step_on(step.request, rt, metrics, step.migrations, conns[step.database])
            except (RelcMigrateError, MigrationFilesError, psycopg.Error) as err:
                outcome = err.outcome if isinstance(err, RelcMigrateError) else "failed"
                result.steps.append(StepReport(step.step, step.database, outcome))
                result.error = err
                _mirror(status, inv, step, work[step.database], err)
                return result
            _mirror(status, inv, step, work[step.database], None)
            result.steps.append(StepReport(step.step, step.database, "dry_run" if inv.dry_run else "ok", ran))
    return result
