"""RLC501/RLC502: every derived database, schema and namespace fits in 63 bytes and is derived only once.

Names are derived with compiler.model.names, the same functions rendering uses, so what is checked here is what
is deployed. Two objects that derive the same name would share (and overwrite) one database, schema or namespace
without anyone noticing, so collisions are checked where the names live together: databases per PostgreSQL
server (instances may share one), schemas per database, namespaces per cluster.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from typing import NamedTuple

import relc_contract as contract
from compiler.diagnostics import Diagnostic
from compiler.load.documents import Document
from compiler.load.yamlread import FieldPath
from compiler.model import names
from compiler.model.fleet import Entry
from compiler.model.kinds import Tenant
from compiler.validate.context import Context
from relc_contract import database_name, schema_name


class Derived(NamedTuple):
    """One derived name, where it lives (``scope``), what derived it and where to point the reader.

    A named tuple rather than a frozen dataclass: both are immutable, but a fleet derives a few names per tenant
    and the tuple is built in a third of the time (frozen dataclasses set each field through object.__setattr__).
    """

    what: str  # "database", "schema", "namespace"
    name: str
    scope: Hashable
    origin: str  # who derived it, for people
    identity: Hashable  # who derived it, for deduplication (the same origin may be reached twice)
    doc: Document
    path: FieldPath


_HINTS = {
    "database": "rename the tenant (or the country-scoped app's country): PostgreSQL truncates names over 63 bytes",
    "schema": "use a shorter app or service name: PostgreSQL truncates names over 63 bytes",
    "namespace": "use a shorter instance or candidate name: Kubernetes namespaces are at most 63 characters",
}

_LIMITS = {
    "database": contract.MAX_IDENTIFIER_BYTES,
    "schema": contract.MAX_IDENTIFIER_BYTES,
    "namespace": names.DNS_LABEL_MAX,
}

_COLLISION_HINTS = {
    "database": "rename one tenant, or give the instances different database servers",
    "schema": "rename the app or the service so their schema names differ",
    "namespace": "rename the instance or the candidate so the derived namespaces differ",
}


def check(ctx: Context) -> Iterator[Diagnostic]:
    tenants = list(_tenants(ctx))  # sorted once for databases and schemas
    derived = [*_databases(tenants), *_schemas(ctx, tenants), *_namespaces(ctx)]
    yield from _too_long(derived)
    yield from _collisions(derived)


def _too_long(derived: Iterable[Derived]) -> Iterator[Diagnostic]:
    seen: set[Hashable] = set()
    for d in derived:
        size, limit = len(d.name.encode()), _LIMITS[d.what]
        if size <= limit or d.identity in seen:
            continue
        seen.add(d.identity)
        yield d.doc.diagnostic(
            d.path,
            "RLC501",
            f"{d.what} name '{d.name}' derived for {d.origin} is {size} bytes, over the {limit}-byte limit",
            _HINTS[d.what],
        )


def _collisions(derived: Iterable[Derived]) -> Iterator[Diagnostic]:
    first: dict[tuple[str, Hashable, str], Derived] = {}
    for d in derived:
        key = (d.what, d.scope, d.name)
        other = first.setdefault(key, d)
        if other.identity == d.identity:
            continue
        yield d.doc.diagnostic(
            d.path,
            "RLC502",
            f"{d.what} '{d.name}' of {d.origin} ({d.doc.path}) is also derived for {other.origin} ({other.doc.path})",
            _COLLISION_HINTS[d.what],
        )


TenantServer = tuple[Entry[Tenant], tuple[str, int]]


def _tenants(ctx: Context) -> Iterator[TenantServer]:
    """Tenants with their Instance's PostgreSQL server (host, port); tenants of unknown instances are RLC301."""
    for (instance, _), entry in sorted(ctx.fleet.tenants.items()):
        inst = ctx.fleet.instances.get(instance)
        if inst is not None:
            db = inst.obj.spec.database
            yield entry, (db.host.lower(), db.port)


def _databases(tenants: Sequence[TenantServer]) -> Iterator[Derived]:
    for entry, server in tenants:
        spec, tenant = entry.obj.spec, entry.obj.metadata.name
        who = f"tenant '{tenant}' of instance '{spec.instance}'"
        yield Derived(
            "database",
            database_name(tenant),
            server,
            who,
            (spec.instance, tenant),
            entry.doc,
            ("metadata", "name"),
        )
        for i, app in enumerate(spec.apps):
            if not app.country_scoped:
                continue
            for k, country in enumerate(app.countries):
                yield Derived(
                    "database",
                    database_name(tenant, country),
                    server,
                    f"{who}, country '{country}'",
                    (spec.instance, tenant, country),
                    entry.doc,
                    ("spec", "apps", i, "countries", k),
                )


def _schemas(ctx: Context, tenants: Sequence[TenantServer]) -> Iterator[Derived]:
    """App schemas, and a base service's schema only where an app schema could collide with it.

    Base schemas are one per distinct service name, so they never collide among themselves; deriving them for
    every tenant would cost more than the rest of validation on a large fleet.
    """
    base_of: dict[str, dict[str, str]] = {}  # candidate -> base schema name -> service
    for entry, _ in tenants:
        spec, tenant = entry.obj.spec, entry.obj.metadata.name
        if not spec.apps:
            continue
        base = database_name(tenant)
        if spec.release_candidate not in base_of:
            services = _base_services(ctx, entry)
            base_of[spec.release_candidate] = {schema_name(s): s for s in services}
        apps = list(_app_schemas(entry))
        base_schemas = base_of[spec.release_candidate]
        clashing = {d.name for d in apps if d.scope == (spec.instance, tenant, base) and d.name in base_schemas}
        for schema in sorted(clashing):
            service = base_schemas[schema]
            yield Derived(
                "schema",
                schema,
                (spec.instance, tenant, base),
                f"base service '{service}' in database '{base}'",
                ("service", service),
                entry.doc,
                ("spec", "releaseCandidate"),
            )
        yield from apps


def _app_schemas(entry: Entry[Tenant]) -> Iterator[Derived]:
    spec, tenant = entry.obj.spec, entry.obj.metadata.name
    base = database_name(tenant)
    for i, app in enumerate(spec.apps):
        databases = [database_name(tenant, c) for c in dict.fromkeys(app.countries)] if app.country_scoped else [base]
        for j, service in enumerate(app.services):
            for database in databases:
                yield Derived(
                    "schema",
                    schema_name(service, app.name),
                    (spec.instance, tenant, database),
                    f"service '{service}' of app '{app.name}' in database '{database}'",
                    ("app", service, app.name),
                    entry.doc,
                    ("spec", "apps", i, "services", j),
                )


def _base_services(ctx: Context, entry: Entry[Tenant]) -> list[str]:
    """The schema-owning services of the tenant's candidate: each has a base schema in the tenant database."""
    candidate = ctx.fleet.candidates.get(entry.obj.spec.release_candidate)
    blueprint = ctx.fleet.blueprints.get(candidate.obj.spec.blueprint) if candidate else None
    if candidate is None or blueprint is None:
        return []
    pinned = candidate.obj.spec.components
    return [c.name for c in blueprint.obj.spec.components if c.owns_schema and c.name in pinned]


def _namespaces(ctx: Context) -> Iterator[Derived]:
    for name, entry in sorted(ctx.fleet.instances.items()):
        cluster, doc = entry.obj.spec.cluster, entry.doc
        yield Derived(
            "namespace",
            names.shared_namespace(name),
            cluster,
            f"the shared services of instance '{name}'",
            ("shared", name),
            doc,
            ("metadata", "name"),
        )
        yield Derived(
            "namespace",
            names.tenancy_namespace(name),
            cluster,
            f"the tenant resources of instance '{name}'",
            ("tenancy", name),
            doc,
            ("metadata", "name"),
        )
        release = ctx.fleet.global_releases.get(entry.obj.spec.global_release)
        for candidate in release.obj.spec.candidates if release else []:
            yield Derived(
                "namespace",
                names.candidate_namespace(name, candidate),
                cluster,
                f"candidate '{candidate}' of instance '{name}'",
                ("candidate", name, candidate),
                doc,
                ("spec", "globalRelease"),
            )
