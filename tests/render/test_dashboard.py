"""The Grafana dashboard: its queries name only what relc-migrate really exports (read from relc-migrate's own
registry, not a copied list), it has Grafana's essentials, and relc compile renders it, with the Argo CD
Application that syncs it, exactly when relc.yaml names the monitoring namespace (through the CLI)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from compiler.cli import main
from compiler.render.dashboard import dashboard, uid
from relc_migrate.metrics import Metrics
from tests.conftest import REPO, TODAY

SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}")
MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*')
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
VARIABLE = re.compile(r"\$\{?([A-Za-z_]\w*)\}?")
PROMQL_WORDS = frozenset({"sum", "max", "min", "avg", "count", "by", "histogram_quantile", "label_values"})
"""The PromQL functions and keywords the dashboard uses: any other bare word in a query would be a metric name
written without a selector, which the checks below would otherwise not see."""


def exported() -> dict[str, frozenset[str]]:
    """Every series relc-migrate's registry emits, with the label names it sets on it: each metric is exercised
    once through relc-migrate's own methods, then the registry is collected (histograms: _bucket with le, _sum,
    _count; counters: _total)."""
    metrics = Metrics("prod")
    metrics.migration(outcome="success", tenant="acme", service="auth", version="1.2.0", seconds=1.5)
    metrics.at_version(tenant="acme", service="auth", schema="auth", version="1.2.0")
    metrics.backup(tenant="acme", outcome="failed", seconds=3.0)
    metrics.queued(2)
    series: dict[str, set[str]] = {}
    for family in metrics.registry.collect():
        for sample in family.samples:
            if not sample.name.endswith("_created"):  # prometheus_client's creation timestamps: never queried
                series.setdefault(sample.name, set()).update(sample.labels)
    return {name: frozenset(labels) for name, labels in series.items()}


def problems(expr: str, series: dict[str, frozenset[str]]) -> Iterator[str]:
    """What is wrong with one PromQL expression against the exported ``series`` (nothing: an empty iterator)."""
    used: set[str] = set()
    for name, matchers in SELECTOR.findall(expr):
        if name not in series:
            yield f"{name}: not a series relc-migrate exports"
            continue
        used |= series[name]
        for part in filter(None, _split(matchers)):
            found = MATCHER.fullmatch(part)
            if found is None:
                yield f"{name}: unreadable matcher {part!r}"
            elif found.group(1) not in series[name]:
                yield f"{name}: relc-migrate sets no label {found.group(1)!r} on it"
    for grouping in GROUPING.findall(expr):
        for label in (g.strip() for g in grouping.split(",")):
            if label not in used:
                yield f"by ({label}): no selected series has that label"
    bare = SELECTOR.sub(" ", re.sub(r'"(?:[^"\\]|\\.)*"', " ", expr))
    bare = GROUPING.sub(" ", bare)
    for word in re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", bare):
        if word not in PROMQL_WORDS and word not in used:
            yield f"{word}: a bare word that is no PromQL function the dashboard uses (a metric without a selector?)"


def _split(matchers: str) -> list[str]:
    return re.findall(r'[^,"]*"(?:[^"\\]|\\.)*"', matchers) if matchers.strip() else []


def queries(board: dict[str, Any]) -> list[str]:
    found = [t["expr"] for p in board["panels"] for t in p["targets"]]
    found += [v["query"]["query"] for v in board["templating"]["list"] if v["type"] == "query"]
    return found


def test_every_query_names_only_exported_metrics_with_the_labels_relc_migrate_sets() -> None:
    series = exported()
    board: dict[str, Any] = dashboard("prod", ["arematics-prod"])
    for expr in queries(board):
        found = re.fullmatch(r"label_values\((.*), (\w+)\)", expr)
        if found:  # a variable's choices: the label must be on the series it reads
            name = SELECTOR.match(found.group(1))
            assert name is not None and found.group(2) in series.get(name.group(1), ()), expr
        assert list(problems(expr, series)) == [], expr
    named = {name for expr in queries(board) for name, _ in SELECTOR.findall(expr)}
    assert {n.removesuffix("_bucket").removesuffix("_count").removesuffix("_sum") for n in named} == {
        "tenant_migration_duration_seconds",
        "tenant_migration_total",
        "tenant_schema_version",
        "tenant_backup_duration_seconds",
        "tenant_backup_failed_total",
        "migration_queue_length",
    }  # every metric of the design's §8.2 table (and the queue) is on the dashboard


def test_the_query_check_can_fail() -> None:
    series = exported()
    assert list(problems('sum by (instance) (tenant_schema_version{outcome=~"$cluster"})', series)) == [
        "tenant_schema_version: relc-migrate sets no label 'outcome' on it",
        "by (instance): no selected series has that label",
    ]
    assert list(problems("rate(tenant_migrations_total{}[5m])", series)) == [
        "tenant_migrations_total: not a series relc-migrate exports",
        "rate: a bare word that is no PromQL function the dashboard uses (a metric without a selector?)",
        "m: a bare word that is no PromQL function the dashboard uses (a metric without a selector?)",
    ]
    assert list(problems("max(migration_queue_length)", series)) == [
        "migration_queue_length: a bare word that is no PromQL function the dashboard uses (a metric without a"
        " selector?)"
    ]


def test_grafana_essentials() -> None:
    board: dict[str, Any] = dashboard("prod", ["arematics-prod"])
    assert (board["uid"], board["title"], board["editable"]) == ("relc-migrations-prod", "relc migrations: prod", False)
    assert isinstance(board["schemaVersion"], int)
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert list(variables) == ["datasource", "cluster", "instance", "tenant", "service"]
    assert variables["cluster"]["current"]["value"] == ["prod"]  # each cluster's Grafana opens on its own cluster
    assert variables["instance"]["definition"] == (
        'label_values(tenant_migration_duration_seconds_count{cluster=~"$cluster"}, relc_instance)'
    )  # an Instance's choices follow the cluster chosen
    ids = [p["id"] for p in board["panels"]]
    assert ids == list(range(1, len(ids) + 1))
    assert [p["title"] for p in board["panels"]] == [
        "Schema Version Heat-map",
        "Migration Latency",
        "Migration runs by outcome",
        "Backup duration",
        "Backup failures",
        "Migration queue length",
    ]
    for panel in board["panels"]:
        assert panel["type"] in {"table", "timeseries"} and set(panel["gridPos"]) == {"x", "y", "w", "h"}
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(set(refs)) == len(refs)
        assert all(t["datasource"] == panel["datasource"] and t["expr"] for t in panel["targets"])
    used = {v for expr in queries(board) for v in VARIABLE.findall(expr) if not v.startswith("__")}
    assert used <= set(variables), "a query uses a variable the dashboard does not define"
    heatmap = board["panels"][0]
    assert heatmap["transformations"][0]["options"] == {
        "columnField": "service",
        "rowField": "tenant",
        "valueField": "version",
    }


def test_uid_is_stable_and_within_grafanas_limit() -> None:
    long = "c" * 63
    assert uid(long) == uid(long) and len(uid(long)) == 40 and uid(long) != uid("c" * 62)


def _compile(root: Path) -> None:
    result = CliRunner().invoke(main, ["compile", "--root", str(root), "--today", TODAY, "-j1"])
    assert result.exit_code == 0, result.output


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def test_compile_renders_one_dashboard_per_cluster_and_the_application_syncing_it(example_fleet: Path) -> None:
    shutil.copy2(REPO / "relc.yaml", example_fleet / "relc.yaml")  # monitoringNamespace: monitoring
    _compile(example_fleet)
    rendered = example_fleet / "rendered"
    boards = sorted(p.relative_to(rendered).as_posix() for p in rendered.glob("clusters/*/monitoring/*"))
    assert boards == [
        f"clusters/{c}/monitoring/relc-migrations-dashboard.yaml" for c in ("gke-dev", "gke-prod", "prod", "qa", "test")
    ]
    (configmap,) = _docs(rendered / "clusters/gke-prod/monitoring/relc-migrations-dashboard.yaml")
    assert configmap["metadata"]["namespace"] == "monitoring"
    assert configmap["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "relc", "grafana_dashboard": "1"}
    (text,) = configmap["data"].values()
    board = json.loads(text)
    assert text == json.dumps(board, indent=2, sort_keys=True) + "\n"  # deterministic: sorted keys
    assert board == dashboard("gke-prod", ["droneup-production", "droneup-staging"])
    objects = {(d["kind"], d["metadata"]["name"]): d for d in _docs(rendered / "argocd/clusters/gke-prod.yaml")}
    app = objects[("Application", "gke-prod-monitoring")]
    assert app["spec"]["source"]["path"] == "rendered/clusters/gke-prod/monitoring"
    assert app["spec"]["destination"] == {"name": "gke-prod", "namespace": "monitoring"}
    project = objects[("AppProject", app["spec"]["project"])]["spec"]
    assert project["destinations"] == [{"name": "gke-prod", "namespace": "monitoring"}]
    assert project["namespaceResourceWhitelist"] == [{"group": "", "kind": "ConfigMap"}]
    assert project["clusterResourceWhitelist"] == []
    result = CliRunner().invoke(main, ["validate", "--root", str(example_fleet), "--rendered", "--kubeconform=off"])
    assert (result.exit_code, result.output) == (0, "no problems found\n")


def test_no_monitoring_namespace_no_dashboard(example_fleet: Path) -> None:
    _compile(example_fleet)  # no relc.yaml: the defaults, monitoringNamespace unset
    rendered = example_fleet / "rendered"
    assert list(rendered.glob("clusters/*/monitoring")) == []
    names = {d["metadata"]["name"] for d in _docs(rendered / "argocd/clusters/gke-prod.yaml")}
    assert names == {"relc-cluster-gke-prod", "gke-prod-crds", "gke-prod-cluster-config"}
