"""Umbrella charts: what gets deployed, the values templates' variables, and template errors (RLC801)."""

from __future__ import annotations

from pathlib import Path

import yaml

from compiler.load.discover import read_fleet
from compiler.model.build import build_fleet
from compiler.model.kinds import Tenant
from compiler.render.fleetview import Bundle, InstanceView, instance_views
from compiler.render.routing import LABEL_SHARD, SERVICES_KEY, shard
from tests.compile.util import compile_fleet
from tests.conftest import EXAMPLES

CANDIDATE = """apiVersion: relc.dev/v1alpha1
kind: ReleaseCandidate
metadata:
  name: platform-2025-07
spec:
  blueprint: arematics-platform
  status: published
  components:
    auth: 1.4.0
    entity: 2.3.0
    payments: 2.1.0
  migrationOrder: [payments, auth, entity]
  values:
    payments:
      tenants: "{{ tenants | map(attribute='name') | join(',') }}"
      where: "{{ instance.name }}/{{ instance.database.host }}/{{ candidate.name }}/{{ candidate.components.auth }}"
      chart: "{{ component.name }}@{{ component.chartVersion }}"
      replicaCount: 2
"""


def load(path: Path) -> object:
    return yaml.load(path.read_text(), Loader=yaml.CSafeLoader)


def test_values_merge_blueprint_and_candidate_with_template_variables(base_fleet: Path) -> None:
    (base_fleet / "releases" / "candidates" / "platform-2025-07.yaml").write_text(CANDIDATE)
    result = compile_fleet(base_fleet)
    assert result.exit_code == 0, result.output
    chart = base_fleet / "rendered" / "instances" / "arematics-prod" / "candidates" / "platform-2025-07"
    values = load(chart / "values.yaml")
    assert isinstance(values, dict)
    payments = values["payments"]
    assert payments["tenants"] == "acme"  # only the tenants pinned to this candidate
    assert payments["where"].startswith("arematics-prod/") and payments["where"].endswith("/platform-2025-07/1.4.0")
    assert payments["chart"] == "payments@2.1.0"
    assert payments["replicaCount"] == 2
    assert payments["fullnameOverride"] == "payments"
    assert values["global"]["relc"]["namespace"] == "arematics-prod-platform-2025-07"
    deps = {d["name"]: d["version"] for d in load(chart / "Chart.yaml")["dependencies"]}  # type: ignore[index]
    assert deps == {"auth": "1.4.0", "entity": "2.3.0", "payments": "2.1.0"}


def test_only_pinned_or_warm_candidates_are_deployed(base_fleet: Path) -> None:
    candidates = base_fleet / "rendered" / "instances" / "arematics-prod" / "candidates"
    tenant = base_fleet / "tenants" / "arematics-prod" / "xyz.yaml"
    tenant.write_text(
        tenant.read_text().replace("releaseCandidate: platform-2025-05", "releaseCandidate: platform-2025-07")
    )
    assert compile_fleet(base_fleet).exit_code == 0
    assert sorted(p.name for p in candidates.iterdir()) == ["platform-2025-07"]
    instance = base_fleet / "instances" / "arematics-prod.yaml"
    instance.write_text(instance.read_text() + "  warmCandidates: [platform-2025-05]\n")
    assert compile_fleet(base_fleet).exit_code == 0
    assert sorted(p.name for p in candidates.iterdir()) == ["platform-2025-05", "platform-2025-07"]


def test_a_template_error_is_reported_at_its_line_and_writes_nothing(base_fleet: Path) -> None:
    broken = CANDIDATE.replace("{{ instance.name }}", "{{ instance.nmae }}")
    (base_fleet / "releases" / "candidates" / "platform-2025-07.yaml").write_text(broken)
    result = compile_fleet(base_fleet)
    assert result.exit_code == 1
    assert "releases/candidates/platform-2025-07.yaml:16:14: error RLC801" in result.output
    assert "nmae" in result.output
    assert not (base_fleet / "rendered").exists()


def _crowded(count: int) -> tuple[InstanceView, Bundle]:
    """The base fleet's first Instance with ``count`` tenants of 51-character names on its first candidate."""
    fleet, _ = build_fleet(read_fleet(EXAMPLES / "base")[0])
    view = instance_views(fleet)[0]
    template = fleet.tenants[("arematics-prod", "acme")].obj
    crowd = tuple(
        Tenant.model_validate(
            {**template.model_dump(by_alias=True, mode="json"), "metadata": {"name": f"tenant-{n:06d}-{'x' * 37}"}}
        )
        for n in range(count)
    )
    bundle = view.candidates[0]
    assert isinstance(view, InstanceView)
    return view, Bundle(bundle.candidate, bundle.blueprint, crowd)


def test_a_routing_table_too_large_for_one_configmap_is_split_by_tenant() -> None:
    view, crowded = _crowded(20_000)
    *tables, grant = shard(view, crowded)
    assert grant["kind"] == "ReferenceGrant"
    assert [t["metadata"]["name"] for t in tables] == [f"relc-routes-{crowded.name}-{i}-of-4" for i in range(1, 5)]
    sizes = [sum(len(k) + len(v) for k, v in t["data"].items()) for t in tables]
    assert sum(sizes) > 1_000_000 and max(sizes) < 1_000_000  # did not fit in one; each shard does
    tenants = [key for t in tables for key in t["data"] if key != SERVICES_KEY]
    assert sorted(tenants) == sorted(t.metadata.name for t in crowded.tenants)  # each tenant once
    assert all(t["data"][SERVICES_KEY] == tables[0]["data"][SERVICES_KEY] for t in tables)
    assert [t["metadata"]["labels"][LABEL_SHARD] for t in tables] == ["1-of-4", "2-of-4", "3-of-4", "4-of-4"]
    assert all(t["metadata"]["labels"]["relc.dev/routing-table"] == "true" for t in tables)

    # one tenant fewer: only the shard that held it changes
    gone = crowded.tenants[1234]
    fewer = Bundle(crowded.candidate, crowded.blueprint, tuple(t for t in crowded.tenants if t is not gone))
    *after, _ = shard(view, fewer)
    changed = [b["metadata"]["name"] for b, a in zip(tables, after, strict=True) if a != b]
    assert changed == [next(t["metadata"]["name"] for t in tables if gone.metadata.name in t["data"])]
