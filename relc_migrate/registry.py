"""registry-sync: the compiled ServiceVersionRegistry file into ``infra.service_versions``, idempotently.

The compiler renders the file (format: ``contract.ServiceVersionRegistryFile``: per Instance, its candidates'
versions and one line per tenant naming its candidate); this module parses it strictly (a typo must not
silently delete rows), expands it into the table's rows with ``contract.registry_entries`` (the one definition
of what the file means, which the compiler's SQL file is tested against) and upserts them in one transaction.
Rows of the instances named in the file that it no longer means are deleted in that same transaction; other
instances are left alone, so one instance's sync never touches another's rows.

An Instance's registry too large for one ConfigMap comes as shards (``shard: {index, count}`` in each file):
they are loaded together, and only a complete set (every index once, one count) is synced, since a missing
shard would drop its tenants from the rows silently. Each shard repeats the Instance's candidates and holds the
tenants whose name hashes to it (``contract.shard_of``): a tenant in another shard is refused.
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
    RegistryInstance,
    registry_entries,
    registry_upsert,
    shard_of,
)
from relc_migrate.errors import UsageError

DDL: Final = REGISTRY_DDL
_UPSERT: Final = (
    registry_upsert("VALUES (" + ", ".join(["%s"] * len(REGISTRY_COLUMNS)) + ")") + "\nRETURNING (xmax = 0)"
)
"""The shared upsert (relc_contract.registry_upsert), one row of placeholders; RETURNING tells inserted from updated."""
_INSTANCE_FIELDS: Final = ("instance", "cluster", "environment", "candidates", "shared", "tenants")


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


@dataclass(frozen=True, slots=True)
class Registry:
    """What one sync writes: the rows, and the instances whose rows it owns (an instance the file names without
    any row still has its old rows deleted)."""

    instances: tuple[str, ...]
    entries: list[Entry]


def _text(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw:
        raise UsageError(f"registry file: {where} must be a non-empty string")
    return raw


def _texts(raw: Any, where: str) -> dict[str, str]:
    """A JSON object of non-empty strings (duplicate keys were refused while parsing)."""
    if not isinstance(raw, dict):
        raise UsageError(f"registry file: {where} must be an object")
    return {_text(key, f"{where} key"): _text(value, f"{where}.{key}") for key, value in raw.items()}


def _instance(raw: Any, index: int) -> RegistryInstance:
    where = f"instances[{index}]"
    if not isinstance(raw, dict) or set(raw) != set(_INSTANCE_FIELDS):
        keys = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise UsageError(
            f"registry file: {where} must have exactly the keys {', '.join(_INSTANCE_FIELDS)} (got {keys})"
        )
    name = _text(raw["instance"], f"{where}.instance")
    if not isinstance(raw["candidates"], dict):
        raise UsageError(f"registry file: {where}.candidates must be an object")
    candidates: dict[str, dict[str, str]] = {}
    for candidate, versions in raw["candidates"].items():
        at = f"{where}.candidates.{candidate}"
        candidates[_text(candidate, f"{where}.candidates key")] = _texts(versions, at)
        for service, version in candidates[candidate].items():
            if not semver.Version.is_valid(version):
                raise UsageError(f"registry file: {at}.{service} {version!r} is not semver (no leading v)")
    shared = raw["shared"]
    if not isinstance(shared, list) or not all(isinstance(c, str) and c in candidates for c in shared):
        raise UsageError(f"registry file: {where}.shared must list names of its candidates")
    if not isinstance(raw["tenants"], dict):
        raise UsageError(f"registry file: {where}.tenants must be an object")
    tenants: dict[str, list[str]] = {}
    for tenant, used in raw["tenants"].items():
        at = f"{where}.tenants.{tenant}"
        if not tenant or not isinstance(used, list) or not used or len(set(used)) != len(used):
            raise UsageError(f"registry file: {at} must be a non-empty list of distinct candidates")
        for candidate in used:
            if not isinstance(candidate, str) or candidate not in candidates:
                raise UsageError(f"registry file: {at} uses {candidate!r}, which is not in candidates")
        tenants[tenant] = used
    return RegistryInstance(
        instance=name,
        cluster=_text(raw["cluster"], f"{where}.cluster"),
        environment=_text(raw["environment"], f"{where}.environment"),
        candidates=candidates,
        shared=list(shared),
        tenants=tenants,
    )


@dataclass(frozen=True, slots=True)
class Part:
    """One registry file: its instances and, for a shard, ``(index, count)``."""

    instances: list[RegistryInstance]
    shard: tuple[int, int] | None


def _shard(raw: Any) -> tuple[int, int]:
    if not isinstance(raw, dict) or set(raw) != {"index", "count"}:
        raise UsageError("registry file: shard must have exactly the keys index and count")
    index, count = raw["index"], raw["count"]
    if type(index) is not int or type(count) is not int or not 0 <= index < count:
        raise UsageError(f"registry file: shard index {index!r} of count {count!r} is not 0 <= index < count")
    return index, count


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads keeps the last of two equal keys silently; a tenant listed twice is refused instead."""
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = sorted({key for key in keys if keys.count(key) > 1})
        raise UsageError(f"registry file: the key {twice[0]!r} appears twice in one object")
    return dict(pairs)


def parse_part(text: str) -> Part:
    """One registry file, or one shard of one; UsageError naming the first problem."""
    try:
        data = json.loads(text, object_pairs_hook=_unique)
    except json.JSONDecodeError as err:
        raise UsageError(f"registry file is not JSON: {err.msg} at line {err.lineno}") from None
    if not isinstance(data, dict):
        raise UsageError("registry file must be a JSON object")
    if (data.get("apiVersion"), data.get("kind")) != (REGISTRY_API_VERSION, REGISTRY_KIND):
        raise UsageError(
            f"registry file must be apiVersion {REGISTRY_API_VERSION}, kind {REGISTRY_KIND} (got"
            f" {data.get('apiVersion')!r}, {data.get('kind')!r}): compile it with the relc matching this relc-migrate"
        )
    if set(data) - {"shard"} != {"apiVersion", "kind", "instances"}:
        raise UsageError("registry file must be an object with exactly apiVersion, kind, instances (and shard)")
    if not isinstance(data["instances"], list):
        raise UsageError("registry file: instances must be a list")
    instances = [_instance(raw, i) for i, raw in enumerate(data["instances"])]
    names = [part["instance"] for part in instances]
    if len(set(names)) != len(names):
        raise UsageError("registry file: an instance appears twice")
    return Part(instances, _shard(data["shard"]) if "shard" in data else None)


def parse_registry(text: str) -> Registry:
    """The registry of one file; UsageError naming the first problem."""
    return merge([parse_part(text)])


def merge(parts: list[Part]) -> Registry:
    """One registry from one file, or from every shard of one: an instance in several shards becomes one, with
    the union of their tenants (each in the shard its name hashes to). Refuses an incomplete or mixed set."""
    sharded = [p.shard for p in parts if p.shard is not None]
    if len(parts) > 1 or sharded:
        if len(sharded) != len(parts):
            raise UsageError("registry files: several files must all be shards of one registry")
        counts = {count for _, count in sharded}
        if len(counts) != 1 or sorted(index for index, _ in sharded) != list(range(counts.pop())):
            have = ", ".join(f"{index} of {count}" for index, count in sorted(sharded))
            raise UsageError(f"registry files: not one complete set of shards (have {have}): nothing synced")
    merged: dict[str, RegistryInstance] = {}
    for part in parts:
        for instance in part.instances:
            name = instance["instance"]
            if part.shard is not None:
                index, count = part.shard
                wrong = sorted(t for t in instance["tenants"] if shard_of(t, count) != index)
                if wrong:
                    raise UsageError(
                        f"registry files: tenant {name}/{wrong[0]} is in shard {index} of {count}, not its own"
                    )
            seen = merged.get(name)
            if seen is None:
                merged[name] = instance
                continue
            if _header(seen) != _header(instance):
                raise UsageError(
                    f"registry files: shards disagree on instance {name} (cluster, environment or candidates)"
                )
            merged[name] = {**seen, "tenants": {**seen["tenants"], **instance["tenants"]}}
    rows = registry_entries(merged[name] for name in sorted(merged))
    entries = [
        Entry(r["instance"], r["cluster"], r["environment"], r["service"], r["version"],
              tuple(r["candidates"]), tuple(r["tenants"]))
        for r in rows
    ]  # fmt: skip
    return Registry(tuple(sorted(merged)), entries)


def _header(instance: RegistryInstance) -> tuple[object, ...]:
    """What every shard repeats of an instance: all but its tenants."""
    return (instance["cluster"], instance["environment"], instance["candidates"], sorted(instance["shared"]))


def load_registry(paths: list[Path]) -> Registry:
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


def sync(conn: psycopg.Connection, registry: Registry) -> SyncResult:
    """Upsert the registry's rows and delete vanished rows of its instances, all in one transaction."""
    entries = registry.entries
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
        instances = list(registry.instances)
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
