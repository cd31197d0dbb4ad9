"""The base fleet: typing only the files that differ gives the fleet typing the whole commit gives, and a
commit's files go through the working tree's refusals (links, suffixes) on their way in."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

from compiler.load.discover import read_fleet
from compiler.load.gitref import open_commit, read_fleet_at
from compiler.model.build import build_fleet
from compiler.model.fleet import Fleet
from compiler.plan.base import load_base
from tests.conftest import EXAMPLES, REPO, commit_all


def objects(fleet: Fleet) -> dict[str, object]:
    tables = ("blueprints", "component_versions", "candidates", "global_releases", "instances", "tenants")
    found: dict[str, object] = {t: {k: (e.obj, e.doc.path) for k, e in getattr(fleet, t).items()} for t in tables}
    found["settings"] = fleet.settings
    found["documents"] = [d.path for d in fleet.documents]
    return found


def test_the_derived_base_equals_the_whole_commit_typed(tmp_path: Path) -> None:
    root = tmp_path / "fleet"
    for folder in ("blueprints", "releases", "instances", "tenants"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "relc.yaml", root / "relc.yaml")
    commit_all(root)
    moved = root / "tenants/arematics-prod/xyz.yaml"
    moved.write_text(moved.read_text().replace("platform-2025-05", "platform-2025-07"))
    os.remove(root / "tenants/arematics-prod/acme.yaml")
    (root / "tenants/arematics-prod/globex.yaml").write_text(moved.read_text().replace("name: xyz", "name: globex"))
    (root / "relc.yaml").write_text((root / "relc.yaml").read_text().replace("gatewayName: relc", "gatewayName: other"))
    head, _ = build_fleet(read_fleet(root)[0])

    base = load_base(root, "HEAD", head, date(2026, 11, 22))

    sources, settings, problems = read_fleet_at(open_commit(root, "HEAD"))
    whole, _ = build_fleet(sources, settings=settings)
    assert problems == []
    assert objects(base.fleet) == objects(whole)
    assert base.changed == {
        "relc.yaml",
        "tenants/arematics-prod/xyz.yaml",
        "tenants/arematics-prod/acme.yaml",
        "tenants/arematics-prod/globex.yaml",
    }


def test_a_commit_is_read_with_the_working_trees_refusals(tmp_path: Path) -> None:
    root = tmp_path / "fleet"
    shutil.copytree(EXAMPLES / "base", root)
    os.symlink("acme.yaml", root / "tenants/arematics-prod/link.yaml")
    (root / "tenants/arematics-prod/notes.json").write_text("{}")
    (root / "tenants/README.md").write_text("documentation is not read\n")
    commit_all(root)

    _, _, problems = read_fleet_at(open_commit(root, "HEAD"))

    assert [(d.file, d.code, d.message) for d in problems] == [
        ("tenants/arematics-prod/link.yaml", "RLC103", "the file is a symbolic link"),
        (
            "tenants/arematics-prod/notes.json",
            "RLC110",
            "this file is not read: relc reads only files ending in .yaml or .yml "
            "(and skips README.md-style .md files)",
        ),
    ]
