"""Status where operators look: relc-migrate mirrors its progress into the tenancy resources' ``.status``.

``kubectl get tenantschemaversions`` (and the TenantProvisionJob) then shows what the tenant databases'
schema registries say, as each step runs: phase (pending, migrating, complete, failed, blocked),
currentVersion, lastMigratedAt, message, jobName and a ``Ready`` condition. Names come from relc_contract,
the functions the compiler rendered the objects with.

The policy is best effort, because the database is the source of truth and the status only a view of it:

- a failed write (API down, timeout, 403, the object not there) never fails or rolls back a migration: it is
  logged as a warning, counted (``relc_status_write_failed_total``) and reported in the summary
  (``status_writes``);
- each request has a 5 s timeout and is never retried; after MAX_FAILURES failed writes in one run the writer
  turns itself off for the rest of the run (logged once), so an unreachable API server costs at most
  MAX_FAILURES timeouts, however many schemas the tenant has;
- an object that does not exist (404: on a tenant's first sync Argo CD creates its custom resources in the
  Sync phase, after the PreSync Job ran) is skipped and counted as ``missing``, not as a failure;
- no writer at all unless the Job enables the API (``RELC_KUBE_API=in-cluster``, rendered into every Job).

Each object is read once per run (GET on its status subresource) before the first patch: the patch keeps the
conditions others wrote, and a ``Ready`` condition keeps its ``lastTransitionTime`` when its status does not
change (metav1.Condition semantics). The patch is a JSON merge patch of ``.status`` only.

A run with nothing to do only reconciles: it reads each TenantSchemaVersion and patches only one whose status
does not already match the registry (one GET per schema, no patch in the steady state). That is what fills in
the status of a tenant's first sync, whose objects Argo CD created only after the PreSync Job had run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from relc_contract import (
    APP_PROVISION_JOBS,
    CONDITION_READY,
    ENV_KUBE_API,
    KUBE_API_IN_CLUSTER,
    TENANT_PROVISION_JOBS,
    TENANT_SCHEMA_VERSIONS,
    app_provision_name,
    schema_version_name,
    status_path,
    tenant_provision_name,
)
from relc_migrate.errors import UsageError
from relc_migrate.metrics import Metrics
from relc_migrate.runtime import Runtime

if TYPE_CHECKING:
    from relc_migrate.kube import KubeClient

log = logging.getLogger("relc_migrate")

MAX_FAILURES: Final = 3
MAX_TEXT: Final = 1024
"""The CRDs' maxLength of a status string: longer messages are cut, never refused by the API server."""


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Seen:
    """What this run knows of one object's status (read once, then kept up to date with what it wrote)."""

    conditions: list[dict[str, Any]]
    generation: int | None
    fields: dict[str, Any]
    """the status's other fields as last read or written"""


@dataclass
class StatusWriter:
    """Writes status patches for one run; ``client`` None means writes are disabled (every call is a no-op)."""

    client: KubeClient | None
    metrics: Metrics
    job: str | None = None
    written: int = 0
    failed: int = 0
    missing: int = 0
    _seen: dict[tuple[str, str], _Seen] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.client is not None

    def summary(self) -> dict[str, int]:
        return {"written": self.written, "failed": self.failed, "missing": self.missing}

    # --- what the commands report ---------------------------------------------------------------------------

    def schema(
        self,
        tenant: str,
        schema: str,
        country: str | None,
        phase: str,
        *,
        current: str | None = None,
        migrated_at: str | None = None,
        message: str | None = None,
        only_if_changed: bool = False,
    ) -> None:
        """A TenantSchemaVersion's phase (and its current version, last migration time, reason); with
        ``only_if_changed``, no patch when the object already says exactly that (a run with nothing to do)."""
        status: dict[str, Any] = {"phase": phase, "message": _cut(message)}
        if current is not None:
            status["currentVersion"] = current
        if migrated_at is not None:
            status["lastMigratedAt"] = migrated_at
        name = schema_version_name(tenant, schema, country)
        self._write(TENANT_SCHEMA_VERSIONS, name, status, phase == "complete", only_if_changed)

    def provision(self, tenant: str, phase: str, message: str | None = None) -> None:
        """The tenant's TenantProvisionJob (its base schemas): running, complete, failed, deprovisioning..."""
        status = {"phase": phase, "message": _cut(message)}
        self._write(TENANT_PROVISION_JOBS, tenant_provision_name(tenant), status, phase == "complete")

    def app_provision(self, tenant: str, app: str, country: str | None, phase: str, message: str | None = None) -> None:
        """An app's AppProvisionJob (its schemas in the tenant's database, or in its database for ``country``)."""
        status = {"phase": phase, "message": _cut(message)}
        self._write(APP_PROVISION_JOBS, app_provision_name(tenant, app, country), status, phase == "complete")

    # --- the writes -----------------------------------------------------------------------------------------

    def _write(
        self, plural: str, name: str, status: dict[str, Any], ready: bool, only_if_changed: bool = False
    ) -> None:
        client = self.client
        if client is None:
            return
        from relc_migrate.kube import KubeError

        path = status_path(client.config.namespace, plural, name)
        try:
            seen = self._read(client, plural, name, path)
            if only_if_changed and all(seen.fields.get(k) == v for k, v in status.items()):
                return
            phase = str(status["phase"])
            condition = _ready_condition(seen, ready, phase, status.get("message"))
            status = {**status, "conditions": _merge(seen.conditions, condition)}
            if self.job:
                status["jobName"] = self.job
            client.merge_patch_status(path, status)
        except KubeError as err:
            if err.status == 404:  # e.g. a tenant's first sync: Argo CD creates its objects after the PreSync Job
                self.missing += 1
                log.info("status of %s/%s not written: no such object (yet)", plural, name)
                return
            self._failed(plural, name, err)
            return
        seen.conditions = status["conditions"]
        seen.fields.update({k: v for k, v in status.items() if k != "conditions"})
        self.written += 1

    def _read(self, client: KubeClient, plural: str, name: str, path: str) -> _Seen:
        key = (plural, name)
        seen = self._seen.get(key)
        if seen is None:
            current = client.request("GET", path)
            status = current.get("status") or {}
            conditions = status.get("conditions") or []
            generation = (current.get("metadata") or {}).get("generation")
            seen = self._seen[key] = _Seen(
                [c for c in conditions if isinstance(c, dict)],
                generation if isinstance(generation, int) else None,
                {k: v for k, v in status.items() if k != "conditions"},
            )
        return seen

    def _failed(self, plural: str, name: str, err: Exception) -> None:
        self.failed += 1
        self.metrics.status_write_failed_once(plural)
        log.warning("status of %s/%s not written (the run goes on): %s", plural, name, err)
        if self.failed >= MAX_FAILURES:
            log.warning("%d status writes failed: no more status writes in this run", self.failed)
            self.client = None


def _cut(text: str | None) -> str | None:
    return None if text is None else text[:MAX_TEXT]


def _ready_condition(seen: _Seen, ready: bool, phase: str, message: object) -> dict[str, Any]:
    value = "True" if ready else "False"
    before = next((c for c in seen.conditions if c.get("type") == CONDITION_READY), None)
    unchanged = before is not None and before.get("status") == value and before.get("lastTransitionTime")
    condition: dict[str, Any] = {
        "type": CONDITION_READY,
        "status": value,
        "reason": phase.capitalize(),
        "message": message if isinstance(message, str) else "",
        "lastTransitionTime": before["lastTransitionTime"] if unchanged and before else now_rfc3339(),
    }
    if seen.generation is not None:
        condition["observedGeneration"] = seen.generation
    return condition


def _merge(conditions: list[dict[str, Any]], condition: dict[str, Any]) -> list[dict[str, Any]]:
    """The conditions with ``condition`` replacing the one of its type (a merge patch replaces whole lists)."""
    return [*(c for c in conditions if c.get("type") != condition["type"]), condition]


@dataclass(frozen=True)
class ProvisionStatus:
    """Where one provision run reports: an app's AppProvisionJob (``app``), else, for the tenant's main database,
    its TenantProvisionJob; a base-schema run in a country database reports nowhere (no object describes it)."""

    writer: StatusWriter
    tenant: str
    app: str | None
    country: str | None

    def report(self, phase: str, message: str | None = None) -> None:
        if self.app is not None:
            self.writer.app_provision(self.tenant, self.app, self.country, phase, message)
        elif self.country is None:
            self.writer.provision(self.tenant, phase, message)


def api_client(rt: Runtime) -> KubeClient:
    """The in-cluster client for a command that cannot work without one (the readiness gate); UsageError saying
    why there is none."""
    from relc_migrate.kube import KubeClient, KubeConfigError

    if rt.kube is None:
        raise UsageError(
            rt.kube_problem
            or f"the Kubernetes API is not enabled: set {ENV_KUBE_API}={KUBE_API_IN_CLUSTER} (rendered Jobs do)"
        )
    try:
        return KubeClient(rt.kube)
    except KubeConfigError as err:
        raise UsageError(str(err)) from None


def writer(rt: Runtime, metrics: Metrics) -> StatusWriter:
    """The run's status writer: disabled (a no-op) unless the API is enabled and configured; a configuration
    problem is logged, never fatal (status is best effort)."""
    from relc_migrate.kube import KubeClient, KubeConfigError

    if rt.kube_problem is not None:
        log.warning("no status writes: %s", rt.kube_problem)
    if rt.kube is None:
        return StatusWriter(None, metrics, rt.job)
    try:
        return StatusWriter(KubeClient(rt.kube), metrics, rt.job)
    except KubeConfigError as err:
        log.warning("no status writes: %s", err)
        return StatusWriter(None, metrics, rt.job)
