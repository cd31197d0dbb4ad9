"""The specs and statuses of relc's four custom resources (group tenancy.relc.dev).

These models are the single source of the CRDs' openAPIV3Schemas (compiler.render.crds converts their JSON
Schema into a Kubernetes structural schema). Rendering does not construct them per tenant — that would cost
tens of seconds on a 10,000-tenant fleet — it builds plain dicts, and the tests validate every rendered custom
resource against the generated schema, so the dicts cannot drift from these models unnoticed.

Field names follow the design document ("Cluster Tenant Handling" §3-6): desiredVersion, dryRun,
backupBeforeMigration, autoUpgrade, deletionPolicy{mode, gracePeriod}, retention{schemaTransition,
deprecatedVersions}.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from compiler.model.common import Duration, Name, SemVer, Text
from compiler.model.kinds import DeletionPolicy, Environment, RetentionPolicy


class CrdModel(BaseModel):
    """Unknown keys are errors here as in the input models (the API server prunes them anyway)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --- shared parts -----------------------------------------------------------------------------------------


class SchemaOwner(CrdModel):
    """A schema and the service that owns it (the schema registry starts with one row per pair)."""

    schema_: Text = Field(alias="schema", description="PostgreSQL schema: <service> or <service>-<app>")
    service: Name


class ConditionStatus(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class Condition(CrdModel):
    """The standard Kubernetes condition shape (metav1.Condition), written by relc-migrate and operators."""

    type: Text
    status: ConditionStatus
    reason: Text = ""
    message: Text = ""
    last_transition_time: Text | None = Field(default=None, alias="lastTransitionTime")
    observed_generation: StrictInt | None = Field(default=None, alias="observedGeneration")


#: Conditions are a list-map keyed by ``type`` (as metav1.Condition lists are): a server-side apply or a strategic
#: merge then merges them per type instead of replacing the list, and the API server refuses two of one type.
_CONDITIONS: Any = Field(
    default_factory=list,
    description="At most one per type; relc-migrate writes Ready.",
    json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
)


class ProvisionPhase(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    DEPROVISIONING = "deprovisioning"
    DEPROVISIONED = "deprovisioned"


class ProvisionStatus(CrdModel):
    """Written by relc-migrate's provisioning Jobs (a TenantProvisionJob by the one for the tenant's base schemas
    and by deprovision, an AppProvisionJob by the one for its app); relc never renders a status."""

    phase: ProvisionPhase | None = None
    job_name: Text | None = Field(default=None, alias="jobName")
    message: Text | None = None
    conditions: list[Condition] = _CONDITIONS


# --- TenantProvisionJob -----------------------------------------------------------------------------------


class TenantProvisionJobSpec(CrdModel):
    """Create the tenant's database tenant_<slug> and its base service schemas; where its secrets live in
    Vault; and what deleting the tenant does to its data (design §6.1-6.2)."""

    tenant: Name
    instance: Name
    release_candidate: Name = Field(alias="releaseCandidate")
    database: Text
    schemas: list[SchemaOwner]
    vault_namespace: Name = Field(alias="vaultNamespace")
    vault_path: Text = Field(alias="vaultPath")
    deletion_policy: DeletionPolicy = Field(alias="deletionPolicy")
    retention: RetentionPolicy


# --- AppProvisionJob --------------------------------------------------------------------------------------


class AppProvisionJobSpec(CrdModel):
    """Create one app's <service>-<app> schemas, in tenant_<slug> or, when the app is country-scoped, in
    tenant_<slug>_<country> (one resource per country)."""

    tenant: Name
    app: Name
    country_scoped: StrictBool = Field(alias="countryScoped")
    country: Text | None = Field(default=None, description="set when countryScoped")
    database: Text
    schemas: list[SchemaOwner]
    services: list[Name] = Field(description="every service the app uses, with or without a schema")


# --- TenantSchemaVersion ----------------------------------------------------------------------------------


class MigrationPhase(StrEnum):
    PENDING = "pending"
    MIGRATING = "migrating"
    COMPLETE = "complete"
    FAILED = "failed"
    BLOCKED = "blocked"


class TenantSchemaVersionSpec(CrdModel):
    """One schema of one tenant: the version it should be at (the tenant's pin) and how to get there.

    Not the candidate the version comes from: that is the tenant's, stated once in its TenantProvisionJob, so a
    pin move changes one line of each TenantSchemaVersion (desiredVersion) and not two."""

    tenant: Name
    service: Name
    schema_: Text = Field(alias="schema")
    database: Text
    desired_version: SemVer = Field(alias="desiredVersion", description="semver without a leading v")
    dry_run: StrictBool = Field(alias="dryRun")
    backup_before_migration: StrictBool = Field(
        alias="backupBeforeMigration",
        description="the tenant's policy, or forced on when the desired version ships a destructive migration",
    )
    auto_upgrade: StrictBool = Field(alias="autoUpgrade")


class TenantSchemaVersionStatus(CrdModel):
    """Written by relc-migrate's migration Job as each step runs: a view of the tenant database's schema_registry
    row (design §3.2), which stays the source of truth."""

    current_version: Text | None = Field(default=None, alias="currentVersion")
    phase: MigrationPhase | None = None
    last_migrated_at: Text | None = Field(default=None, alias="lastMigratedAt")
    message: Text | None = None
    job_name: Text | None = Field(default=None, alias="jobName")
    conditions: list[Condition] = _CONDITIONS


# --- MigrationControllerConfig ----------------------------------------------------------------------------


class InstanceMigrationSettings(CrdModel):
    """One Instance on the cluster, with its own limits (its Jobs use these)."""

    name: Name
    namespace: Name
    environment: Environment
    concurrency: StrictInt = Field(ge=1, le=64)
    timeout: Duration
    retries: StrictInt = Field(ge=0, le=10)


class MigrationControllerConfigSpec(CrdModel):
    """A record of the cluster's migration limits (design §4.1: default 3 parallel migrations, 10m timeout, 2
    retries), for people and dashboards: no controller reads it, and relc-migrate does not either. The limits
    take effect through the rendered Jobs, which carry each Instance's own values (RELC_CONCURRENCY_LIMIT,
    activeDeadlineSeconds, backoffLimit).

    ``concurrency``, ``timeout`` and ``retries`` are the strictest of the cluster's Instances (smallest
    concurrency, shortest timeout, fewest retries); ``instances`` keeps each Instance's own values.
    """

    cluster: Name
    concurrency: StrictInt = Field(default=3, ge=1, le=64)
    timeout: Duration = "10m"
    retries: StrictInt = Field(default=2, ge=0, le=10)
    instances: list[InstanceMigrationSettings] = Field(default_factory=list)


class MigrationControllerConfigStatus(CrdModel):
    """Written by nothing (kept so a future controller has its place; the queue length is a metric)."""

    queue_length: StrictInt | None = Field(default=None, alias="queueLength")
    conditions: list[Condition] = _CONDITIONS
