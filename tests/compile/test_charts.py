"""Umbrella charts: what gets deployed, the values templates' variables, and template errors (RLC801)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from compiler.load.discover import read_fleet
from compiler.model.build import build_fleet
from compiler.model.kinds import Tenant
from compiler.render.fleetview import Bundle, InstanceView, instance_views
from compiler.render.routing import RoutingTableTooLarge, shard
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


def test_a_routing_table_shard_over_a_configmaps_limit_is_refused() -> None:

    fleet, _ = build_fleet(read_fleet(EXAMPLES / "base")[0])
    view = instance_views(fleet)[0]
    template = fleet.tenants[("arematics-prod", "acme")].obj
    crowd = tuple(
        Tenant.model_validate(
            {**template.model_dump(by_alias=True, mode="json"), "metadata": {"name": f"tenant-{n:06d}-{'x' * 40}"}}
        )
        for n in range(20_000)
    )
    bundle = view.candidates[0]
    crowded = Bundle(bundle.candidate, bundle.blueprint, crowd)
    assert isinstance(view, InstanceView)
    with pytest.raises(RoutingTableTooLarge) as caught:
        shard(view, crowded)
    assert caught.value.candidate == bundle.name and caught.value.size > 1_000_000
