"""migrate / rollback / retry / dry run of one tenant's service: the orchestration.

Order matters and is the safety argument: validate everything that needs no database (identifiers, the whole
migrations folder with lint) -> verify the database is the tenant's (read-only, on the lock connection: a refused
run never holds a slot) -> take a cluster slot -> take the tenant:service lock on that connection ->
recover from a dead runner -> plan (drift, ordering) -> check dependencies -> back up -> apply. Every
registry status change happens under the lock.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import psycopg
import semver

from relc_contract import (
    MigrateInvocation,
    default_migrations_dir,
    tenant_database,
    tenant_database_country,
    validate_identifier,
    validate_schema,
)
from relc_migrate import db, locks, ownership, slots, state
from relc_migrate.backup import BackupFailed, BackupRequest, BackupResult, run_backup
from relc_migrate.diff import Change, compare, snapshot
from relc_migrate.errors import BlockedError, DatabaseError, LockedError, MigrationFailed, UsageError
from relc_migrate.execute import (
    Limits,
    StatementFailed,
    Who,
    apply_file,
    apply_init_data,
    in_transaction,
    revert_file,
)
from relc_migrate.files import Statement, split_statements
from relc_migrate.folder import MigrationSet, load_folder, parse_version
from relc_migrate.metrics import Metrics
from relc_migrate.plan import Plan, plan_from, unmet_requirements
from relc_migrate.runtime import Runtime

log = logging.getLogger("relc_migrate")

Mode = Literal["migrate", "rollback", "retry"]


@dataclass(frozen=True, slots=True)
class MigrateRequest:
    """One run: the contract's invocation plus the mode (retry: desired version from the registry)."""

    invocation: MigrateInvocation
    mode: Mode = "migrate"


@dataclass
class SchemaResult:
    schema: str
    from_version: str | None
    to_version: str
    applied: list[str] = field(default_factory=list)
    rolled_back: list[str] = field(default_factory=list)
    skipped_in_dry_run: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "schema": self.schema,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "applied": self.applied,
            "rolled_back": self.rolled_back,
            "resumed": self.resumed,
            "skipped_in_dry_run": self.skipped_in_dry_run,
        }


@dataclass
class MigrateResult:
    desired: str
    dry_run: bool
    schemas: list[SchemaResult] = field(default_factory=list)
    recovered: bool = False
    backup: BackupResult | None = None


def validate_invocation(inv: MigrateInvocation) -> None:
    """Every name that will reach the database, checked before any connection is opened."""
    tenant_database_country(inv.tenant, inv.database)  # the database must be one of the tenant's
    validate_identifier(inv.service, "service")
    if inv.dependency_database is not None and inv.dependency_database != tenant_database(inv.tenant):
        validate_identifier(inv.dependency_database, "dependency database")
        raise UsageError(
            f"dependency database {inv.dependency_database} is not tenant {inv.tenant}'s main database "
            f"{tenant_database(inv.tenant)}"
        )
    if not inv.schemas:
        raise UsageError("at least one --schema is required")
    for schema in inv.schemas:
        validate_schema(schema)
    if len(set(inv.schemas)) != len(inv.schemas):
        raise UsageError("a schema is listed twice")


def _version(text: str, what: str) -> semver.Version:
    try:
        return parse_version(text)
    except ValueError:
        raise UsageError(f"{what} {text!r} is not a semantic version (e.g. 2.1.0)") from None


def _limits(inv: MigrateInvocation) -> Limits:
    return Limits(inv.lock_timeout_ms, inv.statement_timeout_ms, inv.lock_retries)


def app_name(kind: str, inv: MigrateInvocation) -> str:
    return f"{kind}:{inv.tenant}:{inv.service}"


@contextmanager
def cluster_slot(rt: Runtime, tenant: str, service: str, wait_seconds: float, metrics: Metrics) -> Iterator[int | None]:
    """Hold one of the cluster's slots (infra database) for the block; no infra DSN means no limit.

    ``service`` is who holds it, for humans reading infra.migration_slots (``*``: a whole tenant's run)."""
    if rt.infra_dsn is None:
        log.warning("no infra database configured: the cluster-wide concurrency limit is not enforced")
        yield None
        return
    with db.connect(rt.infra_dsn, None, f"slot:{tenant}:{service}") as conn:
        slot = slots.acquire_slot(
            conn, rt.concurrency_limit, tenant, service, rt.job, wait_seconds, lambda: rt.stop.requested,
            metrics.queued,
        )  # fmt: skip
        if slot is None:
            rt.stop.check()
            raise LockedError(
                f"skipped: no migration slot (limit {rt.concurrency_limit}) freed within {wait_seconds:g}s"
            )
        try:
            yield slot.number
        finally:
            if not conn.closed and not conn.broken:
                slot.release()


def tenant_lock(rt: Runtime, inv: MigrateInvocation, stack: ExitStack) -> None:
    """Take the tenant:service advisory lock on a dedicated connection, or raise LockedError."""
    conn = stack.enter_context(db.connect(rt.dsn, inv.database, app_name("lock", inv)))
    verify_database(rt, inv, conn)
    take_lock(rt, inv, conn)


def verify_database(rt: Runtime, inv: MigrateInvocation, conn: psycopg.Connection) -> None:
    """Not a template or the maintenance database, and recorded as ``inv.tenant``'s; read-only."""
    ownership.refuse_special(conn, inv.database, db.maintenance_database(rt.dsn))
    ownership.verify(conn, inv.tenant, inv.database)  # before the lock: a refused run changes nothing


def take_lock(rt: Runtime, inv: MigrateInvocation, conn: psycopg.Connection) -> None:
    """The tenant:service advisory lock on ``conn`` (a connection used for locks only), or LockedError."""
    key = locks.lock_key(inv.tenant, inv.service)
    if not locks.acquire(conn, key, inv.lock_wait_seconds, lambda: rt.stop.requested):
        rt.stop.check()
        raise LockedError(
            f"skipped: locked: another runner holds the lock of {inv.tenant}:{inv.service} in {inv.database} "
            f"(waited {inv.lock_wait_seconds:g}s)"
        )


def _stale_query(inv: MigrateInvocation) -> tuple[str, tuple[str]]:
    name = f"{db.APP_PREFIX}:{app_name('migrate', inv)}"[:63]
    query = """SELECT pid FROM pg_stat_activity
               WHERE application_name = %s AND pid <> pg_backend_pid() AND datname = current_database()"""
    return query, (name,)


def clear_stale_backends(
    conn: psycopg.Connection, inv: MigrateInvocation, wait_seconds: float = 10.0, pids: list[int] | None = None
) -> int:
    """Backends a killed runner of this tenant:service left behind (we hold the lock, so they are orphans).

    The server notices a vanished client at the next client_connection_check_interval tick; wait for that,
    then terminate whatever is still there so its locks cannot block the recovery. ``pids``: the first look,
    when the caller already took it (in its batch of reads).
    """
    query, params = _stale_query(inv)
    deadline = time.monotonic() + wait_seconds
    while True:
        if pids is None:
            pids = [row[0] for row in conn.execute(query, params).fetchall()]
        if not pids:
            return 0
        if time.monotonic() > deadline:
            for pid in pids:
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
            log.warning("terminated %d orphaned backend(s) of a previous runner", len(pids))
            return len(pids)
        time.sleep(0.2)
        pids = None


def _open_work_connection(rt: Runtime, inv: MigrateInvocation, stack: ExitStack) -> psycopg.Connection:
    return prepare_work_connection(stack.enter_context(db.connect(rt.dsn, inv.database, app_name("migrate", inv))))


def prepare_work_connection(conn: psycopg.Connection) -> psycopg.Connection:
    # if this runner is killed, the server aborts its statement within a second instead of finishing it
    conn.execute("SET client_connection_check_interval = 1000")
    state.ensure_bookkeeping(conn)
    return conn


@dataclass(frozen=True, slots=True)
class Connections:
    """One database's lock and work connections, opened once and shared by the steps a tenant run has there:
    connecting (a server process each) was most of a small step's cost."""

    lock: psycopg.Connection
    work: psycopg.Connection


def run_step_on(
    req: MigrateRequest, rt: Runtime, metrics: Metrics, migrations: MigrationSet, conns: Connections
) -> MigrateResult:
    """:func:`run`'s locked part on connections the caller holds: the same lock, recovery, plan, backup and apply. The
    work connection takes this step's application_name, which is what recovery looks for after a kill."""
    inv = req.invocation
    take_lock(rt, inv, conns.lock)
    try:
        name = f"{db.APP_PREFIX}:{app_name('migrate', inv)}"[:63]
        conns.work.execute("SELECT set_config('application_name', %s, false)", (name,))
        rt.stop.watch(conns.work)
        try:
            return _locked_run(req, rt, metrics, conns.work, migrations)
        finally:
            rt.stop.watch(None)
    finally:
        if not conns.lock.closed and not conns.lock.broken:
            locks.unlock(conns.lock, locks.lock_key(inv.tenant, inv.service))


@dataclass(frozen=True, slots=True)
class _Found:
    """What a locked run reads first, in one round trip: the schemas' registry rows and any orphaned backend."""

    rows: dict[str, state.RegistryRow]
    stale: list[int]


def _check_schemas(conn: psycopg.Connection, inv: MigrateInvocation) -> _Found:
    """Register each schema that exists (a ``pending`` row), read the rows and look for a dead runner's
    backends, pipelined: one round trip however many schemas the step has."""
    with conn.pipeline():
        for schema in inv.schemas:
            state.register_schema(conn, schema, inv.service, if_exists=True)
        found = state.schemas_with_rows(conn, inv.schemas)
        stale = conn.execute(*_stale_query(inv))
        by_schema = {name: (exists, row) for name, exists, row in found.fetchall()}
        pids = [row[0] for row in stale.fetchall()]
    rows: dict[str, state.RegistryRow] = {}
    for schema in inv.schemas:
        exists, row = by_schema[schema]
        if not exists:
            raise DatabaseError(f"schema {schema} does not exist in {inv.database}: run relc-migrate provision first")
        if row is None:
            raise DatabaseError(f"schema {schema} has no registry row after registering it")
        if row.service != inv.service:
            raise UsageError(f"schema {schema} belongs to service {row.service}, not {inv.service}")
        rows[schema] = row
    return _Found(rows, pids)


def _desired(req: MigrateRequest, rows: dict[str, state.RegistryRow]) -> semver.Version:
    inv = req.invocation
    if req.mode == "retry":
        failed = [r for r in rows.values() if r.status in ("failed", "blocked", "migrating")]
        if not failed:
            statuses = ", ".join(f"{r.schema_name}={r.status}" for r in rows.values())
            raise UsageError(f"nothing to retry: no schema is failed or blocked ({statuses})")
        return _version(failed[0].desired_version or inv.desired_version, "desired version")
    desired = _version(inv.desired_version, "desired version")
    if req.mode == "rollback":
        for row in rows.values():
            if row.current_version is not None and parse_version(row.current_version) < desired:
                raise UsageError(
                    f"rollback target {desired} is newer than schema {row.schema_name}'s current version "
                    f"{row.current_version}; use migrate to upgrade"
                )
    return desired


def _check_dependencies(
    rt: Runtime, inv: MigrateInvocation, conn: psycopg.Connection, migrations: MigrationSet
) -> list[str]:
    if not migrations.requires:
        return []
    target = inv.dependency_database or inv.database
    if target == inv.database:
        return unmet_requirements(conn, migrations.requires, target)
    with db.connect(rt.dsn, target, app_name("deps", inv)) as dep_conn:
        ownership.verify(dep_conn, inv.tenant, target)
        return unmet_requirements(dep_conn, migrations.requires, target)


def load_migrations(inv: MigrateInvocation) -> MigrationSet:
    """The service's whole migrations folder, linted (MigrationFilesError when it has errors)."""
    return load_folder(Path(inv.migrations_dir or default_migrations_dir(inv.service)), inv.service)


def run(req: MigrateRequest, rt: Runtime, metrics: Metrics) -> MigrateResult:
    """The whole run; raises a typed error (see errors.py) for every outcome but success.

    The database is verified (not a template, recorded as the tenant's) on the lock connection *before* the run
    queues for a cluster slot: a refused run never holds, or waits for, one of the cluster's few slots."""
    inv = req.invocation
    validate_invocation(inv)
    if req.mode != "retry":
        _version(inv.desired_version, "desired version")
    migrations = load_migrations(inv)
    with ExitStack() as stack:
        lock = stack.enter_context(db.connect(rt.dsn, inv.database, app_name("lock", inv)))
        verify_database(rt, inv, lock)
        stack.enter_context(cluster_slot(rt, inv.tenant, inv.service, inv.slot_wait_seconds, metrics))
        take_lock(rt, inv, lock)
        conn = _open_work_connection(rt, inv, stack)
        rt.stop.watch(conn)
        stack.callback(rt.stop.watch, None)
        return _locked_run(req, rt, metrics, conn, migrations)
    raise AssertionError("unreachable")  # pragma: no cover  (ExitStack does not swallow exceptions)


def _locked_run(
    req: MigrateRequest, rt: Runtime, metrics: Metrics, conn: psycopg.Connection, migrations: MigrationSet
) -> MigrateResult:
    inv = req.invocation
    found = _check_schemas(conn, inv)
    rows = found.rows
    clear_stale_backends(conn, inv, pids=found.stale)
    recovered = [s for s, r in rows.items() if r.status == "migrating"]
    if recovered:
        log.warning("recovering %s: left 'migrating' by a runner that is gone", ", ".join(recovered))
    desired = _desired(req, rows)
    result = MigrateResult(str(desired), inv.dry_run, recovered=bool(recovered))
    applied = state.applied_files_of(conn, inv.schemas)
    plans = [plan_from(applied[s], migrations, s, desired, rows[s].current_version) for s in inv.schemas]
    if any(p.direction == "up" for p in plans):
        reasons = _check_dependencies(rt, inv, conn, migrations)
        if reasons:
            if not inv.dry_run:
                for schema in inv.schemas:
                    state.set_status(conn, schema, "blocked", reason="; ".join(reasons), desired=str(desired))
            raise BlockedError("blocked: " + "; ".join(reasons))
    if inv.dry_run:
        result.schemas = [dry_run(conn, rt, inv, migrations, p, str(desired)) for p in plans]
        return result
    if inv.backup_before_migration and any(p.direction != "none" for p in plans):
        result.backup = _backup(conn, rt, inv, plans, metrics, str(desired))
    who = Who(str(uuid.uuid4()), inv.service, rt.image, rt.job)
    for plan in plans:
        if _already_there(plan, rows[plan.schema], str(desired)):  # a no-op writes nothing, not even a time
            result.schemas.append(SchemaResult(plan.schema, plan.from_version, str(desired)))
            continue
        result.schemas.append(_execute_plan(conn, rt, who, inv, migrations, plan, str(desired)))
        metrics.at_version(tenant=inv.tenant, service=inv.service, schema=plan.schema, version=str(desired))
    return result


def _backup(
    conn: psycopg.Connection,
    rt: Runtime,
    inv: MigrateInvocation,
    plans: list[Plan],
    metrics: Metrics,
    desired: str,
) -> BackupResult:
    if not inv.backup_destination:
        raise UsageError("--backup needs --backup-destination")
    server_major = conn.info.server_version // 10000
    request = BackupRequest(
        dsn=rt.dsn, database=inv.database, schemas=tuple(p.schema for p in plans), tenant=inv.tenant,
        service=inv.service, from_version=plans[0].from_version or "none", destination=inv.backup_destination,
        server_major=server_major, timeout_seconds=inv.backup_timeout_seconds, retries=inv.backup_retries,
        pg_dump=rt.pg_dump,
    )  # fmt: skip
    started = time.monotonic()
    try:
        backup = run_backup(request, stop=rt.stop)
    except BackupFailed as err:
        metrics.backup(tenant=inv.tenant, outcome="failed", seconds=time.monotonic() - started)
        for plan in plans:
            state.set_status(conn, plan.schema, "blocked", reason=str(err), desired=desired)
        raise
    metrics.backup(tenant=inv.tenant, outcome="success", seconds=backup.seconds)
    log.info("backup written to %s in %.1fs", backup.location, backup.seconds)
    return backup


def _already_there(plan: Plan, row: state.RegistryRow, desired: str) -> bool:
    """Nothing to apply or revert and the registry already says ``complete`` at ``desired``."""
    nothing = plan.direction == "none" and plan.revert_init is None
    return nothing and row.status == "complete" and row.current_version == desired == row.desired_version


def reached_version(conn: psycopg.Connection, schema: str, migrations: MigrationSet) -> str | None:
    """The newest version whose files (and every older version's) are all applied to ``schema``: what the
    registry's current_version says after a run stopped part-way, so it never lags the history."""
    applied = state.applied_files(conn, schema)
    reached = None
    for version in sorted({f.version for f in migrations.files}):
        if not all(f.name in applied for f in migrations.files if f.version == version):
            break
        reached = version
    return None if reached is None else str(reached)


def _execute_plan(
    conn: psycopg.Connection,
    rt: Runtime,
    who: Who,
    inv: MigrateInvocation,
    migrations: MigrationSet,
    plan: Plan,
    desired: str,
) -> SchemaResult:
    result = SchemaResult(plan.schema, plan.from_version, desired)
    limits = _limits(inv)
    state.set_status(conn, plan.schema, "migrating", desired=desired)
    try:
        for row in plan.down:
            log.info("%s: rolling back %s", plan.schema, row.file)
            revert_file(conn, rt, who, plan.schema, row, limits)
            result.rolled_back.append(row.file)
        if plan.revert_init is not None:
            state.mark_rolled_back(conn, plan.revert_init.id)
        for file in plan.up:
            log.info("%s: applying %s", plan.schema, file.name)
            if apply_file(conn, rt, who, plan.schema, file, limits):
                result.resumed.append(file.name)
            result.applied.append(file.name)
        if plan.init_data and migrations.init_data is not None:
            apply_init_data(conn, rt, who, plan.schema, migrations.init_data, desired, limits)
            result.applied.append(migrations.init_data.display.split("/", 1)[1])
    except MigrationFailed as err:
        reached = reached_version(conn, plan.schema, migrations) if result.applied or result.rolled_back else None
        state.set_status(conn, plan.schema, "failed", reason=str(err), desired=desired, current=reached)
        rt.stop.check()
        raise
    except BaseException:
        if not conn.closed and not conn.broken:
            moved = result.applied or result.rolled_back
            reached = reached_version(conn, plan.schema, migrations) if moved else None
            state.set_status(conn, plan.schema, "pending", reason="interrupted; run again to continue", current=reached)
        raise
    state.set_status(conn, plan.schema, "complete", current=desired, desired=desired)
    return result


def dry_run(
    conn: psycopg.Connection,
    rt: Runtime,
    inv: MigrateInvocation,
    migrations: MigrationSet,
    plan: Plan,
    desired: str,
) -> SchemaResult:
    """Run the plan inside one transaction that is always rolled back; report the catalog diff.

    No history, no registry change: the database is left exactly as it was. No-transaction files cannot run
    inside the transaction; they are listed as skipped.
    """
    result = SchemaResult(plan.schema, plan.from_version, desired)
    steps: list[tuple[str, tuple[Statement, ...]]] = []
    for row in plan.down:
        down_statements, _ = split_statements(row.rollback_sql or "", row.file, 1)
        (result.skipped_in_dry_run if row.no_transaction else result.rolled_back).append(row.file)
        if not row.no_transaction:
            steps.append((row.file, tuple(down_statements)))
    for file in plan.up:
        (result.skipped_in_dry_run if file.no_transaction else result.applied).append(file.name)
        if not file.no_transaction:
            steps.append((file.name, file.up))
    if plan.init_data and migrations.init_data is not None:
        steps.append(("init_data.sql", migrations.init_data.statements))
        result.applied.append("init_data.sql")
    limits = _limits(inv)
    with conn.transaction(force_rollback=True):
        before = snapshot(conn, plan.schema)
        for name, statements in steps:
            try:
                # nested: a savepoint per file inside the outer transaction that is always rolled back
                in_transaction(conn, rt, plan.schema, name, statements, limits, lambda done: None)
            except StatementFailed as err:
                raise MigrationFailed(f"{inv.service}/{name} (dry run)", err.statement, err.error) from None
        after = snapshot(conn, plan.schema)
    result.changes = compare(before, after)
    return result
