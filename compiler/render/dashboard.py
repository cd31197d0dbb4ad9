"""The Grafana dashboard of relc-migrate's metrics, one per cluster: ``clusters/<cluster>/monitoring/``.

What the design asks for (§8.2): a Schema Version Heat-map and Migration Latency, here with backups (duration,
failures), migration outcomes and the slot queue, over the metrics relc-migrate exports. The metric names and
label names come from :mod:`relc_contract` (``METRICS``), the definitions relc-migrate builds its registry from;
a test checks every query against what that registry really emits.

How Grafana finds it: a ConfigMap labelled ``grafana_dashboard: "1"`` in Grafana's namespace, which the
dashboard sidecar of kube-prometheus-stack (``sidecar.dashboards``, label ``grafana_dashboard``, searching its own
namespace unless ``searchNamespace`` says otherwise) loads. That namespace is relc.yaml's
``monitoringNamespace`` (where kube-prometheus-stack runs, the one the NetworkPolicies admit); without it no
dashboard is rendered, since relc would not know where Grafana looks. One per cluster because a
kube-prometheus-stack (Prometheus and Grafana) runs per cluster; its Argo CD Application is in
:mod:`compiler.render.argocd` (``cluster_objects``).

Why the queries aggregate values instead of ``rate()``: a migration Job pushes its metrics once, as it ends, to
a Pushgateway group of its own (the Job's name); a group's counters and histogram buckets never increase after
that, so ``rate``/``increase`` would read zero. The Pushgateway keeps every group until it is deleted, so summing
the groups' buckets gives the distribution of the runs it holds, and summing the counters, their count.

Deterministic: keys sorted, panel ids numbered in panel order, no timestamps, the uid derived from the cluster.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

import relc_contract as contract
from compiler.render.context import RenderContext
from compiler.render.conventions import MANAGED_BY, SYNC_WAVE, WAVE_PLATFORM, cluster_dir
from compiler.render.output import Manifest, RenderedFile
from relc_contract import MetricSpec

CONFIGMAP_NAME = "relc-migrations-dashboard"
SIDECAR_LABEL = {"grafana_dashboard": "1"}
"""kube-prometheus-stack's default ``grafana.sidecar.dashboards.label``/``labelValue``."""
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
SCHEMA_VERSION = 39
"""Grafana's dashboard JSON schema version these panels are written in (Grafana 10.x; later ones migrate it)."""
QUANTILES = (0.5, 0.95, 0.99)


def monitoring_dir(cluster: str) -> str:
    """Not ``clusters/<cluster>/`` itself: that folder is synced by a project that may create no namespaced object."""
    return f"{cluster_dir(cluster)}/monitoring"


def file_name(cluster: str) -> str:
    return f"{monitoring_dir(cluster)}/{CONFIGMAP_NAME}.yaml"


def render(ctx: RenderContext) -> Iterator[RenderedFile]:
    namespace = ctx.settings.monitoring_namespace
    if namespace is None:
        return
    instances: dict[str, list[str]] = {}
    for name, entry in sorted(ctx.fleet.instances.items()):
        instances.setdefault(entry.obj.spec.cluster, []).append(name)
    for cluster, names in sorted(instances.items()):
        yield RenderedFile(file_name(cluster), (configmap(cluster, names, namespace),))


def configmap(cluster: str, instances: list[str], namespace: str) -> Manifest:
    text = json.dumps(dashboard(cluster, instances), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": CONFIGMAP_NAME,
            "namespace": namespace,
            "labels": {**MANAGED_BY, **SIDECAR_LABEL},
            "annotations": {SYNC_WAVE: WAVE_PLATFORM},
        },
        "data": {f"{CONFIGMAP_NAME}.json": text},
    }


# --- the dashboard ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variable:
    """A dashboard variable filtering on one label, offered wherever a metric has that label."""

    name: str
    label: str
    title: str
    source: MetricSpec  # the metric whose label values list the choices


VARIABLES = (
    Variable("cluster", "cluster", "Cluster", contract.METRIC_MIGRATION_DURATION),
    Variable("instance", contract.INSTANCE_LABEL, "Instance", contract.METRIC_MIGRATION_DURATION),
    Variable("tenant", "tenant", "Tenant", contract.METRIC_SCHEMA_VERSION),
    Variable("service", "service", "Service", contract.METRIC_SCHEMA_VERSION),
)
"""In dependency order: each variable's choices are filtered by the ones before it (an Instance's tenants)."""


def dashboard(cluster: str, instances: list[str]) -> dict[str, object]:
    panels = [_heatmap(), *_graphs()]
    for n, panel in enumerate(panels, start=1):
        panel["id"] = n
    return {
        "uid": uid(cluster),
        "title": f"relc migrations: {cluster}",
        "description": f"relc-migrate's metrics on cluster {cluster} (Instances: {', '.join(instances)})."
        " Rendered by relc compile: edit relc, not this dashboard.",
        "tags": ["relc", "migrations"],
        "editable": False,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "time": {"from": "now-7d", "to": "now"},
        "refresh": "1m",
        "timezone": "utc",
        "annotations": {"list": []},
        "links": [],
        "templating": {"list": [_datasource_variable(), *(_label_variable(n, cluster) for n in range(len(VARIABLES)))]},
        "panels": panels,
    }


def uid(cluster: str) -> str:
    """Stable and within Grafana's 40 characters: the cluster's name when it fits, else its start and a hash."""
    readable = f"relc-migrations-{cluster}"
    if len(readable) <= 40:
        return readable
    return f"{readable[:29]}-{hashlib.sha256(cluster.encode()).hexdigest()[:10]}"


def _datasource_variable() -> dict[str, object]:
    return {
        "type": "datasource",
        "name": "datasource",
        "label": "Data source",
        "query": "prometheus",
        "current": {},
        "hide": 0,
        "includeAll": False,
        "multi": False,
        "options": [],
        "refresh": 1,
        "regex": "",
    }


def _label_variable(n: int, cluster: str) -> dict[str, object]:
    v = VARIABLES[n]
    series = "_count" if v.source.kind == "histogram" else ""  # a histogram's own name is no series
    query = f"label_values({selector(v.source, series, variables=VARIABLES[:n])}, {v.label})"
    current = (
        {"selected": True, "text": [cluster], "value": [cluster]}
        if v.name == "cluster"
        else {"selected": True, "text": ["All"], "value": ["$__all"]}
    )
    return {
        "type": "query",
        "name": v.name,
        "label": v.title,
        "datasource": dict(DATASOURCE),
        "definition": query,
        "query": {"query": query, "refId": f"{v.name}-values"},
        "current": current,
        "hide": 0,
        "includeAll": True,
        "allValue": ".*",
        "multi": True,
        "options": [],
        "refresh": 2,
        "regex": "",
        "sort": 1,
    }


def selector(spec: MetricSpec, suffix: str = "", variables: tuple[Variable, ...] = VARIABLES) -> str:
    """The metric (a histogram's ``_bucket``, ``_sum`` or ``_count`` series with ``suffix``) filtered by every
    variable whose label it has: a variable never filters a metric that lacks its label (that would match
    nothing)."""
    matchers = ",".join(f'{v.label}=~"${v.name}"' for v in variables if v.label in spec.labels)
    return f"{spec.name}{suffix}{{{matchers}}}"


def _target(expr: str, ref: str, legend: str = "", *, instant: bool = False) -> dict[str, object]:
    return {
        "datasource": dict(DATASOURCE),
        "expr": expr,
        "refId": ref,
        "legendFormat": legend or "__auto",
        "instant": instant,
        "range": not instant,
        "format": "table" if instant else "time_series",
    }


def _panel(
    kind: str,
    title: str,
    description: str,
    grid: tuple[int, int, int, int],
    targets: list[dict[str, object]],
    unit: str = "",
) -> dict[str, object]:
    x, y, w, h = grid
    defaults: dict[str, object] = {"unit": unit} if unit else {}
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": dict(DATASOURCE),
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {},
    }


def _heatmap() -> dict[str, object]:
    """Tenant by service, each cell the schema version (the design's "Schema Version Heat-map")."""
    spec = contract.METRIC_SCHEMA_VERSION
    expr = f"max by (tenant, service, version) ({selector(spec)})"
    panel = _panel(
        "table",
        "Schema Version Heat-map",
        "The schema version each tenant's service runs (tenant_schema_version), as last reported by its migration"
        " Job: a row per tenant, a column per service.",
        (0, 0, 24, 10),
        [_target(expr, "A", instant=True)],
    )
    panel["transformations"] = [
        {"id": "groupingToMatrix", "options": {"columnField": "service", "rowField": "tenant", "valueField": "version"}}
    ]
    panel["options"] = {"showHeader": True, "cellHeight": "sm", "sortBy": [{"displayName": "tenant\\service"}]}
    panel["fieldConfig"] = {
        "defaults": {"custom": {"align": "center", "cellOptions": {"type": "color-text"}}},
        "overrides": [],
    }
    return panel


def _timeseries(
    title: str, description: str, grid: tuple[int, int, int, int], unit: str, *queries: tuple[str, str]
) -> dict[str, object]:
    """A graph panel of ``queries`` (expression, legend), their refIds A, B, … in order."""
    targets = [_target(expr, chr(ord("A") + n), legend) for n, (expr, legend) in enumerate(queries)]
    return _panel("timeseries", title, description, grid, targets, unit)


def _graphs() -> list[dict[str, object]]:
    """Latency, outcomes, backups and the queue: what a person watching a rollout looks at after the heat-map."""
    duration, runs = contract.METRIC_MIGRATION_DURATION, contract.METRIC_MIGRATION_TOTAL
    backup, failed, queue = contract.METRIC_BACKUP_DURATION, contract.METRIC_BACKUP_FAILED, contract.METRIC_QUEUE_LENGTH
    return [
        _timeseries(
            "Migration Latency",
            "Quantiles of tenant_migration_duration_seconds per service over the runs the Pushgateway holds.",
            (0, 10, 12, 8),
            "s",
            *(
                (
                    f"histogram_quantile({q}, sum by (le, service) ({selector(duration, '_bucket')}))",
                    f"p{round(q * 100)} {{{{service}}}}",
                )
                for q in QUANTILES
            ),
        ),
        _timeseries(
            "Migration runs by outcome",
            "tenant_migration_total: runs the Pushgateway holds, by outcome (failed, blocked and locked need a look).",
            (12, 10, 12, 8),
            "short",
            (f"sum by (outcome) ({selector(runs)})", "{{outcome}}"),
        ),
        _timeseries(
            "Backup duration",
            "tenant_backup_duration_seconds: the pg_dump before a migration, by outcome.",
            (0, 18, 12, 8),
            "s",
            (f"histogram_quantile(0.95, sum by (le, outcome) ({selector(backup, '_bucket')}))", "p95 {{outcome}}"),
            (
                f"sum by (outcome) ({selector(backup, '_sum')}) / sum by (outcome) ({selector(backup, '_count')})",
                "mean {{outcome}}",
            ),
        ),
        _timeseries(
            "Backup failures",
            "tenant_backup_failed_total: backups that failed after all retries, by tenant (the migration did not run).",
            (12, 18, 12, 8),
            "short",
            (f"sum by (tenant) ({selector(failed)})", "{{tenant}}"),
        ),
        _timeseries(
            "Migration queue length",
            "migration_queue_length: runners waiting for a migration slot (kept in each Instance's infra database),"
            " as the last Jobs saw it.",
            (0, 26, 24, 6),
            "short",
            (f"max by (relc_instance) ({selector(queue)})", "{{relc_instance}}"),
        ),
    ]
