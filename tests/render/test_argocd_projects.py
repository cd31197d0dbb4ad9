"""The bootstrap project ``relc`` confines the roots, and every Application a root creates names its Instance's
project: checked on the committed rendered/ (tests/compile/test_golden.py keeps it equal to a compile)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO

RENDERED = REPO / "rendered"


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _projects() -> dict[str, dict[str, Any]]:
    return {
        d["metadata"]["name"]: d["spec"]
        for path in sorted((RENDERED / "argocd").rglob("*.yaml"))
        for d in _documents(path)
        if d["kind"] == "AppProject"
    }


def test_the_roots_may_create_only_applications_and_applicationsets_in_argo_cds_namespace() -> None:
    relc = _projects()["relc"]
    assert relc["namespaceResourceWhitelist"] == [
        {"group": "argoproj.io", "kind": "Application"},
        {"group": "argoproj.io", "kind": "ApplicationSet"},
    ]
    assert relc["clusterResourceWhitelist"] == []
    assert relc["destinations"] == [{"name": "in-cluster", "namespace": "argocd"}]
    assert relc["sourceRepos"] == ["https://git.example.com/platform/fleet.git"]
    others = {name: spec for name, spec in _projects().items() if name != "relc"}
    for name, spec in others.items():  # no other project may create Argo CD objects, or reach Argo CD's namespace
        kinds = spec.get("namespaceResourceWhitelist", []) + spec.get("clusterResourceWhitelist", [])
        assert all(k["group"] != "argoproj.io" for k in kinds), name
        assert all(d["namespace"] != "argocd" for d in spec["destinations"]), name


def test_every_root_is_in_relc_and_every_child_in_its_instances_project() -> None:
    instances = sorted(p.stem for p in (RENDERED / "argocd/instances").glob("*.yaml"))
    assert len(instances) == 6
    for instance in instances:
        (root,) = [d for d in _documents(RENDERED / f"argocd/instances/{instance}.yaml") if d["kind"] == "Application"]
        assert (root["metadata"]["name"], root["spec"]["project"]) == (instance, "relc")
        children = [
            d for p in sorted((RENDERED / f"instances/{instance}/argocd").rglob("*.yaml")) for d in _documents(p)
        ]
        assert {d["kind"] for d in children} == {"Application", "ApplicationSet"}
        for child in children:
            spec = child["spec"]["template"]["spec"] if child["kind"] == "ApplicationSet" else child["spec"]
            assert spec["project"] == instance, child["metadata"]["name"]  # literal: never a template
