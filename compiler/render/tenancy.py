"""Per tenant: its TenantProvisionJob, AppProvisionJobs and TenantSchemaVersions, as plain dicts.

Files, all under instances/<i>/tenants/<t>/ so a one-tenant change touches only that folder:

- provisioning.yaml: the TenantProvisionJob, one AppProvisionJob per app (per app and country when the app is
  country-scoped), and the provisioning Jobs that carry them out (compiler.render.jobs);
- schema-versions.yaml: one TenantSchemaVersion per schema (desiredVersion = the tenant's pin);
- migrations.yaml: the tenant's one migration Job and its retention cleanup CronJob (compiler.render.jobs).

A removed tenant (``spec.removed``, the tombstone ``relc tenant remove`` writes) gets only
``deprovision.yaml``: its deletion policy's Jobs (compiler.render.jobs). Its Application stays (the folder
does), so its sync prunes the tenant's routes and custom resources at once and then runs the deprovision hook;
the data goes as the policy says, never by a cascade.

Custom resources live in the Instance's tenancy namespace, named by relc_contract's name functions (tenant,
country, app and schema joined with '.', unambiguous), which relc-migrate derives too to patch their status.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from compiler.model import names
from compiler.model.kinds import Instance, Tenant
from compiler.render import jobs
from compiler.render.context import RenderContext
from compiler.render.conventions import (
    CRD_API_VERSION,
    HOOKS_DIGEST,
    LABEL_INSTANCE,
    LABEL_SERVICE,
    LABEL_SERVING,
    LABEL_TENANT,
    MANAGED_BY,
    SYNC_WAVE,
    WAVE_PROVISION,
    tenant_dir,
)
from compiler.render.output import Document, Manifest, RenderedFile, Shapes, Templated
from compiler.render.tenantplan import (
    AppDatabase,
    CandidatePlan,
    Plans,
    SchemaSlot,
    TenantLayout,
    backup_required,
    tenant_layout,
)
from relc_contract import app_provision_name, schema_version_name, tenant_provision_name, vault_path

PROVISIONING_FILE = "provisioning.yaml"
SCHEMA_VERSIONS_FILE = "schema-versions.yaml"
MIGRATIONS_FILE = "migrations.yaml"
DEPROVISION_FILE = "deprovision.yaml"


def render(ctx: RenderContext) -> Iterator[RenderedFile]:
    """Every tenant's files, tenants in (instance, name) order."""
    plans = Plans(ctx.fleet, ctx.resolution)
    documents = TenantDocuments(jobs.JobRenderer(ctx))
    instances = {name: entry.obj for name, entry in ctx.fleet.instances.items()}
    for (instance_name, _), entry in sorted(ctx.fleet.tenants.items()):
        tenant = entry.obj
        instance = instances[instance_name]
        if tenant.spec.removed:
            path = f"{tenant_dir(instance_name, tenant.metadata.name)}/{DEPROVISION_FILE}"
            yield RenderedFile(path, tuple(documents.jobs.deprovision(instance, tenant)))
            continue
        yield from documents.files(instance, tenant, plans.get(instance, tenant.spec.release_candidate))


# --- documents ---------------------------------------------------------------------------------------------
# Each document is a Templated: a shape shared by the tenants of one Instance and candidate, and the tenant's
# own strings (names, databases; a NamedTuple per kind of document), so the emitter writes each shape once
# (compiler.emit.stencil). Shapes are made once per distinct value (output.Shapes, keyed by every field they are
# made from) and compared by identity, which keeps the emitter's lookups cheap.


@dataclass(frozen=True, slots=True, eq=False)
class Owner:
    """Who a tenant's custom resources belong to: the part of their metadata every tenant of a candidate shares."""

    instance: str
    candidate: str


@dataclass(frozen=True, slots=True, eq=False)
class TenantShape:
    owner: Owner
    schemas: tuple[tuple[str, str], ...]
    """(schema, service) of the tenant database's base schemas"""
    vault_namespace: str
    deletion: tuple[str, str]
    retention: tuple[str, str]
    serving: str
    """a dry-run tenant's serving candidate (label LABEL_SERVING, what RLC810 checks its routes by), else empty"""


@dataclass(frozen=True, slots=True, eq=False)
class AppShape:
    owner: Owner
    app: str
    country_scoped: bool
    has_country: bool
    schemas: tuple[tuple[str, str], ...]
    services: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class VersionShape:
    owner: Owner
    service: str
    version: str
    dry_run: bool
    backup: bool
    auto_upgrade: bool


class TenantTexts(NamedTuple):
    """The per-tenant strings of a TenantProvisionJob (the holes of its stencil); its name is the tenant's."""

    tenant: str
    database: str
    vault_path: str
    hooks_digest: str
    """of the tenant's provisioning and migration Jobs (jobs.HookDigests): the TenantProvisionJob is the
    ordinary object of the tenant's Application that changes, and so syncs it, when only a hook Job changed"""


class AppTexts(NamedTuple):
    """The per-tenant strings of an AppProvisionJob."""

    name: str
    tenant: str
    database: str
    country: str
    """empty unless ``AppShape.has_country``"""


class VersionTexts(NamedTuple):
    """The per-tenant strings of a TenantSchemaVersion."""

    name: str
    tenant: str
    schema: str
    database: str


class TenantDocuments:
    """A render's tenant documents; holds the shapes made so far (per-render state, never module-global)."""

    def __init__(self, job_renderer: jobs.JobRenderer) -> None:
        self.jobs = job_renderer
        self.shapes = Shapes()
        self.digests = jobs.HookDigests()

    def files(self, instance: Instance, tenant: Tenant, plan: CandidatePlan) -> Iterator[RenderedFile]:
        """The tenant's files, their documents deferred: the emitter renders them where it emits them (on
        every core), and only the paths are decided here. A candidate with schema-owning services gives every
        tenant one schema per service in its database, hence a schema-versions and a migrations file."""
        folder = tenant_dir(instance.metadata.name, tenant.metadata.name)
        one = _OneTenant(self, instance, tenant, plan)
        yield RenderedFile(f"{folder}/{PROVISIONING_FILE}", deferred=one.provisioning)
        if plan.services:
            yield RenderedFile(f"{folder}/{SCHEMA_VERSIONS_FILE}", deferred=one.versions)
            yield RenderedFile(f"{folder}/{MIGRATIONS_FILE}", deferred=one.migrations)

    def tenant_provision_job(
        self, instance: Instance, owner: Owner, layout: TenantLayout, hooks: Sequence[Document]
    ) -> Templated[TenantShape]:
        spec = instance.spec
        policies = layout.tenant.spec.policies
        retention = policies.retention or spec.retention
        deletion = (policies.deletion.mode.value, policies.deletion.grace_period)
        kept = (retention.schema_transition, retention.deprecated_versions)
        serving = layout.tenant.serving if policies.dry_run else ""
        shape = self.shapes.get(TenantShape, owner, _pairs(layout.base), spec.vault.namespace, deletion, kept, serving)
        path = vault_path(spec.vault.path_prefix, layout.name)
        texts = TenantTexts(layout.name, layout.database, path, self.digests.of(hooks))
        return Templated(_tenant_provision_job, shape, texts)

    def app_provision_job(self, owner: Owner, layout: TenantLayout, app: AppDatabase) -> Templated[AppShape]:
        pairs = _pairs(app.slots)
        has_country = app.country is not None
        services = tuple(app.app.services)
        shape = self.shapes.get(AppShape, owner, app.app.name, app.app.country_scoped, has_country, pairs, services)
        name = app_provision_name(layout.name, app.app.name, app.country)
        return Templated(_app_provision_job, shape, AppTexts(name, layout.name, app.database, app.country or ""))

    def schema_version(self, owner: Owner, layout: TenantLayout, slot: SchemaSlot) -> Templated[VersionShape]:
        policies = layout.tenant.spec.policies
        pin, backup = slot.pin, backup_required(layout, slot)
        shape = self.shapes.get(
            VersionShape, owner, pin.service, pin.version, policies.dry_run, backup, policies.auto_upgrade
        )
        name = schema_version_name(layout.name, slot.schema, slot.country)
        return Templated(_schema_version, shape, VersionTexts(name, layout.name, slot.schema, slot.database))


class _OneTenant:
    """One tenant's documents, computed from its layout on first use (in whichever process emits them)."""

    def __init__(self, documents: TenantDocuments, instance: Instance, tenant: Tenant, plan: CandidatePlan) -> None:
        self._documents = documents
        self._instance = instance
        self._tenant = tenant
        self._plan = plan
        self._layout: TenantLayout | None = None
        self._hooks: tuple[list[Document], list[Document]] | None = None

    @property
    def layout(self) -> TenantLayout:
        if self._layout is None:
            self._layout = tenant_layout(self._tenant, self._plan)
        return self._layout

    @property
    def owner(self) -> Owner:
        instance, candidate = self._instance.metadata.name, self._plan.candidate
        return self._documents.shapes.get(Owner, instance, candidate)

    @property
    def hooks(self) -> tuple[list[Document], list[Document]]:
        """(provisioning Jobs, migration Jobs): the hooks of the tenant's Application, in its two files."""
        if self._hooks is None:
            jobs = self._documents.jobs
            provisioning: list[Document] = list(jobs.provisioning(self._instance, self.layout))
            migrations: list[Document] = (
                list(jobs.migrations(self._instance, self.layout)) if self._plan.services else []
            )
            self._hooks = provisioning, migrations
        return self._hooks

    def provisioning(self) -> tuple[Document, ...]:
        documents, instance, layout, owner = self._documents, self._instance, self.layout, self.owner
        provisioning, migrations = self.hooks
        found: list[Document] = [documents.tenant_provision_job(instance, owner, layout, provisioning + migrations)]
        found += [documents.app_provision_job(owner, layout, app) for app in layout.apps]
        found += provisioning
        return tuple(found)

    def versions(self) -> tuple[Document, ...]:
        layout, owner = self.layout, self.owner
        return tuple(self._documents.schema_version(owner, layout, slot) for slot in layout.slots())

    def migrations(self) -> tuple[Document, ...]:
        jobs = self._documents.jobs
        return (*self.hooks[1], jobs.cleanup(self._instance, self.layout))


def _metadata(owner: Owner, name: str, tenant: str, service: str | None = None, digest: str | None = None) -> Manifest:
    """No candidate label: a tenant's candidate is stated once, in its TenantProvisionJob's spec, so that a pin
    move changes one line there rather than one more line in each of its documents (a hunk of its own in a
    reviewer's diff, the label being far from the spec)."""
    labels = {**MANAGED_BY, LABEL_INSTANCE: owner.instance, LABEL_TENANT: tenant}
    if service is not None:
        labels[LABEL_SERVICE] = service
    return {
        "name": name,
        "namespace": names.tenancy_namespace(owner.instance),
        "labels": labels,
        "annotations": {SYNC_WAVE: WAVE_PROVISION}
        if digest is None
        else {SYNC_WAVE: WAVE_PROVISION, HOOKS_DIGEST: digest},
    }


def _pairs(slots: tuple[SchemaSlot, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((s.schema, s.pin.service) for s in slots)


def _schemas(pairs: tuple[tuple[str, str], ...]) -> list[Manifest]:
    return [{"schema": schema, "service": service} for schema, service in pairs]


def _tenant_provision_job(shape: TenantShape, texts: tuple[str, ...]) -> Manifest:
    t = TenantTexts._make(texts)
    metadata = _metadata(shape.owner, tenant_provision_name(t.tenant), t.tenant, digest=t.hooks_digest)
    if shape.serving:
        metadata["labels"][LABEL_SERVING] = shape.serving
    return {
        "apiVersion": CRD_API_VERSION,
        "kind": "TenantProvisionJob",
        "metadata": metadata,
        "spec": {
            "tenant": t.tenant,
            "instance": shape.owner.instance,
            "releaseCandidate": shape.owner.candidate,
            "database": t.database,
            "schemas": _schemas(shape.schemas),
            "vaultNamespace": shape.vault_namespace,
            "vaultPath": t.vault_path,
            "deletionPolicy": {"mode": shape.deletion[0], "gracePeriod": shape.deletion[1]},
            "retention": {"schemaTransition": shape.retention[0], "deprecatedVersions": shape.retention[1]},
        },
    }


def _app_provision_job(shape: AppShape, texts: tuple[str, ...]) -> Manifest:
    t = AppTexts._make(texts)
    spec: Manifest = {"tenant": t.tenant, "app": shape.app, "countryScoped": shape.country_scoped}
    if shape.has_country:
        spec["country"] = t.country
    spec["database"] = t.database
    spec["schemas"] = _schemas(shape.schemas)
    spec["services"] = list(shape.services)
    return {
        "apiVersion": CRD_API_VERSION,
        "kind": "AppProvisionJob",
        "metadata": _metadata(shape.owner, t.name, t.tenant),
        "spec": spec,
    }


def _schema_version(shape: VersionShape, texts: tuple[str, ...]) -> Manifest:
    t = VersionTexts._make(texts)
    return {
        "apiVersion": CRD_API_VERSION,
        "kind": "TenantSchemaVersion",
        "metadata": _metadata(shape.owner, t.name, t.tenant, shape.service),
        "spec": {
            "tenant": t.tenant,
            "service": shape.service,
            "schema": t.schema,
            "database": t.database,
            "desiredVersion": shape.version,
            "dryRun": shape.dry_run,
            "backupBeforeMigration": shape.backup,
            "autoUpgrade": shape.auto_upgrade,
        },
    }
