"""infra.service_versions: which service versions each Instance must keep running, and for whom (design §5.2).

An Instance must run every component of every deployed candidate — one a tenant is pinned to, or one of its
warmCandidates — and of its global release's shared bundles (those serve all of its tenants). The table has a
row per (Instance, service, version) listing its tenants, but the registry is *rendered* in the shape a pull
request changes least (relc_contract.RegistryInstance): per Instance, each candidate's versions and one line per
tenant naming its candidate, so moving a pin changes one line of each file; the rows are expanded from it where
they are written (relc_contract.registry_entries in registry-sync; the same join in SQL). Three files:

- registry/service_versions.json, the whole fleet's registry: what ``relc-migrate registry-sync`` loads when it
  is run by hand or by a pipeline outside the clusters (format: relc_contract.ServiceVersionRegistryFile);
- registry/service_versions.sql, the same registry as one idempotent transaction for any PostgreSQL client
  (psql, a migration tool) where relc-migrate does not run;
- instances/<i>/registry/service-versions.yaml, a ConfigMap in the Instance's tenancy namespace with that
  Instance's part (split over several when it would not fit in one: compiler.render.shards), and the PostSync
  Job that runs ``relc-migrate registry-sync`` on all of them (compiler.render.jobs): what the cluster syncs.

Every text is written one item per line, a tenant's pin being one short line: a pin move changes one line of
each file, never a line holding every tenant of an Instance (which no review tool shows).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

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
    RegistryInstance,
    ServiceVersionEntry,
    ServiceVersionRegistryFile,
    registry_entries,
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


def instance_registry(view: InstanceView) -> RegistryInstance:
    """One Instance's part of the registry, every mapping sorted by key.

    Deployed bundles come from compiler.render.fleetview, the answer the charts and Argo CD sections use too, so
    the registry lists exactly the versions the Instance runs, and each tenant under the bundles that count it;
    shared bundles are marked, as every tenant uses them.
    """
    bundles = sorted((*view.shared.values(), *view.candidates), key=lambda bundle: bundle.name)
    used: dict[str, list[str]] = {}
    for bundle in sorted(view.candidates, key=lambda b: b.name):
        for tenant in bundle.tenants:
            used.setdefault(tenant.metadata.name, []).append(bundle.name)
    spec = view.instance.spec
    return {
        "instance": view.name,
        "cluster": spec.cluster,
        "environment": spec.environment.value,
        "candidates": {b.name: dict(sorted(b.candidate.spec.components.items())) for b in bundles},
        "shared": sorted({b.name for b in view.shared.values()}),
        "tenants": dict(sorted(used.items())),
    }


def instance_entries(view: InstanceView) -> list[ServiceVersionEntry]:
    """The rows of ``infra.service_versions`` the Instance's part means (relc_contract.registry_entries)."""
    return registry_entries([instance_registry(view)])


def registry_document(instances: list[RegistryInstance]) -> ServiceVersionRegistryFile:
    """The file relc-migrate's registry-sync parses (relc_contract.ServiceVersionRegistryFile)."""
    return {"apiVersion": REGISTRY_API_VERSION, "kind": REGISTRY_KIND, "instances": instances}


def render(ctx: RenderContext) -> Iterator[RenderedFile]:
    views = instance_views(ctx.fleet)
    parts = [instance_registry(view) for view in views]
    yield RenderedFile(JSON_FILE, raw=registry_text(registry_document(parts), indent=1).encode())
    yield RenderedFile(SQL_FILE, raw=registry_sql(parts).encode())
    job_renderer = JobRenderer(ctx)
    digests = HookDigests()
    for view, part in zip(views, parts, strict=True):
        maps = configmaps(part)
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


def shard_document(part: RegistryInstance, index: int, count: int, tenants: list[str]) -> str:
    """Shard ``index`` of ``count`` of an Instance's registry (relc_contract.ServiceVersionRegistryFile): the
    Instance's candidates whole and the tenants of this shard."""
    pins = part["tenants"]
    document = registry_document([{**part, "tenants": {tenant: pins[tenant] for tenant in tenants}}])
    document["shard"] = {"index": index, "count": count}
    return registry_text(document, indent=0)  # no indentation to pay for


_TEXTS = re.compile(r'\[\n\s*("[^"\\\n]*"(?:,\n\s*"[^"\\\n]*")*)\n\s*\]')
"""A list of plain strings as json.dumps indents it, one item per line."""


def registry_text(document: ServiceVersionRegistryFile, indent: int) -> str:
    """The registry as JSON, one entry per line: lists of names (a tenant's candidates, ``shared``) on the line
    of their key, so a pin move changes one line, and every other item on a line of its own."""
    text = json.dumps(document, indent=indent)
    return _TEXTS.sub(lambda m: "[" + ", ".join(item.strip() for item in m.group(1).split(",\n")) + "]", text) + "\n"


def configmaps(part: RegistryInstance) -> list[Manifest]:
    """The Instance's registry as ConfigMaps of at most shards.DATA_LIMIT bytes: one, or a shard each."""
    instance = part["instance"]
    payloads = split(
        list(part["tenants"]),
        lambda index, count, mine: shard_document(part, index, count, mine),
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


def _values(rows: list[tuple[str | bool, ...]]) -> str:
    """A VALUES list, one row per line: a tenant's pin is one line of the diff."""

    def literal(value: str | bool) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else quote_literal(value)

    return ",\n".join("    (" + ", ".join(literal(v) for v in row) + ")" for row in rows)


_TEMPORARY = {
    "relc_instances": "instance text PRIMARY KEY, cluster text NOT NULL, environment text NOT NULL",
    "relc_versions": "instance text, candidate text, shared boolean, service text, version text",
    "relc_pins": "instance text, tenant text, candidate text",
}
"""The registry file's three parts as tables of this transaction (dropped at its end)."""

_ROWS = """SELECT o.instance, o.service, o.version, i.cluster, i.environment, o.candidates, COALESCE(u.tenants, '{}')
FROM (SELECT instance, service, version, array_agg(candidate COLLATE "C" ORDER BY candidate COLLATE "C") AS candidates
      FROM relc_versions GROUP BY instance, service, version) o
JOIN relc_instances i USING (instance)
LEFT JOIN (SELECT v.instance, v.service, v.version,
                  array_agg(DISTINCT p.tenant COLLATE "C" ORDER BY p.tenant COLLATE "C") AS tenants
           FROM relc_versions v JOIN relc_pins p ON p.instance = v.instance AND (v.shared OR p.candidate = v.candidate)
           GROUP BY v.instance, v.service, v.version) u USING (instance, service, version)"""
"""The rows relc_contract.registry_entries makes of a registry, in SQL: per (instance, service, version) the
candidates pinning it and the tenants using them (every tenant, for a shared bundle), lists in code-point
order like Python's sorted() (COLLATE "C")."""

_DELETE = """DELETE FROM infra.service_versions s USING relc_instances i
WHERE s.instance = i.instance
  AND NOT EXISTS (SELECT FROM relc_versions v
                  WHERE (v.instance, v.service, v.version) = (s.instance, s.service, s.version))"""


def registry_sql(parts: list[RegistryInstance]) -> str:
    """One transaction: create the table if needed, load the registry's lines into temporary tables, upsert
    the rows they mean (touching only changed ones), and delete the rows of each Instance of the fleet that it
    no longer runs. Running it twice changes nothing."""
    tables: dict[str, list[tuple[str | bool, ...]]] = {
        "relc_instances": [(p["instance"], p["cluster"], p["environment"]) for p in parts],
        "relc_versions": [
            (p["instance"], candidate, candidate in p["shared"], service, version)
            for p in parts
            for candidate, versions in p["candidates"].items()
            for service, version in versions.items()
        ],
        "relc_pins": [(p["instance"], t, c) for p in parts for t, used in p["tenants"].items() for c in used],
    }
    out = ["-- Generated by relc from the fleet; do not edit. Idempotent: safe to run again.\n", "BEGIN;\n", DDL]
    for table, rows in tables.items():
        out.append(f"CREATE TEMPORARY TABLE {table} ({_TEMPORARY[table]}) ON COMMIT DROP;\n")
        if rows:
            out.append(f"INSERT INTO {table} VALUES\n{_values(rows)};\n")
    out += [registry_upsert(_ROWS) + ";\n", _DELETE + ";\n", "COMMIT;\n"]
    return "".join(out)
