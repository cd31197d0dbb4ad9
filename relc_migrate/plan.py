"""What a run will do to one schema: files to apply or revert, after the drift and ordering checks.

Planning reads only the history table and the folder, under the tenant:service lock, and refuses rather than
guesses: an applied file that changed or vanished is drift, an unapplied file older than an applied one is an
ordering error. Neither is ever skipped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import psycopg
import semver

from relc_migrate import state
from relc_migrate.errors import DriftError, OutOfOrderError
from relc_migrate.files import INIT_DATA_FILE, MigrationFile, parse_file_name
from relc_migrate.folder import MigrationSet, Requirement, parse_version


@dataclass
class Plan:
    schema: str
    from_version: str | None
    up: list[MigrationFile] = field(default_factory=list)
    down: list[state.HistoryRow] = field(default_factory=list)  #: newest first
    init_data: bool = False
    revert_init: state.HistoryRow | None = None  #: init_data's row, when every file is rolled back

    @property
    def direction(self) -> Literal["up", "down", "none"]:
        if self.down:
            return "down"
        return "up" if self.up or self.init_data else "none"


def history_key(row: state.HistoryRow) -> tuple[semver.Version, int]:
    parsed = parse_file_name(row.file)
    if parsed is None:  # written by relc-migrate itself, so this means a hand-edited history table
        return parse_version(row.version), 0
    return parsed[0], parsed[1]


def _check_drift(applied: dict[str, state.HistoryRow], migrations: MigrationSet, desired: semver.Version) -> None:
    files = migrations.by_name()
    for name, row in sorted(applied.items()):
        display = f"{migrations.service}/{name}"
        if row.direction == "init":
            current = migrations.init_data.checksum if migrations.init_data else None
            if current is not None and current != row.checksum:
                raise DriftError(_drift_message(display, row.checksum, current))
            continue
        file = files.get(name)
        if file is None:
            if parse_version(row.version) <= desired:
                raise DriftError(
                    f"drift: {display} was applied but is missing from the migrations folder; restore it "
                    "(applied files must stay in every later image)"
                )
            continue
        if file.checksum != row.checksum:
            raise DriftError(_drift_message(display, row.checksum, file.checksum))


def _drift_message(display: str, applied: str, now: str) -> str:
    return (
        f"drift: {display} changed after it was applied (checksum {applied[:12]} applied, {now[:12]} now); "
        "revert the edit and ship the change as a new migration file"
    )


def make_plan(
    conn: psycopg.Connection,
    migrations: MigrationSet,
    schema: str,
    desired: semver.Version,
    current: str | None,
) -> Plan:
    """The files to apply (oldest first) or revert (newest first) to bring ``schema`` to ``desired``."""
    return plan_from(state.applied_files(conn, schema), migrations, schema, desired, current)


def plan_from(
    applied: dict[str, state.HistoryRow],
    migrations: MigrationSet,
    schema: str,
    desired: semver.Version,
    current: str | None,
) -> Plan:
    """:func:`make_plan` from the files already read as applied (``state.applied_files_of`` reads several
    schemas' in one query)."""
    _check_drift(applied, migrations, desired)
    applied_up = [row for row in applied.values() if row.direction == "up"]
    plan = Plan(schema, current)
    plan.down = sorted(
        (row for row in applied_up if parse_version(row.version) > desired), key=history_key, reverse=True
    )
    pending = [f for f in migrations.files if f.name not in applied and f.version <= desired]
    if applied_up:
        newest = max(applied_up, key=history_key)
        for file in pending:
            if file.key < history_key(newest):
                raise OutOfOrderError(
                    f"{file.display} is older than {newest.file}, which is already applied to schema "
                    f"{schema}: it would never run; ship its change as a new file of a newer version"
                )
    if plan.down:
        if len(plan.down) == len(applied_up) and INIT_DATA_FILE in applied:
            plan.revert_init = applied[INIT_DATA_FILE]
        return plan
    plan.up = pending
    has_init = migrations.init_data is not None and INIT_DATA_FILE not in applied
    plan.init_data = has_init and bool(pending or applied_up)
    return plan


def unmet_requirements(conn: psycopg.Connection, requires: tuple[Requirement, ...], database: str) -> list[str]:
    """Why each requirement is unmet, read from the tenant's schema registry (empty: all met)."""
    present = conn.execute("SELECT to_regclass('relc.schema_registry') IS NOT NULL").fetchone()
    registry = bool(present and present[0])
    by_service: dict[str, list[tuple[str, str | None]]] = {}
    if registry:  # every required service's rows in one query
        for service, schema_name, current in conn.execute(
            """SELECT service, schema_name, current_version FROM relc.schema_registry
               WHERE service = ANY(%s) ORDER BY service, schema_name""",
            ([req.service for req in requires],),
        ).fetchall():
            by_service.setdefault(service, []).append((schema_name, current))
    reasons: list[str] = []
    for req in requires:
        rows = by_service.get(req.service, [])
        if not rows:
            reasons.append(f"requires {req.service} >= {req.min_version}, but {database} has no {req.service} schema")
        for schema_name, current in rows:
            if current is None or parse_version(current) < req.min_version:
                reasons.append(
                    f"requires {req.service} >= {req.min_version}, but schema {schema_name} in {database} is "
                    f"at {current or 'no version'}"
                )
    return reasons
