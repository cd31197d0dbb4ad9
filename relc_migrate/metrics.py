"""The design document's metrics (appendix 8.2) for one run, pushed or written in the text format.

Names, types, label names and help texts are relc_contract's (``METRICS``): the compiler's Grafana dashboard
queries the same definitions.

A Job exits long before any scrape, so metrics go to a Pushgateway when one is configured (grouped by job
name and Instance), or are written in the Prometheus text format to a file when that is configured, and nowhere
otherwise: stderr is for the one line a person reads (40 lines of exposition text after every run buried it).
Label values are bounded: outcomes come from a fixed set, names pass the identifier rules or become ``invalid``;
no error text or free-form value is a label.
"""

from __future__ import annotations

import re
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, push_to_gateway

import relc_contract as contract
from relc_contract import BACKUP_OUTCOMES, MetricSpec

OUTCOMES: Final = contract.MIGRATION_OUTCOMES
_LABEL_RE: Final = re.compile(r"[a-z0-9][a-z0-9_.+-]{0,62}")
_BUCKETS: Final = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


def label(value: str | None) -> str:
    """A bounded label value: a known-safe short name, ``none``, or ``invalid``."""
    if not value:
        return "none"
    return value if _LABEL_RE.fullmatch(value) else "invalid"


def _counter(spec: MetricSpec, registry: CollectorRegistry) -> Counter:
    return Counter(spec.name, spec.help, spec.labels, registry=registry)


def _gauge(spec: MetricSpec, registry: CollectorRegistry) -> Gauge:
    return Gauge(spec.name, spec.help, spec.labels, registry=registry)


def _histogram(spec: MetricSpec, registry: CollectorRegistry) -> Histogram:
    return Histogram(spec.name, spec.help, spec.labels, registry=registry, buckets=_BUCKETS)


class Metrics:
    """One registry per run, so a pushed group holds exactly this run's values."""

    def __init__(self, cluster: str | None, instance: str | None = None) -> None:
        self.cluster = label(cluster)
        self.instance = label(instance)
        self.scope = {"cluster": self.cluster, contract.INSTANCE_LABEL: self.instance}
        self.registry = CollectorRegistry()
        self.migration_duration = _histogram(contract.METRIC_MIGRATION_DURATION, self.registry)
        self.migration_total = _counter(contract.METRIC_MIGRATION_TOTAL, self.registry)
        self.schema_version = _gauge(contract.METRIC_SCHEMA_VERSION, self.registry)
        self.backup_duration = _histogram(contract.METRIC_BACKUP_DURATION, self.registry)
        self.backup_failed = _counter(contract.METRIC_BACKUP_FAILED, self.registry)
        self.queue_length = _gauge(contract.METRIC_QUEUE_LENGTH, self.registry)
        self.queue_length.labels(**self.scope)  # exported as 0 until a slot wait reports (as before it had labels)
        self.status_write_failed = _counter(contract.METRIC_STATUS_WRITE_FAILED, self.registry)

    def migration(self, *, outcome: str, tenant: str, service: str, version: str, seconds: float) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        self.migration_total.labels(**self.scope, outcome=outcome).inc()
        self.migration_duration.labels(
            **self.scope, service=label(service), tenant=label(tenant), version=label(version)
        ).observe(seconds)

    def at_version(self, *, tenant: str, service: str, schema: str, version: str) -> None:
        self.schema_version.labels(
            **self.scope, tenant=label(tenant), service=label(service), schema=label(schema), version=label(version)
        ).set(1)

    def backup(self, *, tenant: str, outcome: str, seconds: float) -> None:
        if outcome not in BACKUP_OUTCOMES:
            raise ValueError(f"unknown backup outcome {outcome!r}")
        self.backup_duration.labels(**self.scope, tenant=label(tenant), outcome=outcome).observe(seconds)
        if outcome == "failed":
            self.backup_failed.labels(**self.scope, tenant=label(tenant)).inc()

    def status_write_failed_once(self, resource: str) -> None:
        """A Kubernetes status write that failed (``resource``: the plural, a bounded label)."""
        self.status_write_failed.labels(**self.scope, resource=label(resource)).inc()

    def queued(self, length: int) -> None:
        self.queue_length.labels(**self.scope).set(length)

    def text(self) -> str:
        return generate_latest(self.registry).decode("utf-8")

    def flush(self, *, pushgateway_url: str | None, job: str, metrics_file: str | None) -> None:
        """Push to the gateway (grouped by job and Instance), else write the text format to ``metrics_file``, else
        nothing."""
        if pushgateway_url:
            grouping = {contract.INSTANCE_LABEL: self.instance}
            push_to_gateway(pushgateway_url, job=job, registry=self.registry, grouping_key=grouping, timeout=10)
        elif metrics_file:
            with open(metrics_file, "w", encoding="utf-8") as handle:
                handle.write(self.text())
