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


def move_pin(example_fleet: Path, *, warm: bool) -> git.Repo:
    """Compile and commit the example fleet (``warm``: its candidates all kept warm), move the tenant from
    q1-2025 to q2-2025 and compile again; the repository, its change not committed."""
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
    return repo


@pytest.mark.parametrize("warm", [True, False], ids=["both-candidates-stay", "left-candidate-retires"])
def test_moving_one_pin_touches_only_what_it_must(example_fleet: Path, warm: bool) -> None:
    repo = move_pin(example_fleet, warm=warm)
    changed = changed_paths(repo)
    assert {p for p in changed if not allowed(p, "q1-2025", "q2-2025")} == set()
    base = f"rendered/instances/{INSTANCE}"
    assert f"{base}/tenants/{TENANT}/routes.yaml" in changed
    assert f"{base}/routing/q2-2025.yaml" in changed  # the tenant joined q2-2025's routing table
    assert f"{base}/routing/q1-2025.yaml" in changed  # and left q1-2025's (or q1-2025 retired)
    assert (example_fleet / f"{base}/candidates/q1-2025").is_dir() == warm


def _changed_lines(repo: git.Repo) -> dict[str, list[str]]:
    """``git diff -U0``: per file, its removed and added lines (``-``/``+``), hashes in Job names masked."""
    out: dict[str, list[str]] = {}
    path = ""
    for line in repo.git.diff("-U0", "--no-color").splitlines():
        if line.startswith("+++ b/"):
            path = line[len("+++ b/") :]
        elif line[:1] in "+-" and not line.startswith(("+++", "---")):
            masked = re.sub(r"-[0-9a-f]{10}$", "-<hash>", line.strip().replace("  ", ""))
            out.setdefault(path, []).append(re.sub(r"sha256:[0-9a-f]{16}$", "sha256:<digest>", masked))
    return out


def test_a_reviewer_sees_only_the_lines_a_pin_move_must_change(example_fleet: Path) -> None:
    """Issue 11: a one-pin diff a reviewer can read. Each changed line says something the move changes (the
    candidate once, each schema's desired version, each route's backend namespace, each migration step and image,
    the tenant's one line in each copy of the registry), nothing repeated, at any number of tenants."""
    repo = move_pin(example_fleet, warm=True)
    base, folder = f"rendered/instances/{INSTANCE}", f"rendered/instances/{INSTANCE}/tenants/{TENANT}"
    route = ["-namespace: droneup-production-q1-2025", "+namespace: droneup-production-q2-2025"]
    assert _changed_lines(repo) == {
        f"tenants/{INSTANCE}/{TENANT}.yaml": ["-releaseCandidate: q1-2025", "+releaseCandidate: q2-2025"],
        f"{base}/registry/service-versions.yaml": [
            "-relc.dev/hooks-digest: sha256:<digest>",  # the registry-sync Job changed (its name): Argo CD syncs
            "+relc.dev/hooks-digest: sha256:<digest>",
            '-"horizon-aerobotics": ["q1-2025"]',
            '+"horizon-aerobotics": ["q2-2025"]',
            "-name: regsync-droneup-production-<hash>",  # the registry-sync Job runs again for the new data
            "+name: regsync-droneup-production-<hash>",
        ],
        "rendered/registry/service_versions.json": [
            '-"horizon-aerobotics": ["q1-2025"]',
            '+"horizon-aerobotics": ["q2-2025"]',
        ],
        "rendered/registry/service_versions.sql": [
            "-('droneup-production', 'horizon-aerobotics', 'q1-2025'),",
            "+('droneup-production', 'horizon-aerobotics', 'q2-2025'),",
        ],
        f"{base}/routing/q1-2025.yaml": ["-horizon-aerobotics: q1-2025"],
        f"{base}/routing/q2-2025.yaml": ["+horizon-aerobotics: q2-2025"],
        f"{folder}/provisioning.yaml": [
            "-relc.dev/hooks-digest: sha256:<digest>",  # the tenant's hook Jobs changed
            "+relc.dev/hooks-digest: sha256:<digest>",
            "-releaseCandidate: q1-2025",
            "+releaseCandidate: q2-2025",
        ],
        f"{folder}/schema-versions.yaml": [
            '-desiredVersion: "2.0.0"',
            '+desiredVersion: "2.2.3"',
            '-desiredVersion: "3.5.4"',
            '+desiredVersion: "4.2.4"',
        ],
        # the HTTPRoute's candidate label stays: RLC810 (outcheck) reads it to tell where a dry-run tenant is routed
        f"{folder}/routes.yaml": ["-relc.dev/candidate: q1-2025", "+relc.dev/candidate: q2-2025", *route * 4],
        f"{folder}/migrations.yaml": [
            "-name: mig-horizon-aerobotics-<hash>",
            "+name: mig-horizon-aerobotics-<hash>",
            "-- mission-service@2.0.0:main:mission-service:backup",
            "+- mission-service@2.2.3:main:mission-service:backup",
            "-- utm-mission-service@3.5.4:main:utm-mission-service:backup",
            "+- utm-mission-service@4.2.4:main:utm-mission-service:backup",
            "-- droneup-production-q1-2025",  # the readiness gate waits for the new candidate's Deployments
            "+- droneup-production-q2-2025",
            "-image: registry.droneup.example/droneup/mission-service:2.0.0",
            "+image: registry.droneup.example/droneup/mission-service:2.2.3",
            "-image: registry.droneup.example/droneup/utm-mission-service:3.5.4",
            "+image: registry.droneup.example/droneup/utm-mission-service:4.2.4",
        ],
    }
