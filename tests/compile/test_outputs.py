"""What compile writes is valid and coherent: Argo CD objects against Argo CD's own CRD schemas (strictly: an
unknown field is an error), Chart.yaml against Helm's schema, every Application pointing at a folder that exists,
every object of an Instance inside the namespaces its AppProject allows, and the output validator passing."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.compile.util import compile_fleet, relc
from tests.conftest import REPO

SCHEMAS = Path(str(resources.files("compiler").joinpath("data", "schemas")))  # the vendored upstream copies
REPO_PREFIX = "rendered/"


def strict(schema: Any) -> Any:
    """Close every object schema that lists its properties (Kubernetes would silently prune unknown fields)."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def crd_validators() -> dict[str, jsonschema.protocols.Validator]:
    found: dict[str, jsonschema.protocols.Validator] = {}
    for name in ("application", "applicationset", "appproject"):
        crd = yaml.load((SCHEMAS / "argocd" / f"{name}-crd.yaml").read_text(), Loader=yaml.CSafeLoader)
        schema = strict(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
        schema["properties"]["metadata"] = {"type": "object"}
        found[crd["spec"]["names"]["kind"]] = jsonschema.Draft7Validator(schema)
    return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:

    root = tmp_path_factory.mktemp("outputs")
    for folder in ("blueprints", "releases", "instances", "tenants"):
        shutil.copytree(REPO / folder, root / folder)
    result = compile_fleet(root)
    assert result.exit_code == 0, result.output
    check = relc("validate", "--rendered", "--root", str(root), "--kubeconform", "off", "--strict")
    assert check.exit_code == 0, check.output
    files: dict[str, list[Any]] = {}
    for path in sorted((root / "rendered").rglob("*")):
        if path.is_file() and path.suffix == ".yaml":
            docs = list(yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader))
            files[path.relative_to(root / "rendered").as_posix()] = docs
    return files


def objects(rendered: dict[str, list[Any]], kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [(p, d) for p, docs in rendered.items() for d in docs if isinstance(d, dict) and d.get("kind") == kind]


def test_argocd_objects_match_argocd_schemas(rendered: dict[str, list[Any]]) -> None:
    validators = crd_validators()
    checked = 0
    for kind, validator in validators.items():
        for path, doc in objects(rendered, kind):
            errors = [f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
            assert not errors, errors
            checked += 1
    assert checked >= 3 * 6  # per Instance at least an AppProject, a root Application and an ApplicationSet


def test_charts_match_helms_schema(rendered: dict[str, list[Any]]) -> None:
    schema = json.loads((SCHEMAS / "helm" / "chart.json").read_text())
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    charts = [(p, docs[0]) for p, docs in rendered.items() if p.endswith("/Chart.yaml")]
    assert charts
    for path, chart in charts:
        assert not list(validator.iter_errors(chart)), path
        assert chart["dependencies"], path


def test_every_application_points_at_rendered_content(rendered: dict[str, list[Any]]) -> None:
    folders = {p.rsplit("/", 1)[0] for p in rendered} | {
        "/".join(p.split("/")[:n]) for p in rendered for n in range(1, p.count("/") + 1)
    }
    for path, app in objects(rendered, "Application"):
        source = app["spec"]["source"]["path"]
        assert source.startswith(REPO_PREFIX), path
        assert source.removeprefix(REPO_PREFIX) in folders, f"{path}: {source} does not exist in rendered/"
    for path, appset in objects(rendered, "ApplicationSet"):
        glob = appset["spec"]["generators"][0]["git"]["directories"][0]["path"]
        parent = glob.removeprefix(REPO_PREFIX).removesuffix("/*")
        assert any(f.startswith(parent + "/") for f in folders), f"{path}: {glob} matches nothing"


def test_instance_objects_stay_inside_their_project(rendered: dict[str, list[Any]]) -> None:
    projects = {doc["metadata"]["name"]: doc["spec"] for _, doc in objects(rendered, "AppProject")}
    for path, docs in rendered.items():
        parts = path.split("/")
        if parts[0] != "instances" or parts[2] in ("argocd", "candidates", "shared", "infrastructure"):
            continue  # Argo CD objects live in argocd's namespace; charts are templates, not manifests
        project = projects[parts[1]]
        allowed = {d["namespace"] for d in project["destinations"]}
        cluster_kinds = {w["kind"] for w in project["clusterResourceWhitelist"]}
        for doc in docs:
            namespace = doc["metadata"].get("namespace")
            if namespace is None:
                assert doc["kind"] in cluster_kinds, f"{path}: cluster-scoped {doc['kind']}"
                assert doc["metadata"]["name"] in allowed, f"{path}: namespace {doc['metadata']['name']}"
            else:
                assert namespace in allowed, f"{path}: {doc['kind']} in {namespace}"


WAVES = {"platform.yaml": -20, "shared.yaml": -15, "tenancy.yaml": -10, "routing.yaml": 10}


def test_children_sync_in_the_documented_wave_order(rendered: dict[str, list[Any]]) -> None:
    """CRDs → platform → shared bundles → tenancy → releases, for every Instance."""
    seen = set()
    for path, docs in rendered.items():
        parts = path.split("/")
        if parts[0] != "instances" or parts[2] != "argocd":
            continue
        expected = 10 if parts[3] == "candidates" else WAVES[parts[3]]
        for doc in docs:
            assert int(doc["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) == expected, path
            seen.add(parts[3])
    assert seen == {*WAVES, "candidates"}
    for _, app in objects(rendered, "Application"):
        if app["spec"]["source"]["path"] == "rendered/crds":
            assert app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "-30"
            assert app["spec"]["syncPolicy"]["automated"]["prune"] is False


def test_every_instance_namespace_denies_ingress_by_default(rendered: dict[str, list[Any]]) -> None:
    namespaces = {d["metadata"]["name"]: d["metadata"]["labels"] for _, d in objects(rendered, "Namespace")}
    denied = {
        d["metadata"]["namespace"]
        for _, d in objects(rendered, "NetworkPolicy")
        if d["metadata"]["name"] == "default-deny-ingress"
        and d["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    }
    assert namespaces and set(namespaces) == denied
    # The gateway's peer: the Instance's spec.gateway.peer (the example's GKE Instances name CIDRs), else the
    # default (this fleet has no relc.yaml): the pods of the gateway namespace.
    cidrs = {
        path.stem: yaml.safe_load(path.read_text())["spec"].get("gateway", {}).get("peer", {}).get("cidrs", [])
        for path in (REPO / "instances").glob("*.yaml")
    }
    for _, policy in objects(rendered, "NetworkPolicy"):
        instance = namespaces[policy["metadata"]["namespace"]]["relc.dev/instance"]
        allowed = [
            {"namespaceSelector": {"matchLabels": {"relc.dev/instance": instance}}},
            *([{"ipBlock": {"cidr": c}} for c in cidrs[instance]] if cidrs[instance] else []),
            *(
                []
                if cidrs[instance]
                else [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway-system"}}}]
            ),
        ]
        for rule in policy["spec"].get("ingress", []):
            for source in rule["from"]:
                assert source in allowed, (policy["metadata"], source)
