"""The Kubernetes Jobs that run relc-migrate: provisioning (per database) and migration (ONE per tenant).

Every command line, environment variable, mount path and Job name comes from ``relc_contract``, the
module relc-migrate's own CLI parses, so the compiler and the companion cannot drift. This module only adds
the Kubernetes around it.

A tenant's migration Job runs ``relc-migrate migrate-tenant`` with one ``--step`` per service and database in
the candidate's migration order: the program runs the steps in that order in one process under one cluster
slot and stops at the first failure, so a service never migrates before one it requires (design: dependency
order enforced by the program, not by hook waves), and a tenant costs one pod, not one per service.

Migrations never exec into running pods (so no role grants pods/exec): one init container per service runs the
service image at the tenant's pinned tag (plus the Instance's imageTagSuffix) and copies /migrations/<service>
into its own subfolder of an emptyDir; the relc-migrate container reads them all from there. (Kubernetes image
volumes would spare service images the ``cp``, but the API relc validates against, 1.30, has none.)

Both kinds are Argo CD PreSync hooks of the tenant's folder, so they run before the tenant's custom resources
are applied: provisioning at WAVE_PROVISION, migration at WAVE_MIGRATE. The migration Job first waits (the
readiness gate, ``--await-candidate``, bounded by the Instance's migration timeout) until the tenant's candidate's
Deployments are all Available: its failure fails the PreSync phase, so the tenant's route (a Sync resource of the
same Application) never moves to a candidate that is not deployed and healthy or whose migrations failed. Every
Job may use the in-cluster API (``RELC_KUBE_API``) to write its progress into the tenancy resources' status.
The delete policy is BeforeHookCreation: the last run's Job (its logs and termination message) stays
inspectable until the next sync replaces it, instead of vanishing on success (HookSucceeded) or on failure;
ttlSecondsAfterFinished removes Jobs whose name the next sync no longer renders (a new desired version hashes
to a new name).

Credentials are files the Vault agent injector writes to /vault/secrets before the containers start
(pre-populate only, so no sidecar keeps a finished Job alive); no credential value is ever rendered.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import relc_contract as contract
from compiler.diagnostics import RelcError
from compiler.model import names
from compiler.model.common import duration_seconds
from compiler.model.kinds import DeletionMode, Instance, Tenant
from compiler.render.context import RenderContext
from compiler.render.conventions import (
    LABEL_INSTANCE,
    LABEL_SERVICE,
    LABEL_TENANT,
    MANAGED_BY,
    MIGRATE_SERVICE_ACCOUNT,
    SYNC_WAVE,
    WAVE_MIGRATE,
    WAVE_PROVISION,
)
from compiler.render.output import Document, Manifest, Shapes, Templated
from compiler.render.tenantplan import (
    SchemaSlot,
    ServicePin,
    TenantLayout,
    backup_destination,
    backup_required,
    tenant_databases,
)

HOOK = "argocd.argoproj.io/hook"
HOOK_DELETE_POLICY = "argocd.argoproj.io/hook-delete-policy"
MAIN_CONTAINER = "relc-migrate"
INIT_CONTAINER_PREFIX = "copy"
"""Init containers are ``copy-<service>`` (one per service image; container names must differ in a pod)."""
MIGRATIONS_VOLUME = "migrations"
TMP_VOLUME = "tmp"
TTL_SECONDS_AFTER_FINISHED = 86_400
DEPROVISION_SCHEDULE = "0 3 * * *"
"""When a retained tenant's deprovision CronJob reruns: daily, so the purge follows the grace period by < 1 day."""
CLEANUP_STARTING_DEADLINE_SECONDS = 3_600
"""A cleanup the controller could not start within an hour (an outage) is skipped; the next day's runs."""
VAULT_ROLE = contract.VAULT_ROLE
TENANT_DSN_FIELD = "dsn"
"""The field of the tenant's Vault secret (<pathPrefix>/<tenant>) holding its libpq connection string."""

_VAULT_REF = re.compile(r"vault:([A-Za-z0-9_./-]+)#([A-Za-z0-9_.-]+)\Z")
_VAULT_PATH = re.compile(r"[A-Za-z0-9_./-]+\Z")


class BadVaultReference(RelcError):
    """An Instance's database.credentials is not ``vault:<path>#<key>`` with a plain path and key (they end up
    inside a Vault agent template, so nothing else may pass)."""

    def __init__(self, instance: str, reference: str) -> None:
        super().__init__(f"Instance {instance}: database.credentials {reference!r} is not vault:<path>#<key>")
        self.instance = instance
        self.reference = reference


class UnsafeVaultPath(RelcError):
    """A tenant's Vault path (from the Instance's vault.pathPrefix) with characters a Vault agent template
    cannot hold safely (it is written inside a quoted template string)."""

    def __init__(self, instance: str, path: str) -> None:
        super().__init__(f"Instance {instance}: Vault path {path!r} may only hold letters, digits and _ . / -")
        self.instance = instance
        self.path = path


def vault_reference(instance: Instance) -> tuple[str, str]:
    match = _VAULT_REF.match(instance.spec.database.credentials)
    if match is None:
        raise BadVaultReference(instance.metadata.name, instance.spec.database.credentials)
    return match.group(1), match.group(2)


# --- the Vault agent ------------------------------------------------------------------------------------------


def _secret_file_name(path: str) -> str:
    """The injector writes ``agent-inject-secret-<name>`` to /vault/secrets/<name>: the contract's path decides."""
    folder, _, name = path.rpartition("/")
    assert folder == contract.VAULT_SECRETS_DIR, path
    return name


VaultFile = tuple[str, str]
"""(Vault path, complete agent template) of one credentials file the injector writes."""


def vault_annotations(namespace: str, tenant_dsn: VaultFile, infra: VaultFile) -> dict[str, str]:
    """Annotations making the Vault agent write the two DSN files the contract's environment points at."""
    out = {
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/agent-pre-populate-only": "true",
        "vault.hashicorp.com/namespace": namespace,
        "vault.hashicorp.com/role": VAULT_ROLE,
    }
    files = dict(contract.job_environment(image="-"))
    for env, (path, template) in ((contract.ENV_DB_DSN_FILE, tenant_dsn), (contract.ENV_INFRA_DSN_FILE, infra)):
        name = _secret_file_name(files[env])
        out[f"vault.hashicorp.com/agent-inject-secret-{name}"] = path
        out[f"vault.hashicorp.com/agent-inject-template-{name}"] = template
    return out


def _vault_file(path: str, body: str) -> VaultFile:
    return path, f'{{{{- with secret "{path}" -}}}}{body}{{{{- end -}}}}'


def _admin_dsn(instance: Instance, database: str | None = None) -> VaultFile:
    """The Instance's admin connection string (``database.credentials``); libpq keeps the last ``dbname``."""
    path, key = vault_reference(instance)
    body = f'{{{{ index .Data.data "{key}" }}}}'
    return _vault_file(path, body if database is None else f"{body} dbname={database}")


def tenant_dsn(instance: Instance, tenant: str) -> VaultFile:
    path = contract.vault_path(instance.spec.vault.path_prefix, tenant)
    if not _VAULT_PATH.match(path):
        raise UnsafeVaultPath(instance.metadata.name, path)
    return _vault_file(path, f"{{{{ .Data.data.{TENANT_DSN_FIELD} }}}}")


# --- constant pieces, shared ----------------------------------------------------------------------------------
# Rendered manifests share these read-only sub-objects (the emitter only reads them, and writes no YAML anchors):
# building them once instead of per Job keeps the per-Job cost down on fleets with 100,000s of Jobs.

_SECURITY_CONTEXT: Manifest = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
}
_POD_SECURITY_CONTEXT: Manifest = {
    "runAsNonRoot": True,
    "runAsUser": contract.RUN_AS_UID,
    "runAsGroup": contract.RUN_AS_UID,
    "fsGroup": contract.RUN_AS_UID,
    "seccompProfile": {"type": "RuntimeDefault"},
}
_MAIN_RESOURCES: Manifest = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}}
_INIT_RESOURCES: Manifest = {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}}
_TMP_MOUNT: Manifest = {"name": TMP_VOLUME, "mountPath": "/tmp"}
_TMP_VOLUME: Manifest = {"name": TMP_VOLUME, "emptyDir": {}}
_MIGRATIONS_VOLUME: Manifest = {"name": MIGRATIONS_VOLUME, "emptyDir": {}}
_MIGRATIONS_MOUNT_RW: Manifest = {"name": MIGRATIONS_VOLUME, "mountPath": contract.MIGRATIONS_VOLUME_MOUNT}
_MIGRATIONS_MOUNT_RO: Manifest = {**_MIGRATIONS_MOUNT_RW, "readOnly": True}
_POD_FAILURE_POLICY: Manifest = {
    "rules": [
        {
            # bad input or a blocked dependency: retrying cannot help (design §5.2: block, do not retry)
            "action": "FailJob",
            "onExitCodes": {
                "containerName": MAIN_CONTAINER,
                "operator": "In",
                "values": [int(contract.ExitCode.USAGE), int(contract.ExitCode.BLOCKED)],
            },
        },
        # a node drain or preemption is not the migration's fault: do not count it as a retry
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
    ]
}


def _labels(instance: str, tenant: str, component: str, service: str | None) -> dict[str, str]:
    labels = {
        **MANAGED_BY,
        "app.kubernetes.io/name": "relc-migrate",
        "app.kubernetes.io/component": component,
        LABEL_INSTANCE: instance,
        LABEL_TENANT: tenant,
    }
    if service is not None:
        labels[LABEL_SERVICE] = service
    return labels


class _InstanceKit:
    """What every Job of one Instance shares (hashed by identity: one per Instance and render)."""

    def __init__(self, ctx: RenderContext, instance: Instance) -> None:
        spec = instance.spec
        self.instance = instance
        self.name = instance.metadata.name
        self.namespace = names.tenancy_namespace(self.name)
        self.vault_namespace = spec.vault.namespace
        self.image = ctx.settings.migrate_image
        self.timeout = duration_seconds(spec.migration.timeout)
        self.concurrency = spec.migration.concurrency
        self.cluster = spec.cluster
        self.pushgateway = ctx.settings.pushgateway_url
        self.infra = _admin_dsn(instance, spec.database.infra_database)
        self.provision_vault = vault_annotations(self.vault_namespace, _admin_dsn(instance), self.infra)
        # provisioning writes each tenant's credentials to <pathPrefix>/<tenant> (none when no address is set)
        self.vault_target = (
            None
            if spec.vault.address is None
            else contract.VaultTarget(spec.vault.address, spec.vault.namespace, spec.vault.path_prefix)
        )
        self.inits: dict[tuple[ServicePin, ...], list[Manifest]] = {}
        self._env: list[Manifest] | None = None

    def env(self, vault: contract.VaultTarget | None = None) -> list[Manifest]:
        """The main container's environment, the same for every Job of the Instance but the provisioning Jobs'
        Vault settings (``vault``): the Job's name comes from the pod's own label (contract.JOB_NAME_FIELD_PATH),
        so it is not written twice."""
        if vault is None and self._env is not None:
            return self._env
        pairs = contract.job_environment(
            image=self.image,
            concurrency_limit=self.concurrency,
            cluster=self.cluster,
            instance=self.name,
            pushgateway_url=self.pushgateway,
            kube_api=True,
            vault=vault,
        )
        name: Manifest = {
            "name": contract.ENV_JOB_NAME,
            "valueFrom": {"fieldRef": {"fieldPath": contract.JOB_NAME_FIELD_PATH}},
        }
        env = [{"name": key, "value": value} for key, value in pairs]
        found = sorted([*env, name], key=lambda variable: str(variable["name"]))
        if vault is None:
            self._env = found
        return found

    def main_container(
        self, argv: Sequence[str], mounts: list[Manifest], vault: contract.VaultTarget | None = None
    ) -> Manifest:
        return {
            "name": MAIN_CONTAINER,
            "image": self.image,
            "imagePullPolicy": "IfNotPresent",
            "args": list(argv),
            "env": self.env(vault),
            "resources": _MAIN_RESOURCES,
            "securityContext": _SECURITY_CONTEXT,
            "terminationMessagePath": contract.TERMINATION_LOG_PATH,
            "terminationMessagePolicy": "FallbackToLogsOnError",
            "volumeMounts": mounts,
        }

    def init_containers(self, pins: tuple[ServicePin, ...]) -> list[Manifest]:
        """One init container per service: its image at the pinned tag copies /migrations/<service> into
        <mount>/<service>, its own subfolder of the shared emptyDir (needs ``cp`` in the service image)."""
        found = self.inits.get(pins)
        if found is None:
            found = self.inits[pins] = [
                {
                    "name": names.k8s_name(INIT_CONTAINER_PREFIX, pin.service),
                    "image": pin.image,
                    "imagePullPolicy": "IfNotPresent",
                    "command": list(contract.init_container_command(pin.service)),
                    "resources": _INIT_RESOURCES,
                    "securityContext": _SECURITY_CONTEXT,
                    "volumeMounts": [_MIGRATIONS_MOUNT_RW],
                }
                for pin in pins
            ]
        return found

    def job_spec(self, labels: dict[str, str], pod: Manifest, vault: dict[str, str], attempt: int) -> Manifest:
        """A Job's spec: the hardened pod, ``attempt`` seconds for its one attempt (Argo CD retries, not the Job)."""
        pod["serviceAccountName"] = MIGRATE_SERVICE_ACCOUNT
        pod["restartPolicy"] = "Never"
        pod["activeDeadlineSeconds"] = attempt
        pod["securityContext"] = _POD_SECURITY_CONTEXT
        return {
            # One retry layer: Argo CD's (sync_policy(retries=migration.retries) on the Applications holding
            # these hooks). A Job retrying as well would multiply the two: (limit + 1) x (backoffLimit + 1)
            # attempts, each taking a slot and perhaps a backup.
            "backoffLimit": 0,
            "activeDeadlineSeconds": attempt,
            "ttlSecondsAfterFinished": TTL_SECONDS_AFTER_FINISHED,
            "podFailurePolicy": _POD_FAILURE_POLICY,
            "template": {"metadata": {"labels": labels, "annotations": vault}, "spec": pod},
        }

    def job(
        self, name: str, labels: dict[str, str], wave: str, pod: Manifest, vault: dict[str, str], attempt: int
    ) -> Manifest:
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": name,
                "namespace": self.namespace,
                "labels": labels,
                "annotations": {HOOK: "PreSync", HOOK_DELETE_POLICY: "BeforeHookCreation", SYNC_WAVE: wave},
            },
            "spec": self.job_spec(labels, pod, vault, attempt),
        }


# Shapes are made once per distinct value (output.Shapes, keyed by all their fields), compared by identity (eq=False).


@dataclass(frozen=True, slots=True, eq=False)
class ProvisionShape:
    kit: _InstanceKit
    schemas: tuple[tuple[str, str], ...]
    """(schema, service) pairs the database gets"""
    app: str | None
    """the app whose schemas these are (its AppProvisionJob gets the status), None for the tenant's base schemas"""


@dataclass(frozen=True, slots=True, eq=False)
class MigrationShape:
    kit: _InstanceKit
    candidate_namespace: str
    """where the candidate's Deployments run: the Job's readiness gate waits for them"""
    pins: tuple[ServicePin, ...]
    """the services whose images ship migrations (an init container each), in migration order"""
    steps: tuple[contract.TenantStep, ...]
    """in migration order; they name databases by country, so tenants with the same apps and countries share them"""
    dry_run: bool
    destination: bool


@dataclass(frozen=True, slots=True, eq=False)
class CleanupShape:
    kit: _InstanceKit
    retention: tuple[int, int]
    """(schemaTransition, deprecatedVersions) in seconds: the Tenant's retention, else the Instance's"""
    in_use: int
    """how many ``database/schema`` pairs the candidate migrates (each a text, after the three named ones)"""


class ProvisionTexts(NamedTuple):
    """The per-tenant strings of a provisioning Job (the holes of its stencil)."""

    name: str
    tenant: str
    database: str


class MigrationTexts(NamedTuple):
    """The per-tenant strings of a tenant's migration Job."""

    name: str
    tenant: str
    vault_path: str
    vault_template: str
    destination: str
    """the backup destination when ``MigrationShape.destination``, else empty"""


def _provision_job(shape: ProvisionShape, texts: tuple[str, ...]) -> Manifest:
    t, kit = ProvisionTexts._make(texts), shape.kit
    schemas = tuple(schema for schema, _ in shape.schemas)
    services = tuple(service for _, service in shape.schemas)
    inv = contract.ProvisionInvocation(t.tenant, t.database, schemas, services, shape.app)
    # CREATE DATABASE needs the Instance's admin role; the tenant's own credentials may not exist yet: this Job
    # writes them to Vault (vault_target), where the migration Job's agent reads them.
    pod: Manifest = {
        "containers": [kit.main_container(contract.provision_argv(inv), [_TMP_MOUNT], kit.vault_target)],
        "volumes": [_TMP_VOLUME],
    }
    labels = _labels(kit.name, t.tenant, "provisioning", None)
    return kit.job(t.name, labels, WAVE_PROVISION, pod, kit.provision_vault, kit.timeout)


def _migration_job(shape: MigrationShape, texts: tuple[str, ...]) -> Manifest:
    t, kit = MigrationTexts._make(texts), shape.kit
    timeout = kit.timeout
    inv = contract.TenantMigrateInvocation(
        tenant=t.tenant,
        steps=shape.steps,
        dry_run=shape.dry_run,
        candidate_namespace=shape.candidate_namespace,
        candidate_wait_seconds=float(timeout),
        backup_destination=t.destination if shape.destination else None,
        backup_timeout_seconds=timeout,
        slot_wait_seconds=float(timeout),
        statement_timeout_ms=min(contract.DEFAULT_STATEMENT_TIMEOUT_MS, timeout * 1000),
    )
    pod: Manifest = {
        "initContainers": kit.init_containers(shape.pins),
        "containers": [kit.main_container(contract.migrate_tenant_argv(inv), [_TMP_MOUNT, _MIGRATIONS_MOUNT_RO])],
        "volumes": [_MIGRATIONS_VOLUME, _TMP_VOLUME],
    }
    labels = _labels(kit.name, t.tenant, "migration", None)
    vault = vault_annotations(kit.vault_namespace, (t.vault_path, t.vault_template), kit.infra)
    # One attempt may wait for the candidate (timeout) and the slot (timeout), then each step may back up
    # (timeout) and migrate (timeout).
    attempt = timeout * (2 + sum(2 if step.backup else 1 for step in shape.steps))
    return kit.job(t.name, labels, WAVE_MIGRATE, pod, vault, attempt)


CLEANUP_TEXTS = 3
"""name, tenant, schedule: the named texts of a cleanup CronJob; its ``database/schema`` pairs follow."""


def cleanup_schedule(tenant: str) -> str:
    """Daily, at a minute of the day derived from the tenant's name: the fleet's cleanups spread over the day
    instead of all starting at midnight against the same database servers."""
    minute = int(hashlib.sha256(tenant.encode()).hexdigest()[:8], 16) % (24 * 60)
    return f"{minute % 60} {minute // 60} * * *"


def _cleanup_cronjob(shape: CleanupShape, texts: tuple[str, ...]) -> Manifest:
    kit = shape.kit
    name, tenant, schedule = texts[:CLEANUP_TEXTS]
    inv = contract.CleanupInvocation(tenant, tuple(texts[CLEANUP_TEXTS:]), *shape.retention)
    # DROP DATABASE (a country database whose last schema expired) needs the Instance's admin role, like provisioning
    pod: Manifest = {
        "containers": [kit.main_container(contract.cleanup_argv(inv), [_TMP_MOUNT])],
        "volumes": [_TMP_VOLUME],
    }
    labels = _labels(kit.name, tenant, "cleanup", None)
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": name,
            "namespace": kit.namespace,
            "labels": labels,
            "annotations": {SYNC_WAVE: WAVE_MIGRATE},
        },
        "spec": {
            "schedule": schedule,
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": CLEANUP_STARTING_DEADLINE_SECONDS,
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 1,
            "jobTemplate": {
                "metadata": {"labels": labels},
                "spec": kit.job_spec(labels, pod, kit.provision_vault, kit.timeout),
            },
        },
    }


class JobRenderer:
    """Renders one compile's Jobs; per-Instance parts are built on first use and reused."""

    def __init__(self, ctx: RenderContext) -> None:
        self._ctx = ctx
        self._kits: dict[str, _InstanceKit] = {}
        self._shapes = Shapes()

    def _kit(self, instance: Instance) -> _InstanceKit:
        kit = self._kits.get(instance.metadata.name)
        if kit is None:
            kit = self._kits[instance.metadata.name] = _InstanceKit(self._ctx, instance)
        return kit

    # --- provisioning ---------------------------------------------------------------------------------------

    def provisioning(self, instance: Instance, layout: TenantLayout) -> list[Templated[ProvisionShape]]:
        """One Job per database the tenant's TenantProvisionJob and AppProvisionJobs describe (idempotent)."""
        kit = self._kit(instance)
        jobs = [self._provision(kit, layout, layout.database, layout.base, None)]
        jobs += [self._provision(kit, layout, app.database, app.slots, app.app.name) for app in layout.apps]
        return jobs

    def _provision(
        self, kit: _InstanceKit, layout: TenantLayout, database: str, slots: tuple[SchemaSlot, ...], app: str | None
    ) -> Templated[ProvisionShape]:
        pairs = tuple((s.schema, s.pin.service) for s in slots)
        extra = f"{database}:{','.join(schema for schema, _ in pairs)}"
        name = contract.job_name("provision", layout.name, extra=extra)
        shape = self._shapes.get(ProvisionShape, kit, pairs, app)
        return Templated(_provision_job, shape, ProvisionTexts(name, layout.name, database))

    # --- migration ------------------------------------------------------------------------------------------

    def migrations(self, instance: Instance, layout: TenantLayout) -> list[Templated[MigrationShape]]:
        """The tenant's one migration Job: a step per service and database, in migration order."""
        kit = self._kit(instance)
        dry_run = layout.tenant.spec.policies.dry_run
        groups = migration_groups(layout)
        steps = tuple(
            contract.TenantStep(
                pin.service,
                pin.version,
                slots[0].country,
                tuple(s.schema for s in slots),
                backup_required(layout, slots[0]),
            )
            for pin, slots in groups
        )
        destination = backup_destination(instance, layout.name) if any(s.backup for s in steps) else None
        pins = tuple(dict.fromkeys(pin for pin, _ in groups))
        namespace = names.candidate_namespace(kit.name, layout.candidate.candidate)
        shape = self._shapes.get(MigrationShape, kit, namespace, pins, steps, dry_run, destination is not None)
        vault_path, vault_template = tenant_dsn(instance, layout.name)
        name = contract.tenant_job_name(layout.name, steps, dry_run)
        texts = MigrationTexts(name, layout.name, vault_path, vault_template, destination or "")
        return [Templated(_migration_job, shape, texts)]

    # --- deprovision (a removed tenant's tombstone) ----------------------------------------------------------

    def deprovision(self, instance: Instance, tenant: Tenant) -> list[Manifest]:
        """What a removed tenant's deletion policy asks of ``relc-migrate deprovision``, per database.

        A PostSync Job records the request once the sync has pruned the tenant's routes and custom resources
        (``immediate`` purges then). ``retained`` adds a daily CronJob that purges on its first run after the
        grace period; ``manual`` a suspended CronJob with ``--finalize``, which a person starts by hand
        (``kubectl create job --from=cronjob/<name>``): relc never decides a manual deletion.
        """
        kit = self._kit(instance)
        deletion = tenant.spec.policies.deletion
        mode = deletion.mode
        mode_name = _DELETION_MODES[mode]
        grace = duration_seconds(deletion.grace_period)
        name = tenant.metadata.name
        out: list[Manifest] = []
        for database in tenant_databases(tenant):
            record = contract.DeprovisionInvocation(name, database, mode_name, grace)
            job_name = contract.job_name("deprovision", name, extra=f"{database}:{mode.value}:{grace}")
            labels = _labels(kit.name, name, "deprovision", None)
            out.append(self._deprovision_job(kit, job_name, labels, record))
            if mode is DeletionMode.IMMEDIATE:
                continue
            finalize = mode is DeletionMode.MANUAL
            later = contract.DeprovisionInvocation(name, database, mode_name, grace, finalize=finalize)
            cron_name = names.k8s_name("deprov", name, names.short_hash(database), limit=CRONJOB_NAME_MAX)
            job = self._deprovision_job(kit, cron_name, labels, later)
            out.append(_cronjob(job, suspend=finalize))
        return out

    def _deprovision_job(
        self, kit: _InstanceKit, name: str, labels: dict[str, str], inv: contract.DeprovisionInvocation
    ) -> Manifest:
        pod: Manifest = {
            "containers": [kit.main_container(contract.deprovision_argv(inv), [_TMP_MOUNT])],
            "volumes": [_TMP_VOLUME],
        }
        # DROP DATABASE needs the Instance's admin role, as CREATE DATABASE did
        job = kit.job(name, labels, WAVE_PROVISION, pod, kit.provision_vault, kit.timeout)
        job["metadata"]["annotations"][HOOK] = "PostSync"
        return job

    # --- retention cleanup ----------------------------------------------------------------------------------

    def cleanup(self, instance: Instance, layout: TenantLayout) -> Templated[CleanupShape]:
        """The tenant's retention CronJob: ``relc-migrate cleanup`` with every ``database/schema`` its candidate
        migrates as in use. A CronJob, not a sync hook: retention must fire once ``schemaTransition`` /
        ``deprecatedVersions`` have passed even if the tenant's Application never syncs again."""
        kit = self._kit(instance)
        retention = layout.tenant.spec.policies.retention or instance.spec.retention
        seconds = (duration_seconds(retention.schema_transition), duration_seconds(retention.deprecated_versions))
        in_use = tuple(f"{slot.database}/{slot.schema}" for slot in layout.slots())
        shape = self._shapes.get(CleanupShape, kit, seconds, len(in_use))
        name = contract.cleanup_cronjob_name(layout.name)
        return Templated(_cleanup_cronjob, shape, (name, layout.name, cleanup_schedule(layout.name), *in_use))

    # --- registry sync --------------------------------------------------------------------------------------
    def registry_sync(self, instance: Instance, shards: Sequence[tuple[str, str, str]], digest: str) -> Manifest:
        """A PostSync hook of the Instance's registry folder: ``relc-migrate registry-sync`` loads the registry's
        ConfigMaps — ``shards``, each (ConfigMap, key, file name) — mounted side by side in the folder of the
        contract's default file, all in one run (registry-sync refuses an incomplete set of shards), into
        infra.service_versions once Argo CD applied them. ``digest`` (of all their data) is part of the name, so
        each new registry runs once more."""
        kit = self._kit(instance)
        folder = contract.RegistrySyncInvocation().registry_files[0].rpartition("/")[0]
        inv = contract.RegistrySyncInvocation(tuple(f"{folder}/{path}" for _, _, path in shards))
        name = contract.job_name("registry-sync", kit.name, extra=digest)
        sources = [{"configMap": {"name": cm, "items": [{"key": key, "path": path}]}} for cm, key, path in shards]
        volume = {"name": "registry", "projected": {"sources": sources}}
        mount = {"name": "registry", "mountPath": folder, "readOnly": True}
        pod: Manifest = {
            "containers": [kit.main_container(contract.registry_sync_argv(inv), [_TMP_MOUNT, mount])],
            "volumes": [volume, _TMP_VOLUME],
        }
        labels = _labels(kit.name, "", "registry-sync", None)
        del labels[LABEL_TENANT]
        job = kit.job(name, labels, "0", pod, kit.provision_vault, kit.timeout)
        job["metadata"]["annotations"][HOOK] = "PostSync"
        return job


_DELETION_MODES: dict[DeletionMode, contract.DeletionMode] = {
    DeletionMode.RETAINED: "retained",
    DeletionMode.IMMEDIATE: "immediate",
    DeletionMode.MANUAL: "manual",
}
"""The model's deletion modes as the contract's argv spells them."""
CRONJOB_NAME_MAX = 52
"""Kubernetes limits CronJob names to 52 characters (it appends an 11-character suffix to each Job's name)."""


def _cronjob(job: Manifest, *, suspend: bool) -> Manifest:
    """``job`` as a CronJob: a plain resource of the tenant's Application (not a hook), run on schedule."""
    meta = job["metadata"]
    annotations = {k: v for k, v in meta["annotations"].items() if k not in (HOOK, HOOK_DELETE_POLICY)}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {**meta, "annotations": annotations},
        "spec": {
            "schedule": DEPROVISION_SCHEDULE,
            "suspend": suspend,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {"metadata": {"labels": meta["labels"]}, "spec": job["spec"]},
        },
    }


DIGEST_PREFIX = "sha256:"
DIGEST_HEX = 16
"""64 bits tell one set of hooks from the next (a change detector, not a signature); the prefix keeps the value a
plain YAML string whatever its digits, so a reviewer's diff never flips its quoting."""


class HookDigests:
    """The digest of a folder's hook Jobs (``relc.dev/hooks-digest``): sha256 over each Job's manifest.

    Why not emit and hash each Job: that is the costly part of rendering a tenant, done again. A Templated Job is
    ``build(shape, texts)`` and ``build`` only places each text (output.Templated's contract), so the shape built
    with markers for its texts, digested once per shape, plus the texts, determine the manifest exactly: the
    per-tenant cost is one sha256 over a few names. A plain manifest is digested whole.
    """

    def __init__(self) -> None:
        self._shapes: dict[tuple[object, ...], str] = {}  # shapes are interned, hashed by identity (output.Shapes)

    def of(self, jobs: Sequence[Document]) -> str:
        parts: list[str] = []
        for job in jobs:
            if isinstance(job, Templated):
                parts.append(self._shape(job))
                parts.extend(job.texts)
            else:
                parts.append(_canonical(job))
        return DIGEST_PREFIX + hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:DIGEST_HEX]

    def _shape(self, job: Templated[Any]) -> str:
        key = (job.build, job.shape, len(job.texts))
        found = self._shapes.get(key)
        if found is None:
            markers = tuple(f"\x00{index}\x00" for index in range(len(job.texts)))
            found = self._shapes[key] = _canonical(job.build(job.shape, markers))
        return found


def _canonical(manifest: Manifest) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def migration_groups(layout: TenantLayout) -> list[tuple[ServicePin, tuple[SchemaSlot, ...]]]:
    """(service, its schemas in one database): one step each, in migration order, the main database first."""
    groups: dict[tuple[str, str], list[SchemaSlot]] = {}
    for slot in layout.slots():
        groups.setdefault((slot.pin.service, slot.database), []).append(slot)
    ordered = sorted(
        groups.values(), key=lambda s: (s[0].pin.position, s[0].database != layout.database, s[0].database)
    )
    return [(slots[0].pin, tuple(slots)) for slots in ordered]
