"""What a Job's runtime looks like to both sides: program name, contract version, paths, environment, user, defaults.

The compiler writes these into the rendered Jobs (mounts, env, securityContext, argv defaults) and relc-migrate
reads them back in the container; a constant defined on one side only would drift from the other, so both import
it from here.
"""

from __future__ import annotations

from typing import Final

CONTRACT_VERSION: Final = "3"
"""2: registry-sync takes --registry-file once per shard, and registry files may carry ``shard`` (an older
relc-migrate refuses such a file as malformed, so it never syncs part of a registry). 3: migrate-tenant takes
--await-candidate/--candidate-wait (an older relc-migrate refuses them, exit 2, before touching a database) and
Jobs set RELC_KUBE_API (ignored by an older one)."""

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

# --- Vault (provisioning writes the tenant's credentials; see relc_migrate/vault.py) -------------------------

#: Vault's address (``https://vault.example:8200``). Unset: provisioning writes no credentials (and says so).
ENV_VAULT_ADDR: Final = "RELC_VAULT_ADDR"
#: The Vault Enterprise namespace (sent as X-Vault-Namespace); the Instance's vault.namespace.
ENV_VAULT_NAMESPACE: Final = "RELC_VAULT_NAMESPACE"
#: The Instance's vault.pathPrefix (``<mount>/data/<path>``); a tenant's secret is ``<prefix>/<tenant>``.
ENV_VAULT_PATH_PREFIX: Final = "RELC_VAULT_PATH_PREFIX"
#: The Kubernetes auth role to log in as (the Job's vault.hashicorp.com/role annotation).
ENV_VAULT_ROLE: Final = "RELC_VAULT_ROLE"
#: Where the Kubernetes auth method is mounted (default ``kubernetes``: /v1/auth/kubernetes/login).
ENV_VAULT_AUTH_MOUNT: Final = "RELC_VAULT_AUTH_MOUNT"
#: The ServiceAccount token sent to Kubernetes auth (default: the projected token's path in every pod).
ENV_VAULT_SA_TOKEN_FILE: Final = "RELC_VAULT_SA_TOKEN_FILE"
#: A file holding a Vault token: when set, it is used instead of Kubernetes auth (local runs, CI).
ENV_VAULT_TOKEN_FILE: Final = "RELC_VAULT_TOKEN_FILE"
#: A CA bundle to verify Vault's TLS certificate with (default: the system's).
ENV_VAULT_CACERT: Final = "RELC_VAULT_CACERT"
SERVICE_ACCOUNT_TOKEN_PATH: Final = "/var/run/secrets/kubernetes.io/serviceaccount/token"
DEFAULT_VAULT_AUTH_MOUNT: Final = "kubernetes"
VAULT_ROLE: Final = "relc-migrate"
"""The Vault role of every relc-migrate Job (its Kubernetes auth role and the agent injector's annotation)."""

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
