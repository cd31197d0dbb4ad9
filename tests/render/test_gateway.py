"""Through the CLI: each Instance's routes carry its own hostnames (and listener), every backend its server-defaulted
weight, and allow-gateway admits the peer relc.yaml or the Instance names (the issue 9 routing section)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from tests.compile.util import compile_fleet, relc, snapshot
from tests.conftest import REPO, TODAY
from tests.render.helpers import edit


def _with_settings(fleet: Path) -> Path:
    shutil.copy(REPO / "relc.yaml", fleet / "relc.yaml")
    return fleet


def _docs(path: Path, kind: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d and d["kind"] == kind]


def _compile_edited(fleet: Path, path: str, old: str, new: str) -> None:
    edit(fleet / path, old, new)
    result = compile_fleet(fleet)
    assert result.exit_code == 0, result.output


def _policy(path: Path, name: str) -> dict[str, Any]:
    (found,) = [d for d in _docs(path, "NetworkPolicy") if d["metadata"]["name"] == name]
    return found


def test_routes_carry_the_instance_hostnames_listener_and_backend_weight(example_fleet: Path) -> None:
    _compile_edited(
        example_fleet,
        "instances/droneup-staging.yaml",
        "    hostnames: [api.staging.droneup.example]\n",
        "    hostnames: [api.staging.droneup.example, staging.droneup.example]\n    sectionName: https-staging\n",
    )
    tenants = example_fleet / "rendered/instances"
    (staging,) = _docs(tenants / "droneup-staging/tenants/droneup/routes.yaml", "HTTPRoute")
    (production,) = _docs(tenants / "droneup-production/tenants/droneup/routes.yaml", "HTTPRoute")
    assert staging["spec"]["hostnames"] == ["api.staging.droneup.example", "staging.droneup.example"]
    assert staging["spec"]["parentRefs"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": "relc",
            "namespace": "gateway-system",
            "sectionName": "https-staging",
        }
    ]
    assert production["spec"]["hostnames"] == ["api.droneup.example"]
    assert "sectionName" not in production["spec"]["parentRefs"][0]
    assert production["spec"]["rules"][0] == {
        "backendRefs": [
            {
                "group": "",
                "kind": "Service",
                "name": "mission-service",
                "namespace": "droneup-production-q2-2025",
                "port": 80,
                "weight": 1,
            }
        ],
        "matches": [
            {
                "headers": [{"name": "x-relc-tenant", "type": "Exact", "value": "droneup"}],
                "path": {"type": "PathPrefix", "value": "/mission-service"},
            }
        ],
    }


def test_an_instance_without_hostnames_renders_routes_without_them(base_fleet: Path) -> None:
    result = compile_fleet(base_fleet)
    assert result.exit_code == 0, result.output
    (route,) = _docs(base_fleet / "rendered/instances/arematics-prod/tenants/xyz/routes.yaml", "HTTPRoute")
    assert "hostnames" not in route["spec"]


def test_allow_gateway_admits_the_configured_peer(example_fleet: Path) -> None:
    result = compile_fleet(_with_settings(example_fleet))
    assert result.exit_code == 0, result.output
    instances = example_fleet / "rendered/instances"
    envoy = _policy(instances / "arematics-qa/platform/shared.yaml", "allow-gateway")
    assert envoy["spec"] == {
        "ingress": [
            {
                "from": [
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}},
                        "podSelector": {
                            "matchLabels": {
                                "gateway.envoyproxy.io/owning-gateway-name": "relc",
                                "gateway.envoyproxy.io/owning-gateway-namespace": "gateway-system",
                            }
                        },
                    }
                ]
            }
        ],
        "podSelector": {},
        "policyTypes": ["Ingress"],
    }
    gke = _policy(instances / "droneup-staging/candidates/q2-2025/templates/platform.yaml", "allow-gateway")
    assert gke["spec"]["ingress"] == [
        {
            "from": [
                {"ipBlock": {"cidr": "10.129.0.0/23"}},
                {"ipBlock": {"cidr": "35.191.0.0/16"}},
                {"ipBlock": {"cidr": "130.211.0.0/22"}},
            ]
        }
    ]
    # The tenancy namespace takes no requests: no allow-gateway there.
    assert [
        d["metadata"]["name"] for d in _docs(instances / "droneup-staging/platform/tenancy.yaml", "NetworkPolicy")
    ] == [
        "default-deny-ingress",
        "allow-same-instance",
        "allow-monitoring",
    ]


def test_monitoring_namespace_is_admitted_in_every_instance_namespace(example_fleet: Path) -> None:
    result = compile_fleet(_with_settings(example_fleet))
    assert result.exit_code == 0, result.output
    namespaces = 0
    instances = example_fleet / "rendered/instances"
    for path in sorted([*instances.glob("*/platform/**/*.yaml"), *instances.glob("*/candidates/*/templates/*.yaml")]):
        namespaces += len(_docs(path, "Namespace"))
        policy = _policy(path, "allow-monitoring")
        assert policy["spec"]["ingress"] == [
            {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]}
        ]
    assert namespaces == 21


def test_a_peer_with_cidrs_and_selectors_is_refused_and_nothing_changes(example_fleet: Path) -> None:
    fleet = _with_settings(example_fleet)
    assert compile_fleet(fleet).exit_code == 0
    before = snapshot(fleet)
    edit(
        fleet / "instances/droneup-staging.yaml",
        "      cidrs: [10.129.0.0/23, 35.191.0.0/16, 130.211.0.0/22]\n",
        "      cidrs: [10.129.0.0/23]\n      namespaceSelector: {kubernetes.io/metadata.name: gke-gateway}\n",
    )
    changed = snapshot(fleet)
    result = relc("compile", "--root", str(fleet), "--today", TODAY)
    assert result.exit_code == 1
    assert result.output == (
        "instances/droneup-staging.yaml:24:7: error RLC203 invalid-value [spec.gateway.peer]: "
        "name either cidrs or namespaceSelector (+ podSelector), not both\n"
        "    hint: see the field's description in the kind's JSON Schema (relc schema)\n"
        "1 error(s), 0 warning(s) in 1 file(s)\n"
    )
    assert snapshot(fleet) == changed and changed.keys() == before.keys()


def test_the_routing_table_reader_runs_as_relc_router(example_fleet: Path) -> None:
    # A blueprint's own serviceAccount values cannot unwire it: relc's go last.
    _compile_edited(
        example_fleet,
        "blueprints/droneup-shared-services.yaml",
        "      routingTable: true",
        "      values: {serviceAccount: {create: true, name: operational-api}}\n      routingTable: true",
    )
    instance = example_fleet / "rendered/instances/droneup-production"
    values = yaml.safe_load((instance / "shared/values.yaml").read_text())
    assert values["operational-api"] == {
        "fullnameOverride": "operational-api",
        "serviceAccount": {"create": False, "name": "relc-router"},
    }
    assert "serviceAccount" not in values["atlas"] and "serviceAccount" not in values["utm-shared-features"]
    # The ServiceAccount and the Role's binding live where the shared chart is deployed.
    (shared_app,) = [
        d
        for d in _docs(instance / "argocd/shared.yaml", "Application")
        if d["spec"]["source"]["path"].endswith("/shared")
    ]
    namespace = shared_app["spec"]["destination"]["namespace"]
    platform = instance / "platform/shared.yaml"
    (account,) = [d for d in _docs(platform, "ServiceAccount") if d["metadata"]["name"] == "relc-router"]
    (binding,) = [d for d in _docs(platform, "RoleBinding") if d["metadata"]["name"] == "relc-routing-reader"]
    assert account["metadata"]["namespace"] == namespace
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "relc-router", "namespace": namespace}]


def test_routing_table_on_a_product_blueprint_is_refused(example_fleet: Path) -> None:
    edit(
        example_fleet / "blueprints/droneup-operations.yaml",
        "  components:\n    - name: mission-service\n",
        "  components:\n    - name: mission-service\n      routingTable: true\n",
    )
    result = relc("validate", "--root", str(example_fleet), "--today", TODAY)
    assert result.exit_code == 1
    assert result.output == (
        "blueprints/droneup-operations.yaml:7:3: error RLC203 invalid-value [spec]: routingTable is for "
        "sharedServices blueprints (the relc-router ServiceAccount lives in the shared namespace), but this product "
        "blueprint sets it on mission-service\n"
        "    hint: see the field's description in the kind's JSON Schema (relc schema)\n"
        "1 error(s), 0 warning(s) in 1 file(s)\n"
    )
