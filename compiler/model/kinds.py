"""The six input kinds. One object per file; ``kind`` selects the model (see :data:`KINDS`).

Field names follow the design documents (``countryScoped``, ``backupBeforeMigration``, ``migrationOrder``…) so
the YAML reads like them; Python attributes are snake_case through aliases.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, model_validator

from compiler.model.common import Duration, Envelope, Name, SemVer, Strict, Text
from compiler.model.gateway import InstanceGateway

# --- ReleaseBlueprint ------------------------------------------------------------------------------------


class BlueprintType(StrEnum):
    PRODUCT = "product"
    SHARED_SERVICES = "sharedServices"
    SHARED_INFRASTRUCTURE = "sharedInfrastructure"


class ComponentType(StrEnum):
    SERVICE = "service"
    FRONTEND = "frontend"
    INFRASTRUCTURE = "infrastructure"


class ChartRef(Strict):
    repository: Text = Field(description="Helm repository URL (https:// or oci://) of the component's chart")
    name: Name | None = Field(default=None, description="chart name; defaults to the component name")


class ImageRef(Strict):
    repository: Text = Field(description="container image repository, without tag")


class Component(Strict):
    name: Name
    type: ComponentType = ComponentType.SERVICE
    repository: Text = Field(description="source repository URL")
    chart: ChartRef
    image: ImageRef
    owns_schema: StrictBool = Field(
        default=False,
        alias="ownsSchema",
        description="the service owns a PostgreSQL schema in every tenant database and ships migrations",
    )
    country_scopable: StrictBool = Field(
        default=False,
        alias="countryScopable",
        description="tenant apps may use this service country-scoped (one database per tenant and country)",
    )
    values: dict[str, object] = Field(
        default_factory=dict, description="default Helm values; strings may be jinja2 templates"
    )
    routing_table: StrictBool = Field(
        default=False,
        alias="routingTable",
        description="the component reads the routing table (shared services only): its pods run as the "
        "relc-router ServiceAccount, values serviceAccount: {create: false, name: relc-router}",
    )

    @property
    def chart_name(self) -> str:
        return self.chart.name or self.name


class BlueprintSpec(Strict):
    type: BlueprintType = BlueprintType.PRODUCT
    description: Text = ""
    components: list[Component] = Field(min_length=1)

    @model_validator(mode="after")
    def _router_is_shared(self) -> BlueprintSpec:
        """relc-router and its Role live in the shared namespace: a candidate's namespace has neither."""
        readers = [c.name for c in self.components if c.routing_table]
        if readers and self.type is not BlueprintType.SHARED_SERVICES:
            raise ValueError(
                f"routingTable is for sharedServices blueprints (the relc-router ServiceAccount lives in the shared "
                f"namespace), but this {self.type.value} blueprint sets it on {', '.join(readers)}"
            )
        return self


class ReleaseBlueprint(Envelope):
    """A product line (or the shared services / shared infrastructure bundle): its components."""

    kind: Literal["ReleaseBlueprint"]
    spec: BlueprintSpec


# --- ComponentVersion ------------------------------------------------------------------------------------


class Requirement(Strict):
    """One line of an image's /migrations/<service>/dependencies.yml."""

    service: Name
    min_version: SemVer | None = Field(default=None, alias="minVersion")
    range: Text | None = Field(default=None, description="comparisons joined by ',' or spaces, e.g. '>=2.1.0, <3.0.0'")

    @model_validator(mode="after")
    def _one_bound(self) -> Requirement:
        if (self.min_version is None) == (self.range is None):
            raise ValueError("give exactly one of minVersion or range")
        return self


class MigrationFacts(Strict):
    schema_version: SemVer | None = Field(
        default=None, alias="schemaVersion", description="the schema version this release migrates to"
    )
    destructive: StrictBool = Field(
        default=False, description="ships a destructive migration: tenants should back up before moving to it"
    )


class ComponentVersionSpec(Strict):
    component: Name
    version: SemVer
    chart_version: SemVer | None = Field(default=None, alias="chartVersion")
    image_tag: Text | None = Field(default=None, alias="imageTag")
    requires: list[Requirement] = Field(default_factory=list)
    migrations: MigrationFacts = Field(default_factory=MigrationFacts)


class ComponentVersion(Envelope):
    """What one released version of a component declares: dependencies and schema facts.

    A service's CI adds one file per release (blueprints/components/<component>/<version>.yaml).
    """

    kind: Literal["ComponentVersion"]
    spec: ComponentVersionSpec


# --- ReleaseCandidate ------------------------------------------------------------------------------------


class CandidateStatus(StrEnum):
    """draft: being assembled, may change, never offered to prod; published: immutable (pins and values; a change
    is a new candidate, checked against the base branch); retired: kept for the tenants still on it and for
    history, refusing new pins."""

    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class Deprecation(Strict):
    notify_date: date | None = Field(default=None, alias="notifyDate")
    end_of_life: date = Field(alias="endOfLife")


class CandidateSpec(Strict):
    blueprint: Name
    status: CandidateStatus = CandidateStatus.DRAFT
    components: dict[Name, SemVer] = Field(min_length=1, description="component name → pinned version")
    deprecation: Deprecation | None = None
    migration_order: list[Name] | None = Field(default=None, alias="migrationOrder")
    values: dict[Name, dict[str, object]] = Field(
        default_factory=dict, description="per-component Helm value overrides; strings may be jinja2 templates"
    )


class ReleaseCandidate(Envelope):
    """One pinned version per component of a blueprint."""

    kind: Literal["ReleaseCandidate"]
    spec: CandidateSpec


# --- GlobalProductionRelease -----------------------------------------------------------------------------


class GlobalReleaseSpec(Strict):
    operator: Name | None = Field(default=None, description="the Operator tenant that offers these candidates")
    candidates: list[Name] = Field(min_length=1)
    shared_services: Name | None = Field(
        default=None, alias="sharedServices", description="a candidate of a sharedServices blueprint"
    )
    shared_infrastructure: Name | None = Field(
        default=None, alias="sharedInfrastructure", description="a candidate of a sharedInfrastructure blueprint"
    )


class GlobalProductionRelease(Envelope):
    """The candidates made available in parallel, beside the shared bundles' versions."""

    kind: Literal["GlobalProductionRelease"]
    spec: GlobalReleaseSpec


# --- Instance --------------------------------------------------------------------------------------------


class Environment(StrEnum):
    TEST = "test"
    QA = "qa"
    PROD = "prod"


class SslMode(StrEnum):
    DISABLE = "disable"
    REQUIRE = "require"
    VERIFY_CA = "verify-ca"
    VERIFY_FULL = "verify-full"


class DatabaseTarget(Strict):
    host: Text
    port: StrictInt = Field(default=5432, ge=1, le=65535)
    ssl_mode: SslMode = Field(default=SslMode.REQUIRE, alias="sslMode")
    credentials: Text = Field(description="Vault reference to the admin credentials, 'vault:<path>#<key>'")
    infra_database: Name = Field(default="infra", alias="infraDatabase")


class VaultSettings(Strict):
    namespace: Name
    path_prefix: Text = Field(
        alias="pathPrefix",
        description="tenant secrets live under <pathPrefix>/<tenant>, a KV v2 data path: <mount>/data/<path>",
    )
    address: Annotated[str, Field(pattern=r"^https?://[^\s/]+(/[^\s]*)?$", max_length=1024)] | None = Field(
        default=None,
        description="Vault's URL for the provisioning Jobs, which write each tenant's credentials to "
        "<pathPrefix>/<tenant>; without it they write none (something else must)",
    )


class BackupIdentity(Strict):
    """The cloud identity the migration Jobs' ServiceAccount (relc-migrate) assumes to write backups: workload
    identity, so no cloud key is ever stored in the cluster. One of the two, matching the destination's store
    (RLC608); the render puts it on the ServiceAccount as the annotation the cloud's webhook or metadata server
    reads."""

    aws_role_arn: (
        Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")] | None
    ) = Field(
        default=None,
        alias="awsRoleArn",
        description="EKS IRSA: the IAM role for s3:// destinations (eks.amazonaws.com/role-arn)",
    )
    gcp_service_account: (
        Annotated[
            str,
            Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$"),
        ]
        | None
    ) = Field(
        default=None,
        alias="gcpServiceAccount",
        description="GKE Workload Identity: the Google service account for gs:// destinations "
        "(iam.gke.io/gcp-service-account)",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> BackupIdentity:
        if (self.aws_role_arn is None) == (self.gcp_service_account is None):
            raise ValueError("name exactly one of awsRoleArn and gcpServiceAccount")
        return self


class MigrationSettings(Strict):
    concurrency: StrictInt = Field(default=3, ge=1, le=64)
    timeout: Duration = "10m"
    retries: StrictInt = Field(default=2, ge=0, le=10)
    backup_destination: Text | None = Field(
        default=None,
        alias="backupDestination",
        description="where migration Jobs write pg_dump backups (s3:// or gs:// URL, file:// URL or absolute "
        "directory path; RLC607); each tenant's go to <backupDestination>/<tenant>",
    )
    backup_identity: BackupIdentity | None = Field(
        default=None,
        alias="backupIdentity",
        description="the workload identity the migration Jobs write s3:// or gs:// backups with",
    )


class RetentionPolicy(Strict):
    schema_transition: Duration = Field(default="30d", alias="schemaTransition")
    deprecated_versions: Duration = Field(default="60d", alias="deprecatedVersions")


class InstanceSpec(Strict):
    display_name: Text = Field(default="", alias="displayName")
    cluster: Name
    environment: Environment
    global_release: Name = Field(alias="globalRelease")
    database: DatabaseTarget
    vault: VaultSettings
    image_tag_suffix: Annotated[str, Field(pattern=r"^[-.a-z0-9]{0,20}$")] = Field(default="", alias="imageTagSuffix")
    migration: MigrationSettings = Field(default_factory=MigrationSettings)
    retention: RetentionPolicy = Field(default_factory=RetentionPolicy)
    warm_candidates: list[Name] = Field(default_factory=list, alias="warmCandidates")
    gateway: InstanceGateway = Field(
        default_factory=InstanceGateway,
        description="the Instance's hostnames and listener on its cluster's Gateway, and who allow-gateway admits",
    )


class Instance(Envelope):
    """An Organization / environment: where its tenants and candidates run."""

    kind: Literal["Instance"]
    spec: InstanceSpec


# --- Tenant ----------------------------------------------------------------------------------------------


class TenantRole(StrEnum):
    OPERATOR = "Operator"
    AGENT = "Agent"


class App(Strict):
    name: Name
    services: list[Name] = Field(min_length=1)
    country_scoped: StrictBool = Field(default=False, alias="countryScoped")
    countries: list[Annotated[str, Field(max_length=8)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _countries_iff_scoped(self) -> App:
        if self.country_scoped and not self.countries:
            raise ValueError("a countryScoped app needs at least one country")
        if self.countries and not self.country_scoped:
            raise ValueError("countries are only allowed on a countryScoped app")
        return self


class DeletionMode(StrEnum):
    RETAINED = "retained"
    IMMEDIATE = "immediate"
    MANUAL = "manual"


class DeletionPolicy(Strict):
    mode: DeletionMode = DeletionMode.RETAINED
    grace_period: Duration = Field(default="30d", alias="gracePeriod")


class TenantPolicies(Strict):
    backup_before_migration: StrictBool = Field(default=True, alias="backupBeforeMigration")
    dry_run: StrictBool = Field(default=False, alias="dryRun")
    auto_upgrade: StrictBool = Field(default=False, alias="autoUpgrade")
    deletion: DeletionPolicy = Field(default_factory=DeletionPolicy)
    retention: RetentionPolicy | None = None


class TenantSpec(Strict):
    display_name: Text = Field(default="", alias="displayName")
    role: TenantRole
    operator: Name | None = Field(default=None, description="an Agent's Operator (a tenant of the same Instance)")
    instance: Name
    release_candidate: Name = Field(alias="releaseCandidate")
    serving_candidate: Name | None = Field(
        default=None,
        alias="servingCandidate",
        description="a dryRun tenant rehearsing a move to releaseCandidate: the candidate its routes stay on (the "
        "one its schemas match), deployed beside releaseCandidate (RLC609, RLC610)",
    )
    removed: StrictBool = Field(
        default=False,
        description="a tombstone written by 'relc tenant remove': the tenant is no longer routed, and its folder "
        "holds only the deprovision Jobs of its deletion policy until a later change deletes this file",
    )
    apps: list[App] = Field(default_factory=list)
    policies: TenantPolicies = Field(default_factory=TenantPolicies)

    @model_validator(mode="after")
    def _operator_iff_agent(self) -> TenantSpec:
        if self.role is TenantRole.AGENT and self.operator is None:
            raise ValueError("an Agent names its Operator (spec.operator)")
        if self.role is TenantRole.OPERATOR and self.operator is not None:
            raise ValueError("an Operator has no spec.operator")
        return self


class Tenant(Envelope):
    """An Operator or Agent in one Instance, pinned to one Release Candidate."""

    kind: Literal["Tenant"]
    spec: TenantSpec

    @property
    def serving(self) -> str:
        """The candidate the tenant's routes point at: its pin, unless a dry run keeps it on another."""
        return self.spec.serving_candidate or self.spec.release_candidate


AnyKind = ReleaseBlueprint | ComponentVersion | ReleaseCandidate | GlobalProductionRelease | Instance | Tenant

KINDS: dict[str, type[AnyKind]] = {
    "ReleaseBlueprint": ReleaseBlueprint,
    "ComponentVersion": ComponentVersion,
    "ReleaseCandidate": ReleaseCandidate,
    "GlobalProductionRelease": GlobalProductionRelease,
    "Instance": Instance,
    "Tenant": Tenant,
}

FOLDERS: dict[str, str] = {
    "ReleaseBlueprint": "blueprints",
    "ComponentVersion": "blueprints/components",
    "ReleaseCandidate": "releases/candidates",
    "GlobalProductionRelease": "releases/global",
    "Instance": "instances",
    "Tenant": "tenants",
}
"""Where each kind's files live (the README's input reference): a file elsewhere is RLC106. A ReleaseBlueprint's
folder excludes blueprints/components/, which is the ComponentVersions'."""
