"""``--status FILE``: what relc-migrate says the tenant databases actually run, for the report to set beside the
versions the fleet pins.

The file is the JSON ``relc-migrate status --all --json`` prints (``relc_migrate.status.DatabaseStatus.as_json``):
a list of ``{"database", "provisioned", "schemas": [{"schema", "service", "current_version", "desired_version",
"status", "reason", "last_migrated_at", "retention_expires_at"}]}``. The compiler never imports relc_migrate, so
the shape is checked here, strictly: a typo must not silently show every tenant as "not provisioned". A file
that is not that shape is RLC804 at the offending field (positions found by relc's own YAML reader, JSON being
YAML, only when there is something to report: a large status file is parsed by ``json`` alone).

One status file describes one PostgreSQL server, i.e. one Instance: ``INSTANCE=FILE`` says which; a bare FILE
applies to every Instance (a fleet of one Instance, or tenant names unique across Instances).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compiler.diagnostics import Diagnostic
from compiler.load.documents import field_path
from compiler.load.yamlread import FieldPath, Limits, locate

STATUSES = ("pending", "migrating", "complete", "failed", "blocked")
"""relc-migrate's schema registry states (README: relc-migrate); failed and blocked are what the report flags."""
TROUBLE = frozenset({"failed", "blocked"})
MAX_STATUS_BYTES = 256 << 20
"""A status file of 10,000 tenants with twenty schemas each is ~40 MB; anything far beyond is not one."""
_FIELDS = {"database": str, "provisioned": bool, "schemas": list}
_SCHEMA_FIELDS = (
    "schema",
    "service",
    "current_version",
    "desired_version",
    "status",
    "reason",
    "last_migrated_at",
    "retention_expires_at",
)
_HINT = "pass the output of 'relc-migrate status --all --json' (one Instance's server) unchanged"


@dataclass(frozen=True, slots=True)
class SchemaState:
    """One row of a tenant database's schema registry."""

    schema: str
    service: str
    current_version: str | None
    desired_version: str | None
    status: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class DatabaseState:
    database: str
    provisioned: bool
    schemas: Mapping[str, SchemaState]
    """schema name → its row"""


@dataclass(frozen=True, slots=True)
class StatusFile:
    """One parsed status file: the Instance it describes (None: every Instance) and its databases by name."""

    instance: str | None
    databases: Mapping[str, DatabaseState]


class _Bad(ValueError):
    def __init__(self, path: FieldPath, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def parse_status(shown: str, text: str, instance: str | None) -> tuple[StatusFile | None, list[Diagnostic]]:
    """The databases of one status file (``shown``: its name in messages), or RLC804 saying what is wrong where."""
    if len(text) > MAX_STATUS_BYTES:
        return None, [_diagnostic(shown, 0, 0, (), f"file is {len(text)} bytes, over {MAX_STATUS_BYTES}")]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [_diagnostic(shown, exc.lineno, exc.colno, (), f"not JSON: {exc.msg}")]
    try:
        databases = _databases(data)
    except _Bad as bad:
        limits = Limits(max_bytes=len(text) + 1, max_nodes=len(text) + 1, max_depth=64)
        line, column = locate(text, bad.path, limits=limits)
        return None, [_diagnostic(shown, line, column, bad.path, bad.message)]
    return StatusFile(instance, databases), []


def _diagnostic(shown: str, line: int, column: int, path: FieldPath, message: str) -> Diagnostic:
    return Diagnostic(
        shown, line, column, "RLC804", f"not a relc-migrate status file: {message}", _HINT, field_path(path)
    )


def _databases(data: Any) -> dict[str, DatabaseState]:
    if not isinstance(data, list):
        raise _Bad((), f"expected a list of databases, found {_kind(data)}")
    found: dict[str, DatabaseState] = {}
    for index, raw in enumerate(data):
        where: FieldPath = (index,)
        if not isinstance(raw, dict):
            raise _Bad(where, f"expected a database object, found {_kind(raw)}")
        for name, kind in _FIELDS.items():
            if name not in raw:
                raise _Bad(where, f"database has no '{name}'")
            if not isinstance(raw[name], kind):
                raise _Bad((index, name), f"'{name}' must be a {kind.__name__}, found {_kind(raw[name])}")
        extra = sorted(set(raw) - set(_FIELDS))
        if extra:
            raise _Bad((index, extra[0]), f"unknown field '{extra[0]}'")
        if raw["database"] in found:
            raise _Bad((index, "database"), f"database '{raw['database']}' is listed twice")
        rows = [_schema((index, "schemas", n), row) for n, row in enumerate(raw["schemas"])]
        found[raw["database"]] = DatabaseState(raw["database"], raw["provisioned"], {r.schema: r for r in rows})
    return found


def _schema(where: FieldPath, raw: Any) -> SchemaState:
    if not isinstance(raw, dict):
        raise _Bad(where, f"expected a schema object, found {_kind(raw)}")
    for name in _SCHEMA_FIELDS:
        if name not in raw:
            raise _Bad(where, f"schema has no '{name}'")
        value = raw[name]
        required = name in ("schema", "service", "status")
        if not (isinstance(value, str) or (value is None and not required)):
            wanted = "a string" if required else "a string or null"
            raise _Bad((*where, name), f"'{name}' must be {wanted}, found {_kind(value)}")
    extra = sorted(set(raw) - set(_SCHEMA_FIELDS))
    if extra:
        raise _Bad((*where, extra[0]), f"unknown field '{extra[0]}'")
    if raw["status"] not in STATUSES:
        raise _Bad((*where, "status"), f"status '{raw['status']}' is not one of {', '.join(STATUSES)}")
    return SchemaState(
        raw["schema"], raw["service"], raw["current_version"], raw["desired_version"], raw["status"], raw["reason"]
    )


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
