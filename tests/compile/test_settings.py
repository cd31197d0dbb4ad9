"""relc.yaml: absent means defaults; present, it is read by the hardened loader and its errors carry positions."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.compile.util import compile_fleet


def test_a_typo_in_relc_yaml_is_a_diagnostic_with_its_line(base_fleet: Path) -> None:
    (base_fleet / "relc.yaml").write_text("apiVersion: relc.dev/v1alpha1\nkind: Settings\nrepoUrl: https://x\n")
    result = compile_fleet(base_fleet)
    assert result.exit_code == 1
    assert "relc.yaml:3:1: error RLC201" in result.output
    assert "repoURL" in result.output  # the hint names the right spelling
    assert not (base_fleet / "rendered").exists()


def test_settings_choose_the_output_folder_and_the_argo_cd_source(base_fleet: Path) -> None:
    (base_fleet / "relc.yaml").write_text(
        "apiVersion: relc.dev/v1alpha1\nkind: Settings\nrepoURL: https://git.example.org/fleet.git\n"
        "renderedPath: deploy/out\nargocdNamespace: gitops\n"
    )
    result = compile_fleet(base_fleet)
    assert result.exit_code == 0, result.output
    root = base_fleet / "deploy" / "out" / "argocd" / "instances" / "arematics-prod.yaml"
    project, app = yaml.safe_load_all(root.read_text())
    assert app["metadata"]["namespace"] == "gitops"
    assert app["spec"]["source"]["repoURL"] == "https://git.example.org/fleet.git"
    assert app["spec"]["source"]["path"] == "deploy/out/instances/arematics-prod/argocd"
    assert project["spec"]["sourceRepos"][0] == "https://git.example.org/fleet.git"
    assert not (base_fleet / "rendered").exists()


def test_a_monitoring_namespace_is_admitted_everywhere_when_named(base_fleet: Path) -> None:
    (base_fleet / "relc.yaml").write_text("apiVersion: relc.dev/v1alpha1\nkind: Settings\nmonitoringNamespace: obs\n")
    assert compile_fleet(base_fleet).exit_code == 0
    platform = base_fleet / "rendered" / "instances" / "arematics-prod" / "platform"
    for path in sorted(platform.rglob("*.yaml")):
        policies = {
            d["metadata"]["name"]: d for d in yaml.safe_load_all(path.read_text()) if d["kind"] == "NetworkPolicy"
        }
        source = policies["allow-monitoring"]["spec"]["ingress"][0]["from"][0]
        assert source == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "obs"}}}, path
