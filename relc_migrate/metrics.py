"""The design document's metrics (appendix 8.2) for one run, pushed or written in the text format.

A Job exits long before any scrape, so metrics go to a Pushgateway when one is configured (grouped by job
name), or are written in the Prometheus text format to a file when that is configured, and nowhere otherwise:
stderr is for the one line a person reads (40 lines of exposition text after every run buried it).
Label values are bounded: outcomes come from a fixed set, names pass the identifier rules or become ``invalid``;
no error text or free-form value is a label.
"""

from __future__ import annotations

import re
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, push_to_gateway

OUTCOMES: Final = frozenset({"success", "failed", "blocked", "locked", "interrupted", "dry_run", "usage"})
BACKUP_OUTCOMES: Final = frozenset({"success", "failed"})
_LABEL_RE: Final = re.compile(r"[a-z0-9][a-z0-9_.+-]{0,62}")
_BUCKETS: Final = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


def label(value: str | None) -> str:
    """A bounded label value: a known-safe short name, ``none``, or ``invalid``."""
    if not value:
        return "none"
    return value if _LABEL_RE.fullmatch(value) else "invalid"


class Metrics:
    """One registry per run, so a pushed group holds exactly this run's values."""

    def __init__(self, cluster: str | None) -> None:
        self.cluster = label(cluster)
        self.registry = CollectorRegistry()
        self.migration_duration = Histogram(
            "tenant_migration_duration_seconds", "Duration of one tenant/service migration run",
            ["cluster", "service", "tenant", "version"], registry=self.registry, buckets=_BUCKETS,
        )  # fmt: skip
        self.migration_total = Counter(
            "tenant_migration_total", "Migration runs by outcome", ["outcome"], registry=self.registry
        )
        self.schema_version = Gauge(
            "tenant_schema_version", "1 for the schema version a tenant's schema is at",
            ["tenant", "service", "schema", "version"], registry=self.registry,
        )  # fmt: skip
        self.backup_duration = Histogram(
            "tenant_backup_duration_seconds", "Duration of the pg_dump backup before a migration",
            ["tenant", "cluster", "outcome"], registry=self.registry, buckets=_BUCKETS,
        )  # fmt: skip
        self.backup_failed = Counter(
            "tenant_backup_failed_total", "Backups that failed after all retries", ["tenant", "cluster"],
            registry=self.registry,
        )  # fmt: skip
        self.queue_length = Gauge(
            "migration_queue_length",
            "Runners waiting for a cluster-wide migration slot",
            registry=self.registry,
        )

    def migration(self, *, outcome: str, tenant: str, service: str, version: str, seconds: float) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        self.migration_total.labels(outcome).inc()
        self.migration_duration.labels(self.cluster, label(service), label(tenant), label(version)).observe(seconds)

    def at_version(self, *, tenant: str, service: str, schema: str, version: str) -> None:
        self.schema_version.labels(label(tenant), label(service), label(schema), label(version)).set(1)

    def backup(self, *, tenant: str, outcome: str, seconds: float) -> None:
        if outcome not in BACKUP_OUTCOMES:
            raise ValueError(f"unknown backup outcome {outcome!r}")
        self.backup_duration.labels(label(tenant), self.cluster, outcome).observe(seconds)
        if outcome == "failed":
            self.backup_failed.labels(label(tenant), self.cluster).inc()

    def queued(self, length: int) -> None:
        self.queue_length.set(length)

    def text(self) -> str:
        return generate_latest(self.registry).decode("utf-8")

    def flush(self, *, pushgateway_url: str | None, job: str, metrics_file: str | None) -> None:
        """Push to the gateway (grouped by job), else write the text format to ``metrics_file``, else nothing."""
        if pushgateway_url:
            push_to_gateway(pushgateway_url, job=job, registry=self.registry, timeout=10)
        elif metrics_file:
            with open(metrics_file, "w", encoding="utf-8") as handle:
                handle.write(self.text())
