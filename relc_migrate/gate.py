"""The candidate-readiness gate: migrate-tenant migrates only once the tenant's candidate is deployed and healthy.

Why here: the tenant's migration Job is a PreSync hook of the tenant's Application, and its route is a Sync
resource of the same Application. Argo CD applies the route only after every PreSync hook succeeded, so a Job
that first waits for the candidate's Deployments (in ``<instance>-<candidate>``, another Application) and exits
non-zero when they do not become Available makes "route switches only when the candidate is deployed and
healthy and its migrations succeeded" hold on every sync, not only on bootstrap (sync waves do not order
separate Applications after the first sync).

A Deployment counts as Available when the controller has seen its current spec
(``status.observedGeneration >= metadata.generation``) and every replica it wants is updated and available
(``status.updatedReplicas == status.availableReplicas == status.replicas == spec.replicas``, the check
``kubectl rollout status`` makes). A namespace with no Deployment is not ready (the candidate is not deployed
yet). The wait is bounded (``--candidate-wait``), polls every POLL_SECONDS and stops at once on SIGTERM.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import quote

from relc_migrate.errors import CandidateNotReady
from relc_migrate.kube import KubeClient, KubeError
from relc_migrate.runtime import StopFlag

log = logging.getLogger("relc_migrate")

POLL_SECONDS: Final = 2.0
PAGE: Final = 500
_FATAL: Final = (401, 403)
"""Answers that waiting cannot change (no RBAC, a bad token): the gate gives up at once."""


def not_available(deployment: Mapping[str, Any]) -> str | None:
    """Why one apps/v1 Deployment is not Available at its current generation, or None when it is."""
    meta, spec, status = (deployment.get(k) or {} for k in ("metadata", "spec", "status"))
    name = meta.get("name", "?")
    wanted = spec.get("replicas", 1)
    if status.get("observedGeneration", 0) < meta.get("generation", 0):
        return f"{name}: generation {meta.get('generation')} not observed yet"
    counts = {k: status.get(k, 0) for k in ("replicas", "updatedReplicas", "availableReplicas")}
    if any(value != wanted for value in counts.values()):
        shown = ", ".join(f"{k} {v}" for k, v in counts.items())
        return f"{name}: wants {wanted} replicas ({shown})"
    return None


def deployments(client: KubeClient, namespace: str) -> list[dict[str, Any]]:
    """Every Deployment in ``namespace`` (apps/v1 list, followed over ``continue`` pages)."""
    items: list[dict[str, Any]] = []
    token = ""
    while True:
        query = f"limit={PAGE}" + (f"&continue={quote(token)}" if token else "")
        page = client.request("GET", f"/apis/apps/v1/namespaces/{quote(namespace)}/deployments?{query}")
        items += [item for item in page.get("items") or [] if isinstance(item, dict)]
        token = str((page.get("metadata") or {}).get("continue") or "")
        if not token:
            return items


def candidate_problems(client: KubeClient, namespace: str) -> list[str]:
    """What keeps the candidate from being ready now (empty: every Deployment is Available)."""
    found = deployments(client, namespace)
    if not found:
        return [f"no Deployment in namespace {namespace} yet"]
    return [reason for reason in map(not_available, found) if reason is not None]


def await_candidate(
    client: KubeClient,
    namespace: str,
    wait_seconds: float,
    stop: StopFlag,
    clock: Callable[[], float] = time.monotonic,
) -> float:
    """Return the seconds waited once every Deployment in ``namespace`` is Available; CandidateNotReady when
    they are not within ``wait_seconds`` (or the API refuses the ServiceAccount); Interrupted on SIGTERM."""
    started = clock()
    while True:
        try:
            problems = candidate_problems(client, namespace)
        except KubeError as err:
            if err.status in _FATAL:
                raise CandidateNotReady(f"cannot read Deployments in {namespace}: {err}") from None
            problems = [str(err)]
        waited = clock() - started
        if not problems:
            log.info("candidate %s: every Deployment is Available (waited %.1fs)", namespace, waited)
            return waited
        if waited >= wait_seconds:
            shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
            raise CandidateNotReady(
                f"candidate {namespace} not ready after {wait_seconds:g}s: {shown}; nothing was migrated"
            )
        log.info("candidate %s not ready: %s", namespace, problems[0])
        _sleep(min(POLL_SECONDS, wait_seconds - waited), stop)


def _sleep(seconds: float, stop: StopFlag) -> None:
    """Sleep in short slices so a SIGTERM during the wait stops the run at once."""
    deadline = time.monotonic() + max(seconds, 0.0)
    while True:
        stop.check()
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.1))
