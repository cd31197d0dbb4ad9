"""registry-sync: the compiled ServiceVersionRegistry file into ``infra.service_versions``, idempotently.

The compiler renders the file (format: ``contract.ServiceVersionRegistryFile``); this module parses it
strictly (a typo must not silently delete rows) and upserts it in one transaction. Rows of the instances
named in the file that the file no longer lists are deleted in that same transaction; other instances are
left alone, so one instance's sync never touches another's rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import psycopg
import semver

from relc_contract import (
    REGISTRY_API_VERSION,
    REGISTRY_COLUMNS,
    REGISTRY_DDL,
    REGISTRY_KIND,
    ServiceVersionEntry,
    registry_upsert,
)
from relc_migrate.errors import UsageError

DDL: Final = REGISTRY_DDL
_UPSERT: Final = registry_upsert("(" + ", ".join(["%s"] * len(REGISTRY_COLUMNS)) + ")") + "\nRETURNING (xmax = 0)"
"""The shared upsert (relc_contract.registry_upsert), one row of placeholders; RETURNING tells inserted from updated."""
_FIELDS: Final = ("instance", "cluster", "environment", "service", "version", "candidates", "tenants")


@dataclass(frozen=True, slots=True)
class Entry:
    instance: str
    cluster: str
    environment: str
    service: str
    version: str
    candidates: tuple[str, ...]
    tenants: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.instance, self.service, self.version)


def _entry(raw: Any, index: int) -> Entry:
    where = f"entries[{index}]"
    if not isinstance(raw, dict) or set(raw) != set(_FIELDS):
        keys = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise UsageError(f"registry file: {where} must have exactly the keys {', '.join(_FIELDS)} (got {keys})")
    for name in _FIELDS[:5]:
        if not isinstance(raw[name], str) or not raw[name]:
            raise UsageError(f"registry file: {where}.{name} must be a non-empty string")
    for name in _FIELDS[5:]:
        if not isinstance(raw[name], list) or not all(isinstance(x, str) for x in raw[name]):
            raise UsageError(f"registry file: {where}.{name} must be a list of strings")
    if not semver.Version.is_valid(raw["version"]):
        raise UsageError(f"registry file: {where}.version {raw['version']!r} is not semver (no leading v)")
    typed: ServiceVersionEntry = raw  # type: ignore[assignment]  # checked field by field above
    return Entry(
        typed["instance"], typed["cluster"], typed["environment"], typed["service"], typed["version"],
        tuple(typed["candidates"]), tuple(typed["tenants"]),
    )  # fmt: skip


def parse_registry(text: str) -> list[Entry]:
    """Entries of a registry file; UsageError naming the first problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise UsageError(f"registry file is not JSON: {err.msg} at line {err.lineno}") from None
    if not isinstance(data, dict) or set(data) != {"apiVersion", "kind", "entries"}:
        raise UsageError("registry file must be an object with exactly apiVersion, kind and entries")
    if data["apiVersion"] != REGISTRY_API_VERSION or data["kind"] != REGISTRY_KIND:
        raise UsageError(f"registry file must be apiVersion {REGISTRY_API_VERSION}, kind {REGISTRY_KIND}")
    if not isinstance(data["entries"], list):
        raise UsageError("registry file: entries must be a list")
    entries = [_entry(raw, i) for i, raw in enumerate(data["entries"])]
    keys = [e.key for e in entries]
    if len(set(keys)) != len(keys):
        raise UsageError("registry file: an (instance, service, version) appears twice")
    return entries


def load_registry(path: Path) -> list[Entry]:
    try:
        return parse_registry(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(f"cannot read registry file {path}: {err.strerror}") from None


@dataclass(frozen=True, slots=True)
class SyncResult:
    inserted: int
    updated: int
    unchanged: int
    deleted: int


def sync(conn: psycopg.Connection, entries: list[Entry]) -> SyncResult:
    """Upsert ``entries`` and delete vanished rows of their instances, all in one transaction."""
    inserted = updated = unchanged = 0
    with conn.transaction():
        for statement in DDL:
            conn.execute(statement)
        for e in entries:
            row = conn.execute(
                _UPSERT,
                (
                    e.instance,
                    e.service,
                    e.version,
                    e.cluster,
                    e.environment,
                    list(e.candidates),
                    list(e.tenants),
                ),
            ).fetchone()
            if row is None:
                unchanged += 1
            elif row[0]:
                inserted += 1
            else:
                updated += 1
        instances = sorted({e.instance for e in entries})
        cur = conn.execute(
            """DELETE FROM infra.service_versions
               WHERE instance = ANY(%s)
                 AND (instance, service, version) NOT IN (
                     SELECT * FROM unnest(%s::text[], %s::text[], %s::text[]))""",
            (
                instances,
                [e.instance for e in entries],
                [e.service for e in entries],
                [e.version for e in entries],
            ),
        )
        deleted = cur.rowcount
    return SyncResult(inserted, updated, unchanged, deleted)
