"""Locality: moving one tenant's pin changes only that tenant's files, the registry, and the files of the
candidates it left and joined — seen the way a reviewer sees it, as ``git status`` in the fleet repository."""

from __future__ import annotations

import re
from pathlib import Path

import git
import pytest

from tests.compile.util import compile_fleet

INSTANCE = "droneup-production"
TENANT = "horizon-aerobotics"


def commit_all(repo: git.Repo, message: str) -> None:
    repo.git.add(".")
    repo.index.commit(message, author=git.Actor("t", "t@example.com"), committer=git.Actor("t", "t@example.com"))


def changed_paths(repo: git.Repo) -> set[str]:
    repo.git.add(".")
    return {line[3:] for line in repo.git.status("--porcelain").splitlines()}


def allowed(path: str, left: str, joined: str) -> bool:
    base = f"rendered/instances/{INSTANCE}"
    candidates = f"({left}|{joined})"
    patterns = [
        rf"tenants/{INSTANCE}/{TENANT}\.yaml",
        rf"{base}/tenants/{TENANT}/.*",
        r"rendered/registry/.*",
        rf"{base}/registry/.*",
        rf"{base}/(candidates|platform/candidates|argocd/candidates|routing)/{candidates}(/.*|\.yaml)",
    ]
    return any(re.fullmatch(p, path) for p in patterns)


@pytest.mark.parametrize("warm", [True, False], ids=["both-candidates-stay", "left-candidate-retires"])
def test_moving_one_pin_touches_only_what_it_must(example_fleet: Path, warm: bool) -> None:
    instance_file = example_fleet / "instances" / f"{INSTANCE}.yaml"
    if warm:
        instance_file.write_text(instance_file.read_text() + "  warmCandidates: [q4-2024, q1-2025, q2-2025]\n")
    assert compile_fleet(example_fleet).exit_code == 0
    repo = git.Repo.init(example_fleet)
    commit_all(repo, "compiled")

    tenant = example_fleet / "tenants" / INSTANCE / f"{TENANT}.yaml"
    tenant.write_text(tenant.read_text().replace("releaseCandidate: q1-2025", "releaseCandidate: q2-2025"))
    result = compile_fleet(example_fleet)
    assert result.exit_code == 0, result.output

    changed = changed_paths(repo)
    assert {p for p in changed if not allowed(p, "q1-2025", "q2-2025")} == set()
    base = f"rendered/instances/{INSTANCE}"
    assert f"{base}/tenants/{TENANT}/routes.yaml" in changed
    assert f"{base}/routing/q2-2025.yaml" in changed  # the tenant joined q2-2025's routing table
    assert f"{base}/routing/q1-2025.yaml" in changed  # and left q1-2025's (or q1-2025 retired)
    assert (example_fleet / f"{base}/candidates/q1-2025").is_dir() == warm
