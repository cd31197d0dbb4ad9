"""The contract between the relc compiler and relc-migrate: one definition both programs import.

The compiler renders Kubernetes Jobs that run ``relc-migrate`` and the registry relc-migrate loads; this package
is the only place that knows what both sides must agree on: the names derived from a tenant (databases, schemas,
Vault path, Job name), a Job's command line, environment, mounts and user, the ``infra.service_versions``
table and upsert, and what a migrations folder's ``dependencies.yml`` means (:func:`read_dependencies`: relc-migrate
enforces it, the compiler checks ComponentVersions against it; each reads the file with its own YAML loader and
hands the data here). The compiler calls the ``*_argv`` functions, ``job_environment``, ``init_container_command``,
``job_name`` and the name functions; relc-migrate's click CLI parses exactly what those produce (tests
round-trip every invocation, and every Job of the compiled example fleet, through the parser).

A package of its own, beside ``compiler`` and ``relc_migrate``, so that neither program imports the other:
pure standard library, no side effects on import (the compiler imports it without psycopg, pglast or click),
and installed into the relc-migrate image with relc_migrate. Changing anything here is an API change for both
programs; bump ``CONTRACT_VERSION`` when argv or env change incompatibly.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass
from typing import Final, Literal, NotRequired, TypedDict

CONTRACT_VERSION: Final = "2"
"""2: registry-sync takes --registry-file once per shard, and registry files may carry ``shard`` (an older
relc-migrate refuses such a file as malformed, so it never syncs part of a registry)."""

#: The program name (the image's ENTRYPOINT and the console script).
PROGRAM: Final = "relc-migrate"

# --- paths -------------------------------------------------------------------------------------------------

#: Where a service image ships its migrations: ``/migrations/<service>/``.
IMAGE_MIGRATIONS_ROOT: Final = "/migrations"
#: Where the init container copies them into the shared emptyDir, read by relc-migrate.
MIGRATIONS_MOUNT_ROOT: Final = "/work/migrations"
#: The emptyDir volume's mount path in both containers (the parent of MIGRATIONS_MOUNT_ROOT's children).
MIGRATIONS_VOLUME_MOUNT: Final = MIGRATIONS_MOUNT_ROOT
#: Kubernetes reads the termination message from here (terminationMessagePath default).
TERMINATION_LOG_PATH: Final = "/dev/termination-log"
#: Default mount path of Vault-injected secret files (the agent injector's convention).
VAULT_SECRETS_DIR: Final = "/vault/secrets"

# --- environment -------------------------------------------------------------------------------------------

#: Path of a file holding the libpq connection string (key=value or URI) of the tenant's PostgreSQL server.
#: The database name in it is ignored for tenant work (``--database`` selects it); it is the maintenance
#: database used to CREATE DATABASE when provisioning.
ENV_DB_DSN_FILE: Final = "RELC_DB_DSN_FILE"
#: Fallback when no file is mounted: the connection string itself (Vault agent env injection).
ENV_DB_DSN: Final = "RELC_DB_DSN"
#: Path of a file holding the connection string of the cluster's infra database (slots, service_versions).
ENV_INFRA_DSN_FILE: Final = "RELC_INFRA_DSN_FILE"
#: Fallback: the infra connection string itself.
ENV_INFRA_DSN: Final = "RELC_INFRA_DSN"
#: Prometheus Pushgateway base URL; unset means metrics are written in the text format instead.
ENV_PUSHGATEWAY_URL: Final = "RELC_PUSHGATEWAY_URL"
#: Where to write the metrics text format when no Pushgateway is configured (default: stderr).
ENV_METRICS_FILE: Final = "RELC_METRICS_FILE"
#: The Job's name (recorded in the migration history as "who ran it"; the Pushgateway grouping key).
ENV_JOB_NAME: Final = "RELC_JOB_NAME"
#: The relc-migrate image reference (recorded in the migration history).
ENV_IMAGE: Final = "RELC_IMAGE"
#: Cluster-wide number of concurrent migrations (MigrationControllerConfig); default 3.
ENV_CONCURRENCY_LIMIT: Final = "RELC_CONCURRENCY_LIMIT"
#: The cluster name (a metrics label).
ENV_CLUSTER: Final = "RELC_CLUSTER"
#: The Instance name (the ``relc_instance`` metrics label and Pushgateway grouping key): tenant names are unique
#: only within an Instance, and two Instances may share a cluster.
ENV_INSTANCE: Final = "RELC_INSTANCE"
#: Override of the termination message path (tests, local runs).
ENV_TERMINATION_LOG: Final = "RELC_TERMINATION_LOG"
#: Path of the pg_dump binary (default: ``pg_dump`` on PATH).
ENV_PG_DUMP: Final = "RELC_PG_DUMP"

#: The uid (and gid) relc-migrate runs as: the image's USER (a home-less passwd entry, because libpq and
#: pg_dump look the user up) and the rendered Jobs' runAsUser/runAsGroup/fsGroup. 65532 is the "nonroot"
#: convention of distroless images: a non-root uid that owns nothing in the service images either.
RUN_AS_UID: Final = 65532

DEFAULT_CONCURRENCY_LIMIT: Final = 3
DEFAULT_BACKUP_TIMEOUT_SECONDS: Final = 600
DEFAULT_BACKUP_RETRIES: Final = 2
OBJECT_STORE_SCHEMES: Final = ("s3", "gs")
"""Backup destinations relc-migrate streams to besides a directory (``file://`` URL or absolute path): what the
image has a client for, so what ``relc validate`` accepts in ``migration.backupDestination`` (RLC607)."""
DEFAULT_LOCK_WAIT_SECONDS: Final = 30.0
DEFAULT_SLOT_WAIT_SECONDS: Final = 1800.0
DEFAULT_LOCK_TIMEOUT_MS: Final = 5000
DEFAULT_STATEMENT_TIMEOUT_MS: Final = 900_000
DEFAULT_LOCK_RETRIES: Final = 3


class ExitCode(enum.IntEnum):
    """relc-migrate's process exit codes (documented in the README; the Job's backoff policy keys on them)."""

    OK = 0
    FAILED = 1  #: a migration, provisioning or sync step failed in the database
    USAGE = 2  #: bad input: malformed migration files, bad identifiers, drift, missing credentials
    BLOCKED = 3  #: a dependency is unmet or the backup before migration failed
    LOCKED = 4  #: skipped: another runner holds the tenant:service lock (or no slot within the wait)
    INTERRUPTED = 5  #: SIGTERM: the current file was rolled back and the lock released


# --- identifiers -------------------------------------------------------------------------------------------

MAX_IDENTIFIER_BYTES: Final = 63
_TENANT_RE: Final = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
_IDENT_RE: Final = re.compile(r"[a-z_][a-z0-9_-]*")
_COUNTRY_RE: Final = re.compile(r"[a-z]{2}")
#: Schemas relc-migrate keeps for itself or PostgreSQL owns; no service or app may use them.
RESERVED_SCHEMAS: Final = frozenset({"relc", "public", "information_schema", "infra"})


class IdentifierError(ValueError):
    """A tenant, service, app, country, database or schema name that must not reach the database."""


def validate_identifier(value: str, what: str) -> str:
    """Return ``value`` if it is a safe PostgreSQL identifier, else raise IdentifierError saying why.

    Safe means: 1 to 63 bytes (PostgreSQL silently truncates longer names, which would merge two tenants),
    lower-case letters, digits, ``_`` and ``-`` only (``-`` because schemas are named ``service-app``),
    starting with a letter or ``_``, and not a ``pg_`` system name. Everything is still quoted when used.
    """
    if not isinstance(value, str) or value == "":
        raise IdentifierError(f"{what} must be a non-empty name")
    if len(value.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
        raise IdentifierError(
            f"{what} {value[:70]!r} is {len(value.encode('utf-8'))} bytes; PostgreSQL names are at most "
            f"{MAX_IDENTIFIER_BYTES} bytes (longer ones are truncated silently and could collide)"
        )
    if not _IDENT_RE.fullmatch(value):
        raise IdentifierError(
            f"{what} {value!r} may only contain a-z, 0-9, '_' and '-' and must start with a letter or '_'"
        )
    if value.startswith("pg_"):
        raise IdentifierError(f"{what} {value!r} uses the reserved prefix 'pg_'")
    return value


def validate_tenant(tenant: str) -> str:
    """Return ``tenant`` if it is a DNS-1123 label short enough to derive its databases, else raise."""
    if not isinstance(tenant, str) or not _TENANT_RE.fullmatch(tenant) or len(tenant) > 63:
        raise IdentifierError(
            f"tenant {tenant[:70]!r} is not a DNS-1123 label (a-z, 0-9 and '-', starting and ending with a "
            "letter or digit, at most 63 characters)"
        )
    return tenant


def validate_schema(schema: str) -> str:
    """Return ``schema`` if it is a valid identifier and not one relc or PostgreSQL keeps, else raise."""
    validate_identifier(schema, "schema")
    if schema in RESERVED_SCHEMAS:
        reserved = ", ".join(sorted(RESERVED_SCHEMAS))
        raise IdentifierError(f"schema {schema!r} is reserved (reserved: {reserved})")
    return schema


def database_name(tenant: str, country: str | None = None) -> str:
    """The database of a tenant (``tenant_<slug>``) or of its country-scoped apps (``tenant_<slug>_<cc>``),
    derived without checking (the compiler reports bad names as diagnostics; :func:`tenant_database` raises).

    The slug is the tenant name with ``-`` replaced by ``_`` so the database name needs no quoting in tools.
    """
    name = "tenant_" + tenant.replace("-", "_")
    return name if country is None else f"{name}_{country}"


#: Databases relc-migrate never works in, whatever the tenant: the maintenance database and the templates every
#: CREATE DATABASE copies (bookkeeping left in template1 would be cloned into every later tenant database).
SYSTEM_DATABASES: Final = frozenset({"postgres", "template0", "template1"})


def refuse_system_database(database: str) -> str:
    """``database`` if it is a valid name and not one of SYSTEM_DATABASES, else IdentifierError saying why."""
    validate_identifier(database, "database")
    if database in SYSTEM_DATABASES:
        raise IdentifierError(f"database {database!r} is a system or template database; relc-migrate never works in it")
    return database


def tenant_database_country(tenant: str, database: str) -> str | None:
    """Which of ``tenant``'s databases ``database`` is: None for its main database, the country code for one of
    its country databases; IdentifierError when it is none of them (a system database, another tenant's).

    This is how relc-migrate verifies a ``--database`` against ``--tenant`` before it connects: the name must be
    derivable from the tenant. Names can still coincide (tenant ``acme-de``'s main database is tenant ``acme``'s
    ``de`` database), which is why relc-migrate also records the owning tenant inside each database it provisions.
    """
    validate_tenant(tenant)
    refuse_system_database(database)
    main = database_name(tenant)
    if database == main:
        return None
    country = database.removeprefix(main + "_") if database.startswith(main + "_") else ""
    if not _COUNTRY_RE.fullmatch(country):
        raise IdentifierError(
            f"database {database!r} is not tenant {tenant!r}'s: its databases are {main} and {main}_<country>"
        )
    return country


def schema_name(service: str, app: str | None = None) -> str:
    """One schema per base service (``entity``) and per service and app (``entity-crm``), unchecked."""
    return service if app is None else f"{service}-{app}"


def vault_path(path_prefix: str, tenant: str) -> str:
    """The tenant's Vault secret (its database connection string) under the Instance's vault.pathPrefix."""
    return f"{path_prefix.rstrip('/')}/{tenant}"


def tenant_database(tenant: str, country: str | None = None) -> str:
    """:func:`database_name`, after checking the tenant and country; IdentifierError saying why not."""
    validate_tenant(tenant)
    if country is not None and not _COUNTRY_RE.fullmatch(country):
        raise IdentifierError(f"country {country!r} is not a lower-case ISO 3166-1 alpha-2 code")
    return validate_identifier(database_name(tenant, country), "database")


def service_schema(service: str, app: str | None = None) -> str:
    """:func:`schema_name` of a base service (``auth``) or of a service for one app (``entity-crm``), checked."""
    validate_identifier(service, "service")
    if app is not None:
        validate_identifier(app, "app")
    return validate_schema(schema_name(service, app))


# --- migration files ---------------------------------------------------------------------------------------

#: A migration file's name: ``V<major>.<minor>.<patch>__<NN>_<description>.sql``, the service release that ships
#: it, its order within that release and a snake_case description. relc-migrate applies files by (version, NN);
#: ``relc plan`` lists the files a pin move will run by the same rule, so both read names here.
MIGRATION_FILE_RE: Final = re.compile(
    r"V(?P<version>(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?)__(?P<order>\d{2})_"
    r"(?P<description>[a-z0-9]+(_[a-z0-9]+)*)\.sql"
)
#: The line that starts a file's ROLLBACK section: the SQL relc-migrate stores at apply time and runs, newest
#: file first, when a tenant moves to a candidate pinning a lower version of the service.
ROLLBACK_MARKER_RE: Final = re.compile(r"--\s*ROLLBACK:\s*")


def migration_file_name(name: str) -> tuple[str, int, str] | None:
    """(version text, NN, description) of a well-named migration file, or None. Versions compare as SemVer,
    which this standard-library package leaves to its callers."""
    match = MIGRATION_FILE_RE.fullmatch(name)
    if match is None:
        return None
    return match["version"], int(match["order"]), match["description"]


def has_rollback(text: str) -> bool:
    """The file has a ``-- ROLLBACK:`` line (relc-migrate's linter refuses a file without exactly one)."""
    return any(ROLLBACK_MARKER_RE.fullmatch(line.strip()) for line in text.splitlines())


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
    registry starts with one ``pending`` row per schema.
    """

    tenant: str
    database: str
    schemas: tuple[str, ...]
    services: tuple[str, ...]


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
    """

    tenant: str
    steps: tuple[TenantStep, ...]
    migrations_root: str = MIGRATIONS_MOUNT_ROOT
    dry_run: bool = False
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


def job_environment(
    *,
    job_name: str,
    image: str,
    db_dsn_file: str = f"{VAULT_SECRETS_DIR}/tenant-db-dsn",
    infra_dsn_file: str = f"{VAULT_SECRETS_DIR}/infra-db-dsn",
    pushgateway_url: str | None = None,
    concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT,
    cluster: str | None = None,
    instance: str | None = None,
) -> tuple[tuple[str, str], ...]:
    """The Job container's environment as (name, value) pairs, sorted by name for stable rendering.

    Credentials are never values here: only paths of files that Vault injects.
    """
    env = {
        ENV_JOB_NAME: job_name,
        ENV_IMAGE: image,
        ENV_DB_DSN_FILE: db_dsn_file,
        ENV_INFRA_DSN_FILE: infra_dsn_file,
        ENV_CONCURRENCY_LIMIT: str(concurrency_limit),
    }
    if pushgateway_url is not None:
        env[ENV_PUSHGATEWAY_URL] = pushgateway_url
    if cluster is not None:
        env[ENV_CLUSTER] = cluster
    if instance is not None:
        env[ENV_INSTANCE] = instance
    return tuple(sorted(env.items()))


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


def job_name(kind: JobKind, tenant: str, service: str = "", desired_version: str = "", extra: str = "") -> str:
    """A DNS-1123 Job name, at most 63 characters, unique per (kind, tenant, service, version, extra).

    Form: ``<prefix>-<tenant>-<service>-<hash10>``, the readable part truncated to fit; the hash (SHA-256 of
    all inputs) makes a new desired version (or dry-run flag, passed in ``extra``) a new Job, which is what
    lets Kubernetes run it again: Jobs are immutable.
    """
    prefix = _JOB_PREFIX[kind]
    digest = hashlib.sha256("\x00".join((kind, tenant, service, desired_version, extra)).encode()).hexdigest()
    readable = "-".join(p for p in (prefix, tenant, service) if p)
    readable = _NOT_DNS.sub("-", readable.lower())
    readable = readable[: 63 - 11].strip("-")
    return f"{readable}-{digest[:10]}"


# --- dependencies.yml -------------------------------------------------------------------------------------

#: The file in which a migrations folder (``/migrations/<service>/``, or ``migrations/<service>/`` in the fleet
#: repository) states what the release shipping it requires of other services' schemas.
DEPENDENCIES_FILE: Final = "dependencies.yml"
#: The fix for every problem :func:`read_dependencies` reports.
DEPENDENCIES_HINT: Final = "write 'requires:' as a list of '- service: <name>' / '  minVersion: v<semver>' items"

# Semantic Versioning 2.0.0's own regular expression (semver.org), with ASCII digits: Python's ``\d`` also matches
# other scripts' digits, which no registry row or image tag ever holds.
_SEMVER: Final = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(-(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?"
    r"(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?"
)
_SHOWN: Final = 70
"""How much of a bad value a message quotes: enough to recognise it, never a hostile file's megabyte."""


@dataclass(frozen=True, slots=True)
class DependencyRequirement:
    """``- service: auth`` / ``minVersion: v1.2.0``: the tenant's ``auth`` schema must be at 1.2.0 or later."""

    service: str
    min_version: str  #: semver, the leading ``v`` dropped (as the registry and ``desiredVersion`` write it)


@dataclass(frozen=True, slots=True)
class DependencyProblem:
    """Why relc-migrate refuses a dependencies.yml, and where: a field path into the file's data.

    The path (``("requires", 0, "minVersion")``; ``()`` for the whole document) lets a reader that knows positions
    (the compiler's YAML reader) point at line:column; the message names the field too, for one that does not.
    ``at_key``: the key itself is the problem (one that must not be there), so show the key, not its value.
    """

    path: tuple[str | int, ...]
    message: str
    at_key: bool = False


def normalised_semver(text: str) -> str | None:
    """``text`` without its optional leading ``v`` if the rest is a semantic version, else None."""
    bare = text.removeprefix("v")
    return bare if _SEMVER.fullmatch(bare) else None


def read_dependencies(data: object) -> tuple[tuple[DependencyRequirement, ...], tuple[DependencyProblem, ...]]:
    """What a dependencies.yml requires, from its parsed YAML (any loader's dicts, lists and scalars).

    The file is a mapping with only the key ``requires`` (absent: nothing required), a list of mappings with
    exactly ``service`` (a valid service name) and ``minVersion`` (semver, optional leading ``v``). Returns the
    requirements and no problem, or no requirement and every problem found: relc-migrate refuses the whole
    folder (exit 2) and the compiler reports each problem (RLC406) rather than trusting part of the file.
    Pure: the caller reads the file with its own loader (and reports that loader's syntax errors).
    """
    if not isinstance(data, dict):
        return (), (DependencyProblem((), f"expected a mapping with only the key 'requires', not {_shown(data)}"),)
    problems = [
        DependencyProblem((str(key),), f"unexpected key {_shown(key)}: the file holds only 'requires'", True)
        for key in data
        if key != "requires"
    ]
    items = data.get("requires", [])
    if not isinstance(items, list):
        message = f"requires must be a list of service/minVersion items, not {_shown(items)}"
        problems.append(DependencyProblem(("requires",), message))
        items = []
    requirements: list[DependencyRequirement] = []
    for index, item in enumerate(items):
        found = _requirement(index, item)
        if isinstance(found, DependencyRequirement):
            requirements.append(found)
        else:
            problems += found
    return ((), tuple(problems)) if problems else (tuple(requirements), ())


def _requirement(index: int, item: object) -> DependencyRequirement | list[DependencyProblem]:
    here = f"requires[{index}]"
    if not isinstance(item, dict):
        return [DependencyProblem(("requires", index), f"{here} must be a mapping of service and minVersion")]
    problems: list[DependencyProblem] = []
    extra = [key for key in item if key not in ("service", "minVersion")]
    missing = [key for key in ("service", "minVersion") if key not in item]
    if extra or missing:  # one problem per item: a misspelt key is both an extra and a missing one
        wrong = [f"has {_shown(key)}" for key in extra] + [f"lacks {key}" for key in missing]
        where = ("requires", index, str(extra[0])) if extra else ("requires", index)
        message = f"{here} needs exactly service and minVersion: it {' and '.join(wrong)}"
        problems.append(DependencyProblem(where, message, bool(extra)))
    service, version = item.get("service"), item.get("minVersion")
    if "service" in item and (wrong_name := _wrong_service(here, service)) is not None:
        problems.append(DependencyProblem(("requires", index, "service"), wrong_name))
    normalised = normalised_semver(version) if isinstance(version, str) else None
    if "minVersion" in item and normalised is None:
        problems.append(
            DependencyProblem(
                ("requires", index, "minVersion"),
                f"{here}.minVersion {_shown(version)} is not a semantic version (MAJOR.MINOR.PATCH, optionally "
                "with a leading v: v2.1.0)",
            )
        )
    if problems or not isinstance(service, str) or normalised is None:
        return problems
    return DependencyRequirement(service, normalised)


def _wrong_service(here: str, value: object) -> str | None:
    """Why ``value`` cannot name the service whose schema is required (the names relc-migrate's schemas have)."""
    if not isinstance(value, str):
        return f"{here}.service must be a service name, not {_shown(value)}"
    try:
        validate_identifier(value, f"{here}.service")
    except IdentifierError as err:
        return str(err)
    return None


def _shown(value: object) -> str:
    """A value in the file's terms, cut short: ``'v1.2'``, ``1.2``, ``null``, ``true``, ``a mapping``, ``a list``."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


# --- the compiled service version registry -----------------------------------------------------------------

REGISTRY_API_VERSION: Final = "relc.dev/v1alpha1"
REGISTRY_KIND: Final = "ServiceVersionRegistry"
#: Where the compiler renders the registry file (relative to the repository root).
REGISTRY_RENDERED_PATH: Final = "rendered/registry/service_versions.json"


class ServiceVersionEntry(TypedDict):
    """One row of ``infra.service_versions``: a service version that must stay deployed in an instance."""

    instance: str
    cluster: str
    environment: str
    service: str
    version: str  #: semver, no leading ``v``
    candidates: list[str]  #: release candidates that pin this version
    tenants: list[str]  #: tenants that use it


#: The table both sides write: the compiler's rendered SQL (registry/service_versions.sql) and
#: ``relc-migrate registry-sync``. One definition, so the two can never create different tables.
REGISTRY_DDL: Final = (
    "CREATE SCHEMA IF NOT EXISTS infra",
    """CREATE TABLE IF NOT EXISTS infra.service_versions (
    instance    text NOT NULL,
    service     text NOT NULL,
    version     text NOT NULL,
    cluster     text NOT NULL,
    environment text NOT NULL,
    candidates  text[] NOT NULL,
    tenants     text[] NOT NULL,
    synced_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instance, service, version)
)""",
)


REGISTRY_COLUMNS: Final = ("instance", "service", "version", "cluster", "environment", "candidates", "tenants")
"""The columns every upsert writes, in the order its VALUES rows give them."""


def registry_upsert(rows: str) -> str:
    """The upsert both sides run: insert ``rows`` (the VALUES list, columns in REGISTRY_COLUMNS order) and
    update an existing (instance, service, version) row only when something changed, so ``synced_at`` and
    ``RETURNING`` tell changed rows from unchanged ones. The compiler passes literal rows
    (registry/service_versions.sql), registry-sync one row of placeholders at a time."""
    return f"""INSERT INTO infra.service_versions ({", ".join(REGISTRY_COLUMNS)})
VALUES
{rows}
ON CONFLICT (instance, service, version) DO UPDATE
    SET cluster = excluded.cluster, environment = excluded.environment,
        candidates = excluded.candidates, tenants = excluded.tenants, synced_at = now()
    WHERE (infra.service_versions.cluster, infra.service_versions.environment,
           infra.service_versions.candidates, infra.service_versions.tenants)
          IS DISTINCT FROM (excluded.cluster, excluded.environment, excluded.candidates, excluded.tenants)"""


class RegistryShard(TypedDict):
    """Which part of a sharded registry a file is: shard ``index`` (0-based) of ``count``."""

    index: int
    count: int


class ServiceVersionRegistryFile(TypedDict):
    """The registry file: entries sorted by (instance, service, version).

    A shard (``shard`` present) holds the entries of the tenants whose :func:`shard_of` is its index, each with
    only those tenants, and (in shard 0) the entries no tenant uses: an entry's tenants are the union of its
    tenants over all shards, its other fields the same in each. Only the whole set of shards is the registry."""

    apiVersion: str
    kind: str
    entries: list[ServiceVersionEntry]
    shard: NotRequired[RegistryShard]


def shard_of(name: str, count: int) -> int:
    """The shard (``0 … count-1``) of a tenant's name: a stable hash, the same on every machine and in every
    Python (never ``hash()``, which is salted per process). With ``count`` a power of two, doubling it splits
    each shard in two: a name in shard ``i`` moves to ``i`` or ``i + count``, never elsewhere."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


# --- metrics ---------------------------------------------------------------------------------------------

MetricKind = Literal["counter", "gauge", "histogram"]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric relc-migrate exports (design document 2, §8.2): its name, type, label names and help text.

    relc-migrate builds its prometheus_client objects from these (``relc_migrate/metrics.py``) and the compiler
    renders the Grafana dashboard's queries from them, so a renamed metric or label changes both at once; a test
    checks every dashboard query against what the exporter's registry really emits.
    """

    name: str
    kind: MetricKind
    labels: tuple[str, ...]
    help: str


#: Labels every metric carries, from the Job's environment (RELC_CLUSTER, RELC_INSTANCE): a tenant is named
#: by its Instance and its name, and several Instances may share a cluster and a Prometheus. ``relc_instance``,
#: not ``instance``: Prometheus gives every scraped series an ``instance`` label of its own (the target).
INSTANCE_LABEL: Final = "relc_instance"
SCOPE_LABELS: Final = ("cluster", INSTANCE_LABEL)

METRIC_MIGRATION_DURATION: Final = MetricSpec(
    "tenant_migration_duration_seconds",
    "histogram",
    (*SCOPE_LABELS, "service", "tenant", "version"),
    "Duration of one tenant/service migration run",
)
METRIC_MIGRATION_TOTAL: Final = MetricSpec(
    "tenant_migration_total", "counter", (*SCOPE_LABELS, "outcome"), "Migration runs by outcome"
)
METRIC_SCHEMA_VERSION: Final = MetricSpec(
    "tenant_schema_version",
    "gauge",
    (*SCOPE_LABELS, "tenant", "service", "schema", "version"),
    "1 for the schema version a tenant's schema is at",
)
METRIC_BACKUP_DURATION: Final = MetricSpec(
    "tenant_backup_duration_seconds",
    "histogram",
    (*SCOPE_LABELS, "tenant", "outcome"),
    "Duration of the pg_dump backup before a migration",
)
METRIC_BACKUP_FAILED: Final = MetricSpec(
    "tenant_backup_failed_total", "counter", (*SCOPE_LABELS, "tenant"), "Backups that failed after all retries"
)
METRIC_QUEUE_LENGTH: Final = MetricSpec(
    "migration_queue_length", "gauge", SCOPE_LABELS, "Runners waiting for a cluster-wide migration slot"
)
METRICS: Final = (
    METRIC_MIGRATION_DURATION,
    METRIC_MIGRATION_TOTAL,
    METRIC_SCHEMA_VERSION,
    METRIC_BACKUP_DURATION,
    METRIC_BACKUP_FAILED,
    METRIC_QUEUE_LENGTH,
)
#: Migration outcomes (the ``outcome`` label of tenant_migration_total) and backup outcomes.
MIGRATION_OUTCOMES: Final = frozenset({"success", "failed", "blocked", "locked", "interrupted", "dry_run", "usage"})
BACKUP_OUTCOMES: Final = frozenset({"success", "failed"})
#: The Pushgateway groups a push by the Job's name (``job``) and its Instance: Job names derive from the tenant,
#: service and version, which two Instances on one Pushgateway may share.
PUSH_GROUPING_LABELS: Final = ("job", INSTANCE_LABEL)


# --- the JSON summary --------------------------------------------------------------------------------------


class RunSummary(TypedDict, total=False):
    """The one-line JSON summary printed last on stdout and written to the termination log.

    ``command``, ``outcome``, ``exit_code`` and ``duration_seconds`` are always present (``message`` when the
    run did not succeed); the rest depends on the command. ``outcome`` is one of: ok, dry_run, failed, usage,
    blocked, locked, interrupted (see ExitCode). Every key relc-migrate writes is declared here (tested).
    """

    command: str
    outcome: str
    exit_code: int
    duration_seconds: float
    message: str
    # migrate / rollback / retry
    tenant: str
    service: str
    database: str
    dry_run: bool
    from_version: str | None
    to_version: str
    applied: int
    rolled_back: int
    recovered: bool  #: a previous runner died mid-migration and this run recovered
    schemas: list[dict[str, object]]  #: per schema: from/to version, applied, rolled_back, resumed files
    changes: dict[str, int]  #: dry run: added / dropped / altered catalog objects
    backup: str  #: where the backup before migration was written
    # migrate-tenant
    steps: list[dict[str, object]]  #: per step run, in order: service, database, outcome and its schemas
    steps_total: int  #: how many steps the plan has (more than ``steps`` when a step failed)
    noop: bool  #: nothing to do: no slot was taken, nothing was written
    # baseline / repair
    recorded: list[str]  #: baseline: ``schema/file`` recorded as applied by baseline (not run)
    realigned: list[str]  #: repair: ``schema/file`` whose stored checksum now matches the folder
    removed_failed: list[str]  #: repair: ``schema/file`` of the failed history entries removed
    # provision / deprovision
    database_created: bool
    schemas_created: list[str]
    schemas_existing: list[str]
    mode: str
    action: str  #: nothing | retained | awaiting-finalize | purged
    purge_after: str | None
    dropped_schemas: list[str]
    database_dropped: bool
    kept_schemas: list[str]
    bookkeeping_dropped: bool  #: deprovision kept the database and removed relc's own schema from it
    # cleanup
    retained: list[str]  #: ``database/schema until <UTC time>``: left behind, kept until its retention expires
    dropped_databases: list[str]  #: cleanup: country databases relc created whose last schema it dropped
    # registry-sync
    entries: int
    inserted: int
    updated: int
    unchanged: int
    deleted: int
    # status / lint
    databases: int
    failed_or_blocked: int
    services: list[str]
    errors: int
    warnings: int
