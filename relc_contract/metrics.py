"""The Prometheus metrics relc-migrate pushes and the compiler's dashboards query.

One :class:`MetricSpec` per metric (name, kind, labels) so that a renamed metric or label breaks both sides at
once instead of leaving a dashboard silently empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

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
METRIC_STATUS_WRITE_FAILED: Final = MetricSpec(
    "relc_status_write_failed_total",
    "counter",
    (*SCOPE_LABELS, "resource"),
    "Kubernetes status writes that failed (the run went on: status is best effort)",
)
METRICS: Final = (
    METRIC_MIGRATION_DURATION,
    METRIC_MIGRATION_TOTAL,
    METRIC_SCHEMA_VERSION,
    METRIC_BACKUP_DURATION,
    METRIC_BACKUP_FAILED,
    METRIC_QUEUE_LENGTH,
    METRIC_STATUS_WRITE_FAILED,
)
#: Migration outcomes (the ``outcome`` label of tenant_migration_total) and backup outcomes.
MIGRATION_OUTCOMES: Final = frozenset(
    {"success", "failed", "blocked", "locked", "interrupted", "dry_run", "usage", "not_ready"}
)
BACKUP_OUTCOMES: Final = frozenset({"success", "failed"})
#: The Pushgateway groups a push by the Job's name (``job``) and its Instance: Job names derive from the tenant,
#: service and version, which two Instances on one Pushgateway may share.
PUSH_GROUPING_LABELS: Final = ("job", INSTANCE_LABEL)
