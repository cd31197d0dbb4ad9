"""infra.service_versions: which service versions each Instance must keep running, and for whom (design §5.2).

An Instance must run every component of every deployed candidate — one a tenant is pinned to, or one of its
warmCandidates — and of its global release's shared bundles (those serve all of its tenants). Rendered three
ways from one list of entries:

- registry/service_versions.json, the file ``relc-migrate registry-sync`` loads (format:
  relc_contract.ServiceVersionRegistryFile, entries sorted by (instance, service, version));
- registry/service_versions.sql, the same rows as one idempotent transaction for any PostgreSQL client;
- instances/<i>/registry/service-versions.yaml, a ConfigMap in the Instance's tenancy namespace with that
  Instance's entries (split over several when they would not fit in one: compiler.render.shards), and the
  PostSync Job that runs ``relc-migrate registry-sync`` on all of them (compiler.render.jobs).

Every text is written one list item per line: a pin move changes a few short lines of each, never a line holding
every tenant of an Instance (which no review tool shows).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import relc_contract as contract
from compiler.diagnostics import RelcError
from compiler.model import names
from compiler.render.context import RenderContext
from compiler.render.conventions import (
    HOOKS_DIGEST,
    LABEL_INSTANCE,
    MANAGED_BY,
    REGISTRY_DIR,
    SYNC_WAVE,
    WAVE_PLATFORM,
    instance_dir,
)
from compiler.render.fleetview import InstanceView, instance_views
from compiler.render.jobs import HookDigests, JobRenderer
from compiler.render.output import Manifest, RenderedFile
from compiler.render.shards import shard_suffix, split
from relc_contract import (
    REGISTRY_API_VERSION,
    REGISTRY_DDL,
    REGISTRY_KIND,
    ServiceVersionEntry,
    ServiceVersionRegistryFile,
    registry_upsert,
)

JSON_FILE = f"{REGISTRY_DIR}/service_versions.json"
SQL_FILE = f"{REGISTRY_DIR}/service_versions.sql"
CONFIGMAP_NAME = "relc-service-versions"
CONFIGMAP_KEY = "service_versions.json"


class UnquotableText(RelcError):
    """A value that cannot be a PostgreSQL text literal (NUL bytes)."""

    def __init__(self, value: str) -> None:
        super().__init__(f"{value[:40]!r} contains a NUL byte, which PostgreSQL text cannot hold")
        self.value = value


@dataclass(slots=True)
class _Row:
    candidates: set[str] = field(default_factory=set)
    tenants: set[str] = field(default_factory=set)


def instance_entries(view: InstanceView) -> list[ServiceVersionEntry]:
    """The registry entries of one Instance, sorted by (service, version), lists sorted.

    Deployed bundles come from compiler.render.fleetview, the answer the charts and Argo CD sections use too, so
    the registry lists exactly the versions the Instance runs; shared bundles count every tenant as a user.
    """
    rows: dict[tuple[str, str], _Row] = {}
    for bundle in (*view.shared.values(), *view.candidates):
        tenants = [t.metadata.name for t in bundle.tenants]
        for service, version in bundle.candidate.spec.components.items():
            row = rows.setdefault((service, version), _Row())
            row.candidates.add(bundle.name)
            row.tenants.update(tenants)
    spec = view.instance.spec
    return [
        ServiceVersionEntry(
            instance=view.name,
            cluster=spec.cluster,
            environment=spec.environment.value,
            service=service,
            version=version,
            candidates=sorted(row.candidates),
            tenants=sorted(row.tenants),
        )
        for (service, version), row in sorted(rows.items())
    ]


def registry_document(entries: Iterable[ServiceVersionEntry]) -> ServiceVersionRegistryFile:
    """The file relc-migrate's registry-sync parses (relc_contract.ServiceVersionRegistryFile)."""
    return {"apiVersion": REGISTRY_API_VERSION, "kind": REGISTRY_KIND, "entries": list(entries)}


def render(ctx: RenderContext) -> Iterator[RenderedFile]:
    per_instance = {view.name: instance_entries(view) for view in instance_views(ctx.fleet)}
    every = [e for entries in per_instance.values() for e in entries]
    yield RenderedFile(JSON_FILE, raw=(json.dumps(registry_document(every), indent=2) + "\n").encode())
    yield RenderedFile(SQL_FILE, raw=registry_sql(per_instance).encode())
    job_renderer = JobRenderer(ctx)
    digests = HookDigests()
    for view in instance_views(ctx.fleet):
        maps = configmaps(view.name, per_instance[view.name])
        payloads = [cm["data"][CONFIGMAP_KEY] for cm in maps]
        digest = names.short_hash("".join(payloads), length=16)
        mounts = [(cm["metadata"]["name"], CONFIGMAP_KEY, shard_file(i, len(maps))) for i, cm in enumerate(maps)]
        sync = job_renderer.registry_sync(view.instance, mounts, digest)
        hooks = digests.of([sync])  # a new migrateImage changes only the hook: the ConfigMaps say so, and sync
        for cm in maps:
            cm["metadata"]["annotations"][HOOKS_DIGEST] = hooks
        yield RenderedFile(f"{instance_dir(view.name)}/registry/service-versions.yaml", (*maps, sync))


def shard_file(index: int, count: int) -> str:
    """The file name shard ``index`` is mounted as for registry-sync: the contract's default for a single one."""
    default = contract.RegistrySyncInvocation().registry_files[0].rpartition("/")[2]
    stem, dot, ext = default.rpartition(".")
    return default if count == 1 else f"{stem}-{shard_suffix(index, count)}{dot}{ext}"


def shard_document(entries: list[ServiceVersionEntry], index: int, count: int, tenants: list[str]) -> str:
    """Shard ``index`` of ``count`` of an Instance's registry (relc_contract.ServiceVersionRegistryFile): every
    entry a tenant of this shard uses, with only those tenants, and in shard 0 the entries no tenant uses."""
    mine = set(tenants)
    kept: list[ServiceVersionEntry] = []
    for entry in entries:
        users = [t for t in entry["tenants"] if t in mine]
        if users or (index == 0 and not entry["tenants"]):
            kept.append({**entry, "tenants": users})
    document = registry_document(kept)
    document["shard"] = {"index": index, "count": count}
    return json.dumps(document, indent=0) + "\n"  # every item on a line of its own, without indentation to pay for


def configmaps(instance: str, entries: list[ServiceVersionEntry]) -> list[Manifest]:
    """The Instance's registry as ConfigMaps of at most shards.DATA_LIMIT bytes: one, or a shard each."""
    tenants = sorted({t for entry in entries for t in entry["tenants"]})
    payloads = split(
        tenants,
        lambda index, count, mine: shard_document(entries, index, count, mine),
        lambda payload: len(payload.encode()),
        what=f"Instance {instance}: the service version registry",
    )
    return [_configmap(instance, payload, index, len(payloads)) for index, payload in enumerate(payloads)]


def _configmap(instance: str, payload: str, index: int, count: int) -> Manifest:
    suffix = shard_suffix(index, count)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": names.k8s_name(CONFIGMAP_NAME, suffix) if suffix else CONFIGMAP_NAME,
            "namespace": names.tenancy_namespace(instance),
            "labels": {**MANAGED_BY, LABEL_INSTANCE: instance},
            # Server-side apply: client-side apply would copy the payload into a 256 KiB-limited annotation.
            "annotations": {SYNC_WAVE: WAVE_PLATFORM, "argocd.argoproj.io/sync-options": "ServerSideApply=true"},
        },
        "data": {CONFIGMAP_KEY: payload},
    }


# --- SQL ----------------------------------------------------------------------------------------------------------

DDL = "".join(f"{statement};\n" for statement in REGISTRY_DDL)
"""The table definition shared with relc-migrate's registry-sync (relc_contract.REGISTRY_DDL)."""


def quote_literal(value: str) -> str:
    """A PostgreSQL string literal of ``value`` whatever standard_conforming_strings is set to.

    Quotes are doubled; if there is a backslash, the E'' form is used with backslashes doubled, so the literal
    means the same under either setting. NUL cannot be stored in text at all and is refused.
    """
    if "\x00" in value:
        raise UnquotableText(value)
    body = value.replace("'", "''")
    if "\\" in body:
        return "E'" + body.replace("\\", "\\\\") + "'"
    return f"'{body}'"


def _array(values: Iterable[str]) -> str:
    """One item per line: a tenant joining or leaving a version is one line of the diff."""
    items = "".join(f"\n        {quote_literal(v)}," for v in values)
    return f"ARRAY[{items.rstrip(',')}\n    ]::text[]" if items else "ARRAY[]::text[]"


def _row(entry: ServiceVersionEntry) -> str:
    scalars = [entry["instance"], entry["service"], entry["version"], entry["cluster"], entry["environment"]]
    lists = [_array(entry["candidates"]), _array(entry["tenants"])]
    return "    (" + ", ".join([quote_literal(v) for v in scalars] + lists) + ")"


def _delete(instance: str, entries: list[ServiceVersionEntry]) -> str:
    where = f"DELETE FROM infra.service_versions WHERE instance = {quote_literal(instance)}"
    if not entries:
        return where + ";\n"
    keys = ",\n".join(f"    ({quote_literal(e['service'])}, {quote_literal(e['version'])})" for e in entries)
    return f"{where}\n  AND (service, version) NOT IN (VALUES\n{keys});\n"


def registry_sql(per_instance: dict[str, list[ServiceVersionEntry]]) -> str:
    """One transaction: create the table if needed, upsert every row (touching only changed ones), and delete
    the rows of each Instance of the fleet that its entries no longer list. Running it twice changes nothing."""
    every = [e for entries in per_instance.values() for e in entries]
    parts = ["-- Generated by relc from the fleet; do not edit. Idempotent: safe to run again.\n", "BEGIN;\n", DDL]
    if every:
        parts.append(registry_upsert(",\n".join(_row(e) for e in every)) + ";\n")
    parts += [_delete(name, entries) for name, entries in sorted(per_instance.items())]
    parts.append("COMMIT;\n")
    return "".join(parts)
