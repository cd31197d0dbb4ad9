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
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

import relc_contract as contract
from relc_contract import BACKUP_OUTCOMES, MetricSpec

if TYPE_CHECKING:  # prometheus_client is imported when the registry is built: a run publishing nowhere never pays
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

OUTCOMES: Final = contract.MIGRATION_OUTCOMES
_LABEL_RE: Final = re.compile(r"[a-z0-9][a-z0-9_.+-]{0,62}")
_BUCKETS: Final = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


def label(value: str | None) -> str:
    """A bounded label value: a known-safe short name, ``none``, or ``invalid``."""
    if not value:
        return "none"
    return value if _LABEL_RE.fullmatch(value) else "invalid"


class _Families:
    """The run's metric families in one prometheus_client registry."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        def counter(spec: MetricSpec) -> Counter:
            return Counter(spec.name, spec.help, spec.labels, registry=self.registry)

        def gauge(spec: MetricSpec) -> Gauge:
            return Gauge(spec.name, spec.help, spec.labels, registry=self.registry)

        def histogram(spec: MetricSpec) -> Histogram:
            return Histogram(spec.name, spec.help, spec.labels, registry=self.registry, buckets=_BUCKETS)

        self.registry: CollectorRegistry = CollectorRegistry()
        self.migration_duration = histogram(contract.METRIC_MIGRATION_DURATION)
        self.migration_total = counter(contract.METRIC_MIGRATION_TOTAL)
        self.schema_version = gauge(contract.METRIC_SCHEMA_VERSION)
        self.backup_duration = histogram(contract.METRIC_BACKUP_DURATION)
        self.backup_failed = counter(contract.METRIC_BACKUP_FAILED)
        self.queue_length = gauge(contract.METRIC_QUEUE_LENGTH)
        self.status_write_failed = counter(contract.METRIC_STATUS_WRITE_FAILED)


class Metrics:
    """One registry per run, so a pushed group holds exactly this run's values.

    Why recorded and replayed: importing prometheus_client (and building six families) is a noticeable part of a
    short run's start-up, and most runs publish nowhere. The methods record what they were told; the registry is
    built from the record when it is first read (``text``, ``flush``, ``registry``)."""

    def __init__(self, cluster: str | None, instance: str | None = None) -> None:
        self.cluster = label(cluster)
        self.instance = label(instance)
        self.scope = {"cluster": self.cluster, contract.INSTANCE_LABEL: self.instance}
        self._record: list[Callable[[_Families], object]] = [
            lambda f: f.queue_length.labels(**self.scope)  # exported as 0 until a slot wait reports
        ]

    @property
    def registry(self) -> CollectorRegistry:
        families = _Families()
        for replay in self._record:
            replay(families)
        return families.registry

    def migration(self, *, outcome: str, tenant: str, service: str, version: str, seconds: float) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        labels = {**self.scope, "service": label(service), "tenant": label(tenant), "version": label(version)}
        self._record.append(lambda f: f.migration_total.labels(**self.scope, outcome=outcome).inc())
        self._record.append(lambda f: f.migration_duration.labels(**labels).observe(seconds))

    def at_version(self, *, tenant: str, service: str, schema: str, version: str) -> None:
        labels = {
            **self.scope, "tenant": label(tenant), "service": label(service), "schema": label(schema),
            "version": label(version),
        }  # fmt: skip
        self._record.append(lambda f: f.schema_version.labels(**labels).set(1))

    def backup(self, *, tenant: str, outcome: str, seconds: float) -> None:
        if outcome not in BACKUP_OUTCOMES:
            raise ValueError(f"unknown backup outcome {outcome!r}")
        labels = {**self.scope, "tenant": label(tenant)}
        self._record.append(lambda f: f.backup_duration.labels(**labels, outcome=outcome).observe(seconds))
        if outcome == "failed":
            self._record.append(lambda f: f.backup_failed.labels(**labels).inc())

    def status_write_failed_once(self, resource: str) -> None:
        """A Kubernetes status write that failed (``resource``: the plural, a bounded label)."""
        self._record.append(lambda f: f.status_write_failed.labels(**self.scope, resource=label(resource)).inc())

    def queued(self, length: int) -> None:
        self._record.append(lambda f: f.queue_length.labels(**self.scope).set(length))

    def text(self) -> str:
        from prometheus_client import generate_latest

        return generate_latest(self.registry).decode("utf-8")

    def flush(self, *, pushgateway_url: str | None, job: str, metrics_file: str | None) -> None:
        """Push to the gateway (grouped by job and Instance), else write the text format to ``metrics_file``, else
        nothing."""
        if pushgateway_url:
            from prometheus_client import push_to_gateway

            grouping = {contract.INSTANCE_LABEL: self.instance}
            push_to_gateway(pushgateway_url, job=job, registry=self.registry, grouping_key=grouping, timeout=10)
        elif metrics_file:
            with open(metrics_file, "w", encoding="utf-8") as handle:
                handle.write(self.text())
