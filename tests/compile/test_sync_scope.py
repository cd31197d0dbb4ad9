"""What a commit makes Argo CD sync: two compiles through the CLI, the changed files mapped onto the Applications
whose ``manifest-generate-paths`` cover them (Argo CD's util/app/path ``AppFilesHaveChanged``), and the hook
digest that makes a hook-only change sync."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import git
import pytest
import yaml

from compiler.render.argocd import GENERATE_PATHS
from compiler.render.conventions import HOOKS_DIGEST
from compiler.render.jobs import HOOK
from tests.compile.util import compile_fleet
from tests.conftest import REPO, commit_all

INSTANCE = "droneup-production"
TENANT = "horizon-aerobotics"


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _changed(repo: git.Repo) -> set[str]:
    repo.git.add(A=True)
    return {line[3:] for line in repo.git.status("--porcelain").splitlines()}


def _applications(rendered: Path) -> dict[str, tuple[str, str]]:
    """Application name → (source path, manifest-generate-paths), the tenants' ones expanded from their
    ApplicationSet's template over the tenant folders (as its git directory generator does)."""
    found: dict[str, tuple[str, str]] = {}
    for path in sorted((rendered / "argocd").rglob("*.yaml")) + sorted(rendered.glob("instances/*/argocd/**/*.yaml")):
        for doc in _documents(path):
            meta, spec = doc["metadata"], doc["spec"]
            if doc["kind"] == "Application":
                found[meta["name"]] = (spec["source"]["path"], meta["annotations"][GENERATE_PATHS])
            elif doc["kind"] == "ApplicationSet":
                template = spec["template"]
                folders = spec["generators"][0]["git"]["directories"][0]["path"]
                for tenant in sorted((rendered.parent / folders).parent.iterdir()):
                    name = template["metadata"]["name"].replace("{{ .path.basename }}", tenant.name)
                    paths = template["metadata"]["annotations"][GENERATE_PATHS]
                    found[name] = (tenant.relative_to(rendered.parent).as_posix(), paths)
    return found


def _refreshed(applications: dict[str, tuple[str, str]], changed: set[str]) -> set[str]:
    """The Applications a commit changing ``changed`` is a change for: a file under one of their paths."""
    hit = set()
    for name, (source, paths) in applications.items():
        roots = [
            str(Path(source, p.strip())).removesuffix("/.") if p.strip() != "." else source for p in paths.split(";")
        ]
        if any(f == r or f.startswith(r + "/") for f in changed for r in roots):
            hit.add(name)
    return hit


@pytest.fixture
def compiled(example_fleet: Path) -> tuple[Path, git.Repo]:
    shutil.copy(REPO / "relc.yaml", example_fleet / "relc.yaml")
    assert compile_fleet(example_fleet).exit_code == 0
    return example_fleet, commit_all(example_fleet, "compiled")


def test_every_application_and_the_tenant_template_carry_generate_paths(compiled: tuple[Path, git.Repo]) -> None:
    fleet, _ = compiled
    applications = _applications(fleet / "rendered")
    assert f"{INSTANCE}-{TENANT}" in applications and f"{INSTANCE}-routing" in applications
    assert {paths for _, paths in applications.values()} == {"."}


def test_one_tenant_policy_change_refreshes_only_its_application(compiled: tuple[Path, git.Repo]) -> None:
    fleet, repo = compiled
    tenant = fleet / "tenants" / INSTANCE / f"{TENANT}.yaml"
    text = tenant.read_text(encoding="utf-8")
    assert "autoUpgrade: false" in text
    tenant.write_text(text.replace("autoUpgrade: false", "autoUpgrade: true"), encoding="utf-8")
    assert compile_fleet(fleet).exit_code == 0
    changed = _changed(repo)
    folder = f"rendered/instances/{INSTANCE}/tenants/{TENANT}"
    assert changed == {f"tenants/{INSTANCE}/{TENANT}.yaml", f"{folder}/schema-versions.yaml"}
    assert _refreshed(_applications(fleet / "rendered"), changed) == {f"{INSTANCE}-{TENANT}"}


def test_one_tenant_pin_move_refreshes_its_application_and_the_shared_ones_named(
    compiled: tuple[Path, git.Repo],
) -> None:
    """q1-2025 and q2-2025 both stay deployed (other tenants pin them): the tenant's own Application, the
    Instance's registry and its routing table are all the commit changes."""
    fleet, repo = compiled
    instance = fleet / "instances" / f"{INSTANCE}.yaml"
    instance.write_text(instance.read_text(encoding="utf-8") + "  warmCandidates: [q1-2025, q2-2025]\n")
    assert compile_fleet(fleet).exit_code == 0
    commit_all(fleet, "warm")
    tenant = fleet / "tenants" / INSTANCE / f"{TENANT}.yaml"
    tenant.write_text(
        tenant.read_text(encoding="utf-8").replace("releaseCandidate: q1-2025", "releaseCandidate: q2-2025")
    )
    assert compile_fleet(fleet).exit_code == 0
    changed = _changed(repo)
    refreshed = _refreshed(_applications(fleet / "rendered"), changed)
    assert refreshed == {f"{INSTANCE}-{TENANT}", f"{INSTANCE}-registry", f"{INSTANCE}-routing"}
    outside = {f for f in changed if not f.startswith(f"rendered/instances/{INSTANCE}/")}
    assert outside == {
        f"tenants/{INSTANCE}/{TENANT}.yaml",
        "rendered/registry/service_versions.json",
        "rendered/registry/service_versions.sql",
    }  # read by registry-sync / psql, no Application


def _non_hooks(folder: Path) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (d["kind"], d["metadata"]["name"]): d
        for path in sorted(folder.glob("*.yaml"))
        for d in _documents(path)
        if HOOK not in d["metadata"].get("annotations", {})
    }


def test_a_new_migrate_image_changes_an_ordinary_object_in_every_hook_folder(compiled: tuple[Path, git.Repo]) -> None:
    """Hooks are left out of sync status: only a changed ordinary object makes Argo CD sync (and so run them)."""
    fleet, _ = compiled
    rendered = fleet / "rendered"
    folders = sorted(rendered.glob("instances/*/tenants/*")) + sorted(rendered.glob("instances/*/registry"))
    before = {folder: _non_hooks(folder) for folder in folders}
    settings = fleet / "relc.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("relc-migrate:0.1.0", "relc-migrate:0.1.1"), encoding="utf-8")
    assert compile_fleet(fleet).exit_code == 0
    assert len(folders) == 9 + 6  # every tenant of the example fleet, every Instance's registry
    for folder in folders:
        after = _non_hooks(folder)
        assert after.keys() == before[folder].keys()
        changed = {key for key in after if after[key] != before[folder][key]}
        assert changed, f"{folder}: only hooks changed, Argo CD would not sync"
        digested = {key for key in changed if HOOKS_DIGEST in after[key]["metadata"]["annotations"]}
        assert digested, f"{folder}: no object carries the hooks' digest"
        for key in digested:
            old, new = before[folder][key], after[key]
            assert old["metadata"]["annotations"][HOOKS_DIGEST] != new["metadata"]["annotations"][HOOKS_DIGEST]
        # the others are ordinary workloads running the image themselves (the retention CronJob)
        assert {kind for kind, _ in changed - digested} <= {"CronJob"}
