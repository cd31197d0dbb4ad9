"""RLC807/RLC808 through ``relc validate --rendered``: the golden rendered/ passes; a copy broken the way the
issue describes (a tenant folder named like its Instance's routing Application, an ApplicationSet template
without manifest-generate-paths) is reported at the rendered file and line, with the exact message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from compiler.cli import main
from tests.conftest import REPO

TENANCY = "rendered/instances/droneup-staging/argocd/tenancy.yaml"


def _validate(root: Path) -> tuple[int, list[tuple[str, int, str, str, str]]]:
    result = CliRunner().invoke(
        main, ["validate", "--rendered", "--root", str(root), "--kubeconform", "off", "--format", "json"]
    )
    found = json.loads(result.output)["diagnostics"]
    return result.exit_code, [(d["file"], d["line"], d["code"], d["message"], d["hint"]) for d in found]


def _golden(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "rendered", tmp_path / "rendered")
    return tmp_path


def test_the_golden_rendered_tree_passes(tmp_path: Path) -> None:
    assert _validate(_golden(tmp_path)) == (0, [])


def test_a_tenant_folder_named_routing_duplicates_the_routing_application(tmp_path: Path) -> None:
    root = _golden(tmp_path)
    tenants = root / "rendered/instances/droneup-staging/tenants"
    (tenants / "droneup").rename(tenants / "routing")
    assert _validate(root) == (
        1,
        [
            (
                TENANCY,
                65,
                "RLC807",
                "Application 'droneup-staging-routing' (generated for instances/droneup-staging/tenants/routing/) is "
                "also defined at rendered/instances/droneup-staging/argocd/routing.yaml:5",
                "Argo CD objects of one kind share its namespace: rename one (relc validate reports the inputs)",
            )
        ],
    )


def test_a_template_without_generate_paths_is_reported(tmp_path: Path) -> None:
    root = _golden(tmp_path)
    path = root / TENANCY
    text = path.read_text(encoding="utf-8")
    broken = text.replace('        argocd.argoproj.io/manifest-generate-paths: "."\n', "", 1)
    assert broken != text
    path.write_text(broken, encoding="utf-8")
    assert _validate(root) == (
        1,
        [
            (
                TENANCY,
                66,
                "RLC808",
                "the template of ApplicationSet 'droneup-staging-tenants' has no "
                "argocd.argoproj.io/manifest-generate-paths",
                "add argocd.argoproj.io/manifest-generate-paths: '.' (its own source folder, as relc renders it); "
                "without it every commit refreshes the Application",
            )
        ],
    )


def test_generate_paths_that_leave_out_the_own_folder_are_reported(tmp_path: Path) -> None:
    root = _golden(tmp_path)
    path = root / "rendered/instances/droneup-staging/argocd/routing.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('manifest-generate-paths: "."', "manifest-generate-paths: /elsewhere"), encoding="utf-8"
    )
    code, found = _validate(root)
    assert code == 1
    assert [(f, line, c, m) for f, line, c, m, _ in found] == [
        (
            "rendered/instances/droneup-staging/argocd/routing.yaml",
            7,
            "RLC808",
            "Application 'droneup-staging-routing' has argocd.argoproj.io/manifest-generate-paths '/elsewhere' "
            "without its own folder '.'",
        )
    ]
