"""A relc-migrate Job's command line, environment, init container and name.

The compiler calls the ``*_argv`` functions, ``job_environment``, ``init_container_command`` and ``job_name``;
relc-migrate's click CLI parses exactly what they produce. The invocation dataclasses are that interface, typed,
so a flag added on one side cannot be forgotten on the other (tests round-trip every invocation through the parser).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Final, Literal

from relc_contract.dependencies import _SHOWN, normalised_semver
from relc_contract.kube import DEFAULT_CANDIDATE_WAIT_SECONDS, ENV_KUBE_API, KUBE_API_IN_CLUSTER
from relc_contract.names import _COUNTRY_RE, IdentifierError, tenant_database, validate_identifier, validate_schema
from relc_contract.runtime import (
    DEFAULT_BACKUP_RETRIES,
    DEFAULT_BACKUP_TIMEOUT_SECONDS,
    DEFAULT_CONCURRENCY_LIMIT,
    DEFAULT_LOCK_RETRIES,
    DEFAULT_LOCK_TIMEOUT_MS,
    DEFAULT_LOCK_WAIT_SECONDS,
    DEFAULT_SLOT_WAIT_SECONDS,
    DEFAULT_STATEMENT_TIMEOUT_MS,
    ENV_CLUSTER,
    ENV_CONCURRENCY_LIMIT,
    ENV_DB_DSN_FILE,
    ENV_IMAGE,
    ENV_INFRA_DSN_FILE,
    ENV_INSTANCE,
    ENV_JOB_NAME,
    ENV_PUSHGATEWAY_URL,
    ENV_VAULT_ADDR,
    ENV_VAULT_NAMESPACE,
    ENV_VAULT_PATH_PREFIX,
    ENV_VAULT_ROLE,
    IMAGE_MIGRATIONS_ROOT,
    MIGRATIONS_MOUNT_ROOT,
    VAULT_ROLE,
    VAULT_SECRETS_DIR,
)

# --- invocations -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MigrateInvocation:
    """Everything one ``relc-migrate migrate`` run needs: one tenant, one service, one database.

    ``schemas`` are the service's schemas in ``database`` (the base schema and/or ``service-app`` schemas);
    the service's migration files are applied to each. ``desired_version`` is the tenant's pinned version
    of the service (semver, no leading ``v``). ``dependency_database`` is where the tenant's schema registry
    that answers ``requires`` lives (the tenant's main database when ``database`` is a country database).
    """

    tenant: str
    service: str
    database: str
    schemas: tuple[str, ...]
    desired_version: str
    migrations_dir: str | None = None  #: default: MIGRATIONS_MOUNT_ROOT/<service>
    dependency_database: str | None = None  #: default: ``database``
    dry_run: bool = False
    backup_before_migration: bool = False
    backup_destination: str | None = None  #: a directory path, ``file://``, ``s3://`` or ``gs://`` URL
    backup_timeout_seconds: int = DEFAULT_BACKUP_TIMEOUT_SECONDS
    backup_retries: int = DEFAULT_BACKUP_RETRIES
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS
    slot_wait_seconds: float = DEFAULT_SLOT_WAIT_SECONDS
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS
    lock_retries: int = DEFAULT_LOCK_RETRIES


@dataclass(frozen=True, slots=True)
class ProvisionInvocation:
    """``relc-migrate provision``: create ``database`` and ``schemas`` (idempotent) for ``tenant``.

    ``services`` pairs each schema with the service that owns it (same order as ``schemas``) so the schema
    registry starts with one ``pending`` row per schema. ``app``: the schemas are that app's (its AppProvisionJob
    gets the status); None: the tenant's base schemas (its TenantProvisionJob does).
    """

    tenant: str
    database: str
    schemas: tuple[str, ...]
    services: tuple[str, ...]
    app: str | None = None


DeletionMode = Literal["retained", "immediate", "manual"]


@dataclass(frozen=True, slots=True)
class DeprovisionInvocation:
    """``relc-migrate deprovision``: honour the tenant's deletion policy for ``database``.

    ``retained`` records the request and purges on the first run after ``grace_period_seconds``; ``immediate``
    purges now; ``manual`` records the request and purges only when run again with ``finalize``. Only objects
    relc-migrate created are ever dropped.
    """

    tenant: str
    database: str
    mode: DeletionMode
    grace_period_seconds: int = 30 * 24 * 3600
    finalize: bool = False


@dataclass(frozen=True, slots=True)
class CleanupInvocation:
    """``relc-migrate cleanup``: retention (design section 6.1) of what the tenant's candidate no longer uses.

    ``in_use`` are the ``database/schema`` pairs the tenant's current candidate migrates. Every other schema
    relc-migrate provisioned in a database the tenant owns is *left behind*: in a country database (a
    country-scope downgrade) it is kept ``schema_transition_seconds``, in the main database (a service or app the
    candidate dropped: a deprecated version) ``deprecated_versions_seconds``, counted from the first cleanup run
    that saw it unused and written to ``schema_registry.retention_expires_at``; a later run drops it once that
    time has passed. A schema back in use has its expiry cleared. The durations are the Tenant's
    ``retention.schemaTransition`` / ``deprecatedVersions`` (the Instance's when the Tenant sets none), in seconds.
    """

    tenant: str
    in_use: tuple[str, ...]
    schema_transition_seconds: int = 30 * 24 * 3600
    deprecated_versions_seconds: int = 60 * 24 * 3600


@dataclass(frozen=True, slots=True)
class RegistrySyncInvocation:
    """``relc-migrate registry-sync``: upsert the compiled registry into ``infra.service_versions``.

    ``registry_files`` are one registry file, or every shard of one (``ServiceVersionRegistryFile.shard``):
    an Instance's registry is split over several ConfigMaps when it would not fit in one, and registry-sync
    loads all of them as one registry, refusing an incomplete set."""

    registry_files: tuple[str, ...] = ("/work/registry/service_versions.json",)


def default_migrations_dir(service: str) -> str:
    """Where relc-migrate reads ``service``'s migration files inside the Job (the init container's target)."""
    validate_identifier(service, "service")
    return f"{MIGRATIONS_MOUNT_ROOT}/{service}"


def _flag(name: str, on: bool) -> list[str]:
    return [name] if on else []


def migrate_argv(inv: MigrateInvocation) -> tuple[str, ...]:
    """The container args (after the ENTRYPOINT ``relc-migrate``) of a migrate Job, in a stable order."""
    argv = ["migrate", "--tenant", inv.tenant, "--service", inv.service, "--database", inv.database]
    for schema in inv.schemas:
        argv += ["--schema", schema]
    argv += ["--desired-version", inv.desired_version]
    argv += ["--migrations-dir", inv.migrations_dir or default_migrations_dir(inv.service)]
    if inv.dependency_database is not None:
        argv += ["--dependency-database", inv.dependency_database]
    argv += _flag("--dry-run", inv.dry_run)
    argv += _flag("--backup", inv.backup_before_migration)
    if inv.backup_destination is not None:
        argv += ["--backup-destination", inv.backup_destination]
    return (*argv, *_limits_argv(inv))


MAIN_DATABASE: Final = "main"
"""A step's database field for the tenant's own database; otherwise it is the country of a country database."""


@dataclass(frozen=True, slots=True)
class TenantStep:
    """One step of a tenant's migration: bring ``service``'s ``schemas`` to ``version`` in the tenant's main
    database (``country`` None) or in its database for ``country`` (a country-scoped app's schemas).

    ``backup``: dump those schemas first (the tenant's policy, or a destructive pinned version). The database is
    never named, only derived from the tenant (:func:`tenant_database`), so a step cannot reach another tenant's.
    """

    service: str
    version: str
    country: str | None
    schemas: tuple[str, ...]
    backup: bool = False


_STEP_BACKUP: Final = "backup"
STEP_FORMAT: Final = f"SERVICE@VERSION:{MAIN_DATABASE}|COUNTRY:SCHEMA[,SCHEMA...][:{_STEP_BACKUP}]"


def step_text(step: TenantStep) -> str:
    """A step as one ``--step`` value: ``auth@1.2.0:main:auth``, ``entity@1.2.0:de:entity-crm:backup``.

    Unambiguous because names never hold ``@ : ,`` (validate_identifier) and semantic versions never do either;
    it holds nothing of the tenant, so every tenant of a candidate shares it (and the Job's stencil).
    """
    where = MAIN_DATABASE if step.country is None else step.country
    text = f"{step.service}@{step.version}:{where}:{','.join(step.schemas)}"
    return f"{text}:{_STEP_BACKUP}" if step.backup else text


def parse_step(text: str) -> TenantStep:
    """The inverse of :func:`step_text`, checking every name and the version; IdentifierError saying why not."""
    parts = text.split(":")
    head, _, version = parts[0].partition("@")
    if len(parts) not in (3, 4) or not version or (len(parts) == 4 and parts[3] != _STEP_BACKUP):
        raise IdentifierError(f"step {text[:_SHOWN]!r} is not {STEP_FORMAT}")
    if normalised_semver(version) != version:
        raise IdentifierError(f"step {text[:_SHOWN]!r}: {version!r} is not a semantic version (e.g. 2.1.0)")
    country = None if parts[1] == MAIN_DATABASE else parts[1]
    if country is not None and not _COUNTRY_RE.fullmatch(country):
        raise IdentifierError(
            f"step {text[:_SHOWN]!r}: {country!r} is neither {MAIN_DATABASE!r} nor a lower-case ISO 3166-1 alpha-2 code"
        )
    schemas = tuple(parts[2].split(","))
    validate_identifier(head, "service")
    for schema in schemas:
        validate_schema(schema)
    if len(set(schemas)) != len(schemas):
        raise IdentifierError(f"step {text[:_SHOWN]!r} lists a schema twice")
    return TenantStep(head, version, country, schemas, len(parts) == 4)


@dataclass(frozen=True, slots=True)
class TenantMigrateInvocation:
    """``relc-migrate migrate-tenant``: every schema of one tenant, step by step, in one process.

    ``steps`` are in the candidate's migration order (a service before the services that require it, the main
    database before country databases); relc-migrate runs them in that order under one cluster slot and stops
    at the first step that fails, so dependency order is the program's, not Argo CD hook waves'. Databases are
    derived from ``tenant``; a country database's ``requires`` are answered by the main database's registry.
    Each service's files are read from ``<migrations_root>/<service>``.

    ``candidate_namespace``: the readiness gate. Before anything else the run waits (at most
    ``candidate_wait_seconds``) until every Deployment in that namespace (the tenant's candidate's) is Available
    at its current generation, and exits ``CANDIDATE_NOT_READY`` without migrating when they do not get there,
    so the PreSync hook fails and Argo CD never applies the tenant's route to an undeployed candidate.
    """

    tenant: str
    steps: tuple[TenantStep, ...]
    migrations_root: str = MIGRATIONS_MOUNT_ROOT
    dry_run: bool = False
    candidate_namespace: str | None = None
    candidate_wait_seconds: float = DEFAULT_CANDIDATE_WAIT_SECONDS
    backup_destination: str | None = None
    backup_timeout_seconds: int = DEFAULT_BACKUP_TIMEOUT_SECONDS
    backup_retries: int = DEFAULT_BACKUP_RETRIES
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS
    slot_wait_seconds: float = DEFAULT_SLOT_WAIT_SECONDS
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS
    lock_retries: int = DEFAULT_LOCK_RETRIES


def step_invocation(inv: TenantMigrateInvocation, step: TenantStep) -> MigrateInvocation:
    """One step of a tenant run as the one-service ``migrate`` would run it (same checks, same locks); the
    databases derived from the tenant (IdentifierError for a bad tenant or country)."""
    main = tenant_database(inv.tenant)
    return MigrateInvocation(
        tenant=inv.tenant,
        service=step.service,
        database=main if step.country is None else tenant_database(inv.tenant, step.country),
        schemas=step.schemas,
        desired_version=step.version,
        migrations_dir=f"{inv.migrations_root.rstrip('/')}/{step.service}",
        dependency_database=None if step.country is None else main,
        dry_run=inv.dry_run,
        backup_before_migration=step.backup,
        backup_destination=inv.backup_destination,
        backup_timeout_seconds=inv.backup_timeout_seconds,
        backup_retries=inv.backup_retries,
        lock_wait_seconds=inv.lock_wait_seconds,
        slot_wait_seconds=inv.slot_wait_seconds,
        lock_timeout_ms=inv.lock_timeout_ms,
        statement_timeout_ms=inv.statement_timeout_ms,
        lock_retries=inv.lock_retries,
    )


def migrate_tenant_argv(inv: TenantMigrateInvocation) -> tuple[str, ...]:
    """The container args of a tenant's migration Job (one per tenant), in a stable order."""
    argv = ["migrate-tenant", "--tenant", inv.tenant, "--migrations-root", inv.migrations_root]
    for step in inv.steps:
        argv += ["--step", step_text(step)]
    argv += _flag("--dry-run", inv.dry_run)
    if inv.candidate_namespace is not None:
        argv += ["--await-candidate", inv.candidate_namespace, "--candidate-wait", _num(inv.candidate_wait_seconds)]
    if inv.backup_destination is not None:
        argv += ["--backup-destination", inv.backup_destination]
    return (*argv, *_limits_argv(inv))


def tenant_job_name(tenant: str, steps: tuple[TenantStep, ...], dry_run: bool) -> str:
    """``mig-<tenant>-<hash10>``: any new version, schema, step order or dry-run flag makes a new Job."""
    extra = "\n".join(step_text(s) for s in steps) + (":dry-run" if dry_run else "")
    return job_name("migrate", tenant, extra=extra)


def _limits_argv(inv: MigrateInvocation | TenantMigrateInvocation) -> tuple[str, ...]:
    """The backup, wait and timeout options both migration commands take, in a stable order."""
    return (
        "--backup-timeout", str(inv.backup_timeout_seconds),
        "--backup-retries", str(inv.backup_retries),
        "--lock-wait", _num(inv.lock_wait_seconds),
        "--slot-wait", _num(inv.slot_wait_seconds),
        "--lock-timeout-ms", str(inv.lock_timeout_ms),
        "--statement-timeout-ms", str(inv.statement_timeout_ms),
        "--lock-retries", str(inv.lock_retries),
    )  # fmt: skip


def provision_argv(inv: ProvisionInvocation) -> tuple[str, ...]:
    """The container args of a provisioning Job (TenantProvisionJob / AppProvisionJob)."""
    if len(inv.schemas) != len(inv.services):
        raise ValueError("ProvisionInvocation.schemas and .services must pair up one to one")
    argv = ["provision", "--tenant", inv.tenant, "--database", inv.database]
    for schema, service in zip(inv.schemas, inv.services, strict=True):
        argv += ["--schema", f"{schema}={service}"]
    if inv.app is not None:
        argv += ["--app", inv.app]
    return tuple(argv)


def deprovision_argv(inv: DeprovisionInvocation) -> tuple[str, ...]:
    """The container args of a deletion Job."""
    argv = ["deprovision", "--tenant", inv.tenant, "--database", inv.database, "--mode", inv.mode]
    argv += ["--grace-period", str(inv.grace_period_seconds)]
    argv += _flag("--finalize", inv.finalize)
    return tuple(argv)


def cleanup_argv(inv: CleanupInvocation) -> tuple[str, ...]:
    """The container args of a tenant's retention cleanup Job."""
    argv = ["cleanup", "--tenant", inv.tenant]
    for pair in inv.in_use:
        argv += ["--in-use", pair]
    argv += ["--schema-transition", str(inv.schema_transition_seconds)]
    argv += ["--deprecated-versions", str(inv.deprecated_versions_seconds)]
    return tuple(argv)


def registry_sync_argv(inv: RegistrySyncInvocation) -> tuple[str, ...]:
    """The container args of the registry-sync Job."""
    return ("registry-sync", *(arg for path in inv.registry_files for arg in ("--registry-file", path)))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


JOB_NAME_FIELD_PATH: Final = "metadata.labels['batch.kubernetes.io/job-name']"
"""Where a Job's pod finds its Job's name: the label the Job controller sets on its pods (Kubernetes >= 1.27).
The compiler passes ``RELC_JOB_NAME`` from it through the downward API rather than writing the name a second
time: the name changes with every new desired version, so a repeated name was one more hunk in each pin move's
diff."""


def job_environment(
    *,
    job_name: str | None = None,
    image: str,
    db_dsn_file: str = f"{VAULT_SECRETS_DIR}/tenant-db-dsn",
    infra_dsn_file: str = f"{VAULT_SECRETS_DIR}/infra-db-dsn",
    pushgateway_url: str | None = None,
    concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT,
    cluster: str | None = None,
    instance: str | None = None,
    kube_api: bool = False,
    vault: VaultTarget | None = None,
) -> tuple[tuple[str, str], ...]:
    """The Job container's environment as (name, value) pairs, sorted by name for stable rendering.

    Credentials are never values here: only paths of files that Vault injects. ``kube_api``: relc-migrate
    may use the in-cluster Kubernetes API (status writes, the candidate readiness gate) with its ServiceAccount.
    ``vault`` (provisioning Jobs) says where relc-migrate writes the tenant's credentials; it logs in with the
    pod's ServiceAccount token.
    Without ``job_name``, ``RELC_JOB_NAME`` is left out, for a manifest that sets it from
    :data:`JOB_NAME_FIELD_PATH`.
    """
    env = {
        ENV_IMAGE: image,
        ENV_DB_DSN_FILE: db_dsn_file,
        ENV_INFRA_DSN_FILE: infra_dsn_file,
        ENV_CONCURRENCY_LIMIT: str(concurrency_limit),
    }
    if job_name is not None:
        env[ENV_JOB_NAME] = job_name
    if pushgateway_url is not None:
        env[ENV_PUSHGATEWAY_URL] = pushgateway_url
    if cluster is not None:
        env[ENV_CLUSTER] = cluster
    if instance is not None:
        env[ENV_INSTANCE] = instance
    if kube_api:
        env[ENV_KUBE_API] = KUBE_API_IN_CLUSTER
    if vault is not None:
        env.update({
            ENV_VAULT_ADDR: vault.address, ENV_VAULT_NAMESPACE: vault.namespace,
            ENV_VAULT_PATH_PREFIX: vault.path_prefix, ENV_VAULT_ROLE: vault.role,
        })  # fmt: skip
    return tuple(sorted(env.items()))


@dataclass(frozen=True, slots=True)
class VaultTarget:
    """Where a provisioning Job writes the tenant's credentials: the Instance's Vault address, namespace and
    path prefix (``<mount>/data/<path>``; the tenant's secret is :func:`vault_path` of it), and the Kubernetes
    auth role relc-migrate logs in as (the same role the Vault agent annotation names)."""

    address: str
    namespace: str
    path_prefix: str
    role: str = VAULT_ROLE


def init_container_command(service: str) -> tuple[str, ...]:
    """The init container's command: the service image (at the pinned version) copies its migrations.

    It runs in the service image itself, so nothing ever execs into a running pod; the target is the service's
    own subfolder of the shared emptyDir mounted at MIGRATIONS_VOLUME_MOUNT, so a tenant's Job has one init
    container per service image and none overwrites another's files. Needs only ``cp`` in the service image
    (Kubernetes image volumes would not, but the API version relc validates against, 1.30, has none).
    """
    validate_identifier(service, "service")
    return ("cp", "-R", f"{IMAGE_MIGRATIONS_ROOT}/{service}", f"{MIGRATIONS_MOUNT_ROOT}/{service}")


_NOT_DNS: Final = re.compile(r"[^a-z0-9-]+")
JobKind = Literal["migrate", "provision", "deprovision", "cleanup", "registry-sync"]
_JOB_PREFIX: Final[dict[str, str]] = {
    "migrate": "mig",
    "provision": "prov",
    "deprovision": "deprov",
    "cleanup": "clean",
    "registry-sync": "regsync",
}


def job_name(
    kind: JobKind, tenant: str, service: str = "", desired_version: str = "", extra: str = "", *, limit: int = 63
) -> str:
    """A DNS-1123 Job name, at most ``limit`` characters, unique per (kind, tenant, service, version, extra).

    Form: ``<prefix>-<tenant>-<service>-<hash10>``, the readable part truncated to fit; the hash (SHA-256 of
    all inputs) makes a new desired version (or dry-run flag, passed in ``extra``) a new Job, which is what
    lets Kubernetes run it again: Jobs are immutable.
    """
    prefix = _JOB_PREFIX[kind]
    digest = hashlib.sha256("\x00".join((kind, tenant, service, desired_version, extra)).encode()).hexdigest()
    readable = "-".join(p for p in (prefix, tenant, service) if p)
    readable = _NOT_DNS.sub("-", readable.lower())
    readable = readable[: limit - 11].strip("-")
    return f"{readable}-{digest[:10]}"


#: The longest CronJob name: the controller names each Job it starts ``<cronjob>-<11 characters>`` (<= 63).
CRONJOB_NAME_LIMIT: Final = 52


def cleanup_cronjob_name(tenant: str) -> str:
    """The name of a tenant's retention CronJob: stable for the tenant (a CronJob is updated in place, not
    replaced, when its schedule or in-use list changes), at most :data:`CRONJOB_NAME_LIMIT` characters."""
    return job_name("cleanup", tenant, limit=CRONJOB_NAME_LIMIT)
