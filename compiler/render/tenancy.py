"""Per tenant: its TenantProvisionJob, AppProvisionJobs and TenantSchemaVersions, as plain dicts.

Files, all under instances/<i>/tenants/<t>/ so a one-tenant change touches only that folder:

- provisioning.yaml: the TenantProvisionJob, one AppProvisionJob per app (per app and country when the app is
  country-scoped), and the provisioning Jobs that carry them out (compiler.render.jobs);
- schema-versions.yaml: one TenantSchemaVersion per schema (desiredVersion = the tenant's pin);
- migrations.yaml: one migration Job per service and database (compiler.render.jobs).

Custom resources live in the Instance's tenancy namespace. Their names join tenant, country, app and schema
with '.', which none of those contain, so two different tuples can never render the same name (a '-' join
could: tenant ``a-de`` + schema ``x`` against tenant ``a``, country ``de``, schema ``x``). Dots are legal in
custom resource names (DNS-1123 subdomains, up to 253 characters).
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.model import names
from compiler.model.kinds import Instance
from compiler.render import jobs
from compiler.render.context import RenderContext
from compiler.render.conventions import (
    CRD_API_VERSION,
    LABEL_CANDIDATE,
    LABEL_INSTANCE,
    LABEL_SERVICE,
    LABEL_TENANT,
    MANAGED_BY,
    SYNC_WAVE,
    WAVE_PROVISION,
    tenant_dir,
)
from compiler.render.output import Manifest, RenderedFile
from compiler.render.tenantplan import AppDatabase, Plans, SchemaSlot, TenantLayout, backup_required, tenant_layout

PROVISIONING_FILE = "provisioning.yaml"
SCHEMA_VERSIONS_FILE = "schema-versions.yaml"
MIGRATIONS_FILE = "migrations.yaml"


def render(ctx: RenderContext) -> Iterator[RenderedFile]:
    """Every tenant's files, tenants in (instance, name) order."""
    plans = Plans(ctx.fleet, ctx.resolution)
    job_renderer = jobs.JobRenderer(ctx)
    instances = {name: entry.obj for name, entry in ctx.fleet.instances.items()}
    for (instance_name, _), entry in sorted(ctx.fleet.tenants.items()):
        tenant = entry.obj
        instance = instances[instance_name]
        layout = tenant_layout(tenant, plans.get(instance, tenant.spec.release_candidate))
        yield from tenant_files(job_renderer, instance, layout)


def tenant_files(job_renderer: jobs.JobRenderer, instance: Instance, layout: TenantLayout) -> Iterator[RenderedFile]:
    folder = tenant_dir(instance.metadata.name, layout.name)
    provisioning = [tenant_provision_job(instance, layout)]
    provisioning += [app_provision_job(instance, layout, app) for app in layout.apps]
    provisioning += job_renderer.provisioning(instance, layout)
    yield RenderedFile(f"{folder}/{PROVISIONING_FILE}", tuple(provisioning))
    versions = tuple(schema_version(instance, layout, slot) for slot in layout.slots())
    if versions:
        yield RenderedFile(f"{folder}/{SCHEMA_VERSIONS_FILE}", versions)
    migrations = tuple(job_renderer.migrations(instance, layout))
    if migrations:
        yield RenderedFile(f"{folder}/{MIGRATIONS_FILE}", migrations)


# --- names -------------------------------------------------------------------------------------------------


def app_provision_name(tenant: str, app: str, country: str | None) -> str:
    return f"{tenant}.{app}" if country is None else f"{tenant}.{app}.{country}"


def schema_version_name(tenant: str, schema: str, country: str | None) -> str:
    return f"{tenant}.{schema}" if country is None else f"{tenant}.{country}.{schema}"


# --- documents ---------------------------------------------------------------------------------------------


def _metadata(name: str, instance: Instance, layout: TenantLayout, service: str | None = None) -> Manifest:
    labels = {
        **MANAGED_BY,
        LABEL_INSTANCE: instance.metadata.name,
        LABEL_TENANT: layout.name,
        LABEL_CANDIDATE: layout.candidate.candidate,
    }
    if service is not None:
        labels[LABEL_SERVICE] = service
    return {
        "name": name,
        "namespace": names.tenancy_namespace(instance.metadata.name),
        "labels": labels,
        "annotations": {SYNC_WAVE: WAVE_PROVISION},
    }


def _schemas(slots: tuple[SchemaSlot, ...]) -> list[Manifest]:
    return [{"schema": s.schema, "service": s.pin.service} for s in slots]


def tenant_provision_job(instance: Instance, layout: TenantLayout) -> Manifest:
    spec = instance.spec
    tenant = layout.tenant.spec
    retention = tenant.policies.retention or spec.retention
    return {
        "apiVersion": CRD_API_VERSION,
        "kind": "TenantProvisionJob",
        "metadata": _metadata(layout.name, instance, layout),
        "spec": {
            "tenant": layout.name,
            "instance": instance.metadata.name,
            "releaseCandidate": tenant.release_candidate,
            "database": layout.database,
            "schemas": _schemas(layout.base),
            "vaultNamespace": spec.vault.namespace,
            "vaultPath": names.vault_path(spec.vault.path_prefix, layout.name),
            "deletionPolicy": {
                "mode": tenant.policies.deletion.mode.value,
                "gracePeriod": tenant.policies.deletion.grace_period,
            },
            "retention": {
                "schemaTransition": retention.schema_transition,
                "deprecatedVersions": retention.deprecated_versions,
            },
        },
    }


def app_provision_job(instance: Instance, layout: TenantLayout, app: AppDatabase) -> Manifest:
    spec: Manifest = {
        "tenant": layout.name,
        "app": app.app.name,
        "countryScoped": app.app.country_scoped,
    }
    if app.country is not None:
        spec["country"] = app.country
    spec["database"] = app.database
    spec["schemas"] = _schemas(app.slots)
    spec["services"] = list(app.app.services)
    return {
        "apiVersion": CRD_API_VERSION,
        "kind": "AppProvisionJob",
        "metadata": _metadata(app_provision_name(layout.name, app.app.name, app.country), instance, layout),
        "spec": spec,
    }


def schema_version(instance: Instance, layout: TenantLayout, slot: SchemaSlot) -> Manifest:
    policies = layout.tenant.spec.policies
    return {
        "apiVersion": CRD_API_VERSION,
        "kind": "TenantSchemaVersion",
        "metadata": _metadata(
            schema_version_name(layout.name, slot.schema, slot.country), instance, layout, slot.pin.service
        ),
        "spec": {
            "tenant": layout.name,
            "service": slot.pin.service,
            "schema": slot.schema,
            "database": slot.database,
            "releaseCandidate": layout.candidate.candidate,
            "desiredVersion": slot.pin.version,
            "dryRun": policies.dry_run,
            "backupBeforeMigration": backup_required(layout, slot),
            "autoUpgrade": policies.auto_upgrade,
        },
    }
