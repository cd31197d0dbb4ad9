"""What every tenant resource is computed from: per-candidate facts (once) and a tenant's databases (per tenant).

Rendering 10,000 tenants must stay within seconds, so everything that depends only on an Instance and a
candidate — the schema-owning services in migration order, their pinned versions, image references and
destructive flags — is computed once per (Instance, candidate) and shared by all its tenants. Per tenant only
the database layout is derived (design §2.2):

- tenant_<slug> holds one schema per schema-owning service (``auth``, ``entity``…) and the ``<service>-<app>``
  schemas of apps that are not country-scoped;
- a country-scoped app puts its ``<service>-<app>`` schemas in tenant_<slug>_<country>, once per country.

Only schema-owning services of the tenant's candidate get schemas; an app's other services (a frontend) do not.
Rendering assumes a fleet ``relc validate`` accepted: references resolve, apps use their candidate's services.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from compiler.model.fleet import Fleet
from compiler.model.kinds import App, Instance, Tenant
from compiler.render.context import MigrationOrders
from relc_contract import database_name, schema_name


@dataclass(frozen=True, slots=True)
class ServicePin:
    """A schema-owning service as pinned by one candidate, in one Instance."""

    service: str
    version: str
    image: str
    """The service image at the pinned tag plus the Instance's imageTagSuffix: it ships /migrations/<service>."""
    destructive: bool
    position: int
    """Index in the candidate's migration order (0 migrates first)."""


@dataclass(frozen=True, slots=True)
class CandidatePlan:
    candidate: str
    services: tuple[ServicePin, ...]
    by_name: dict[str, ServicePin] = field(hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class SchemaSlot:
    """One schema of a tenant, in one database."""

    pin: ServicePin
    schema: str
    database: str
    app: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class AppDatabase:
    """An app's schemas in one database (one AppProvisionJob)."""

    app: App
    database: str
    country: str | None
    slots: tuple[SchemaSlot, ...]


@dataclass(frozen=True, slots=True)
class TenantLayout:
    tenant: Tenant
    candidate: CandidatePlan
    database: str
    base: tuple[SchemaSlot, ...]
    apps: tuple[AppDatabase, ...]

    @property
    def name(self) -> str:
        return self.tenant.metadata.name

    def slots(self) -> Iterator[SchemaSlot]:
        yield from self.base
        for app in self.apps:
            yield from app.slots


def image_tag(fleet: Fleet, service: str, version: str, suffix: str) -> str:
    """The ComponentVersion's imageTag (else the version itself) plus the Instance's suffix (e.g. ``-test``)."""
    entry = fleet.component_versions.get((service, version))
    tag = entry.obj.spec.image_tag if entry is not None and entry.obj.spec.image_tag else version
    return f"{tag}{suffix}"


def candidate_plan(fleet: Fleet, resolution: MigrationOrders, instance: Instance, candidate: str) -> CandidatePlan:
    spec = fleet.candidates[candidate].obj.spec
    components = {c.name: c for c in fleet.blueprints[spec.blueprint].obj.spec.components}
    pins = []
    for position, service in enumerate(resolution.migration_order(candidate)):
        version = spec.components[service]
        entry = fleet.component_versions.get((service, version))
        tag = image_tag(fleet, service, version, instance.spec.image_tag_suffix)
        pins.append(
            ServicePin(
                service=service,
                version=version,
                image=f"{components[service].image.repository}:{tag}",
                destructive=entry is not None and entry.obj.spec.migrations.destructive,
                position=position,
            )
        )
    return CandidatePlan(candidate, tuple(pins), {p.service: p for p in pins})


class Plans:
    """Candidate plans of one render, built on first use (per-render state: never module-global)."""

    def __init__(self, fleet: Fleet, resolution: MigrationOrders) -> None:
        self._fleet = fleet
        self._resolution = resolution
        self._plans: dict[tuple[str, str], CandidatePlan] = {}

    def get(self, instance: Instance, candidate: str) -> CandidatePlan:
        key = (instance.metadata.name, candidate)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = candidate_plan(self._fleet, self._resolution, instance, candidate)
        return plan


def tenant_databases(tenant: Tenant) -> list[str]:
    """The databases relc provisions for ``tenant``: its own, then one per country its apps are scoped to (the
    ones a deletion policy deprovisions)."""
    name = tenant.metadata.name
    countries = sorted({c for app in tenant.spec.apps for c in app.countries})
    return [database_name(name), *(database_name(name, c) for c in countries)]


def tenant_layout(tenant: Tenant, plan: CandidatePlan) -> TenantLayout:
    name = tenant.metadata.name
    main = database_name(name)
    base = tuple(SchemaSlot(p, schema_name(p.service), main) for p in plan.services)
    apps = tuple(_app_databases(name, main, tenant.spec.apps, plan))
    return TenantLayout(tenant, plan, main, base, apps)


def _app_databases(tenant: str, main: str, apps: list[App], plan: CandidatePlan) -> Iterator[AppDatabase]:
    for app in apps:
        owners = sorted((plan.by_name[s] for s in app.services if s in plan.by_name), key=lambda p: p.position)
        countries: list[str | None] = list(app.countries) if app.country_scoped else [None]
        for country in countries:
            database = main if country is None else database_name(tenant, country)
            slots = tuple(SchemaSlot(p, schema_name(p.service, app.name), database, app.name, country) for p in owners)
            yield AppDatabase(app, database, country, slots)


def backup_required(layout: TenantLayout, slot: SchemaSlot) -> bool:
    """The tenant's policy, forced on when the pinned version ships a destructive migration (design note 6:
    backups are required before risky migrations)."""
    return layout.tenant.spec.policies.backup_before_migration or slot.pin.destructive


def backup_destination(instance: Instance, tenant: str) -> str | None:
    """<backupDestination>/<tenant>, or None when the Instance names none (relc-migrate then refuses --backup)."""
    dest = instance.spec.migration.backup_destination
    return None if dest is None else f"{dest.rstrip('/')}/{tenant}"
