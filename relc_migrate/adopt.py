"""baseline and repair: the two commands that change the migration history without running a migration.

Both are what Flyway, Atlas and Alembic operators reach for, and both are dangerous, so both run under the same
guards as ``migrate`` (the database is the tenant's, proved by ``relc.owner``; the tenant:service lock is held)
and leave a ``relc.audit`` row naming the Job, the image and the operator's ``--reason``.

- ``baseline`` adopts a schema whose objects already exist (an existing fleet moving onto relc): every file up
  to the given version is recorded as applied *by baseline* (``baselined``; nothing is run), with its ROLLBACK
  section stored as usual, and the registry says ``complete`` at that version. Refused if the schema has any
  history: baselining over real history would hide what ran.
- ``repair`` realigns the stored checksums of applied files with the folder after an agreed edit (drift
  otherwise refuses every run) and removes ``failed`` history rows (a failed schema returns to ``pending``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import semver

from relc_contract import MigrateInvocation, default_migrations_dir
from relc_migrate import db, state
from relc_migrate.errors import UsageError
from relc_migrate.execute import Who, attempt_for
from relc_migrate.files import CHECKSUM_NORMALISATION, INIT_DATA_FILE
from relc_migrate.folder import MigrationSet, load_folder, parse_version
from relc_migrate.migrate import app_name, tenant_lock, validate_invocation
from relc_migrate.runtime import Runtime


@dataclass
class AdoptResult:
    recorded: list[str] = field(default_factory=list)  #: baseline: files recorded as applied, per schema
    realigned: list[str] = field(default_factory=list)  #: repair: files whose checksum was realigned
    removed_failed: list[str] = field(default_factory=list)  #: repair: failed entries removed


@contextmanager
def _locked(inv: MigrateInvocation, rt: Runtime) -> Iterator[tuple[psycopg.Connection, MigrationSet]]:
    """Checked names, the lint-clean folder, the proved and locked database, bookkeeping present."""
    validate_invocation(inv)
    migrations = load_folder(Path(inv.migrations_dir or default_migrations_dir(inv.service)), inv.service)
    with ExitStack() as stack:
        tenant_lock(rt, inv, stack)  # verifies relc.owner before taking the lock
        conn = stack.enter_context(db.connect(rt.dsn, inv.database, app_name("migrate", inv)))
        state.ensure_bookkeeping(conn)
        yield conn, migrations


def _audit(conn: psycopg.Connection, rt: Runtime, action: str, schema: str, detail: str, reason: str) -> None:
    conn.execute(
        """INSERT INTO relc.audit (action, schema_name, detail, reason, run_by_job, run_by_image)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (action, schema, detail, reason, rt.job, rt.image),
    )


def _version(text: str) -> semver.Version:
    try:
        return parse_version(text)
    except ValueError:
        raise UsageError(f"baseline version {text!r} is not a semantic version (e.g. 2.1.0)") from None


def _reason(reason: str) -> str:
    if not reason.strip():
        raise UsageError("--reason must say who agreed to this and why")
    return reason.strip()


def baseline(inv: MigrateInvocation, rt: Runtime, reason: str, run_id: str) -> AdoptResult:
    """Record every file up to ``inv.desired_version`` as applied by baseline, in every schema, or nothing."""
    why = _reason(reason)
    version = _version(inv.desired_version)
    result = AdoptResult()
    with _locked(inv, rt) as (conn, migrations), conn.transaction():
        files = [f for f in migrations.files if f.version <= version]
        who = Who(run_id, inv.service, rt.image, rt.job)
        for schema in inv.schemas:
            if not state.schema_exists(conn, schema):
                raise UsageError(f"schema {schema} does not exist in {inv.database}: baseline adopts existing objects")
            rows = conn.execute("SELECT count(*) FROM relc.migration_history WHERE schema_name = %s", (schema,))
            count = (rows.fetchone() or (0,))[0]
            if count:
                raise UsageError(
                    f"schema {schema} already has migration history ({count} rows): baseline only adopts a "
                    "schema relc-migrate never migrated"
                )
            state.register_schema(conn, schema, inv.service)
            for file in files:
                row_id = state.insert_history(
                    conn, attempt_for(who, schema, file), "applied", applied=0, started=time.monotonic()
                )
                conn.execute("UPDATE relc.migration_history SET baselined = true WHERE id = %s", (row_id,))
                result.recorded.append(f"{schema}/{file.name}")
            if migrations.init_data is not None and files:  # its data came with the adopted objects
                init = state.Attempt(
                    run_id=run_id, service=inv.service, schema=schema, version=str(version), file=INIT_DATA_FILE,
                    direction="init", checksum=migrations.init_data.checksum, normalisation=CHECKSUM_NORMALISATION,
                    no_transaction=False, statements_total=len(migrations.init_data.statements), rollback_sql=None,
                    image=rt.image, job=rt.job,
                )  # fmt: skip
                row_id = state.insert_history(conn, init, "applied", applied=0, started=time.monotonic())
                conn.execute("UPDATE relc.migration_history SET baselined = true WHERE id = %s", (row_id,))
                result.recorded.append(f"{schema}/{INIT_DATA_FILE}")
            detail = f"at {version}: {len(files)} file(s) recorded as applied by baseline, not run"
            _audit(conn, rt, "baseline", schema, detail, why)
            state.set_status(conn, schema, "complete", current=str(version), desired=str(version))
    return result


def repair(inv: MigrateInvocation, rt: Runtime, reason: str) -> AdoptResult:
    """Realign checksums of applied files that changed in the folder; remove failed entries. Audited."""
    why = _reason(reason)
    result = AdoptResult()
    with _locked(inv, rt) as (conn, migrations), conn.transaction():
        files = migrations.by_name()
        for schema in inv.schemas:
            for name, row in sorted(state.applied_files(conn, schema).items()):
                file = files.get(name)
                now = migrations.init_data.checksum if row.direction == "init" and migrations.init_data else None
                now = file.checksum if file is not None else now
                if now is None or now == row.checksum:
                    continue
                conn.execute(
                    "UPDATE relc.migration_history SET checksum = %s, checksum_normalisation = %s WHERE id = %s",
                    (now, CHECKSUM_NORMALISATION, row.id),
                )
                detail = f"{inv.service}/{name}: checksum {row.checksum[:12]} -> {now[:12]}"
                _audit(conn, rt, "repair-checksum", schema, detail, why)
                result.realigned.append(f"{schema}/{name}")
            failed = conn.execute(
                "DELETE FROM relc.migration_history WHERE schema_name = %s AND state = 'failed' RETURNING id, file",
                (schema,),
            ).fetchall()
            for row_id, name in sorted(failed):
                _audit(conn, rt, "repair-remove-failed", schema, f"{inv.service}/{name}: failed entry {row_id}", why)
                result.removed_failed.append(f"{schema}/{name}")
            if failed:
                conn.execute(
                    """UPDATE relc.schema_registry SET status = 'pending', status_reason = %s, updated_at = now()
                       WHERE schema_name = %s AND status = 'failed'""",
                    (f"repaired: {why}", schema),
                )
    return result
