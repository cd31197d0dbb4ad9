"""registry-sync: the compiled ServiceVersionRegistry file into ``infra.service_versions``, idempotently.

The compiler renders the file (format: ``contract.ServiceVersionRegistryFile``); this module parses it
strictly (a typo must not silently delete rows) and upserts it in one transaction. Rows of the instances
named in the file that the file no longer lists are deleted in that same transaction; other instances are
left alone, so one instance's sync never touches another's rows.

An Instance's registry too large for one ConfigMap comes as shards (``shard: {index, count}`` in each file):
they are loaded together, and only a complete set (every index once, one count) is synced, since a missing
shard would drop its tenants from the rows, and its entries' rows, silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
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


@dataclass(frozen=True, slots=True)
class Part:
    """One registry file: its entries and, for a shard, ``(index, count)``."""

    entries: list[Entry]
    shard: tuple[int, int] | None


def _shard(raw: Any) -> tuple[int, int]:
    if not isinstance(raw, dict) or set(raw) != {"index", "count"}:
        raise UsageError("registry file: shard must have exactly the keys index and count")
    index, count = raw["index"], raw["count"]
    if type(index) is not int or type(count) is not int or not 0 <= index < count:
        raise UsageError(f"registry file: shard index {index!r} of count {count!r} is not 0 <= index < count")
    return index, count


def parse_part(text: str) -> Part:
    """One registry file, or one shard of one; UsageError naming the first problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise UsageError(f"registry file is not JSON: {err.msg} at line {err.lineno}") from None
    keys = {"apiVersion", "kind", "entries"}
    if not isinstance(data, dict) or set(data) - {"shard"} != keys:
        raise UsageError("registry file must be an object with exactly apiVersion, kind, entries (and shard)")
    if data["apiVersion"] != REGISTRY_API_VERSION or data["kind"] != REGISTRY_KIND:
        raise UsageError(f"registry file must be apiVersion {REGISTRY_API_VERSION}, kind {REGISTRY_KIND}")
    if not isinstance(data["entries"], list):
        raise UsageError("registry file: entries must be a list")
    entries = [_entry(raw, i) for i, raw in enumerate(data["entries"])]
    keys_seen = [e.key for e in entries]
    if len(set(keys_seen)) != len(keys_seen):
        raise UsageError("registry file: an (instance, service, version) appears twice")
    return Part(entries, _shard(data["shard"]) if "shard" in data else None)


def parse_registry(text: str) -> list[Entry]:
    """Entries of a registry file; UsageError naming the first problem."""
    return merge([parse_part(text)])


def merge(parts: list[Part]) -> list[Entry]:
    """One registry from one file, or from every shard of one: entries of the same (instance, service, version)
    in several shards become one, with the union of their tenants. Refuses an incomplete or mixed set."""
    sharded = [p.shard for p in parts if p.shard is not None]
    if len(parts) > 1 or sharded:
        if len(sharded) != len(parts):
            raise UsageError("registry files: several files must all be shards of one registry")
        counts = {count for _, count in sharded}
        if len(counts) != 1 or sorted(index for index, _ in sharded) != list(range(counts.pop())):
            have = ", ".join(f"{index} of {count}" for index, count in sorted(sharded))
            raise UsageError(f"registry files: not one complete set of shards (have {have}): nothing synced")
    merged: dict[tuple[str, str, str], Entry] = {}
    for entry in (e for p in parts for e in p.entries):
        seen = merged.get(entry.key)
        if seen is None:
            merged[entry.key] = entry
            continue
        if (seen.cluster, seen.environment, seen.candidates) != (entry.cluster, entry.environment, entry.candidates):
            what = "/".join(entry.key)
            raise UsageError(f"registry files: shards disagree on {what} (cluster, environment or candidates)")
        merged[entry.key] = replace(seen, tenants=tuple(sorted({*seen.tenants, *entry.tenants})))
    return [merged[key] for key in sorted(merged)]


def load_registry(paths: list[Path]) -> list[Entry]:
    """The registry in ``paths``: one file, or every shard of one."""
    parts = []
    for path in paths:
        try:
            parts.append(parse_part(path.read_text(encoding="utf-8")))
        except OSError as err:
            raise UsageError(f"cannot read registry file {path}: {err.strerror}") from None
    return merge(parts)


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
