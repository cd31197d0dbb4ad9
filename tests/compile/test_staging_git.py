"""A compile killed mid-write leaves its staging tree in .relc-staging/, which git never shows: ``git add -A``
after a crash commits nothing of it, and the next compile removes it."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import git

from tests.compile.util import compile_fleet, digest
from tests.conftest import REPO, TODAY

TENANT = "tenants/droneup-production/horizon-aerobotics.yaml"


def test_a_compile_killed_mid_write_leaves_nothing_for_git(example_fleet: Path) -> None:
    assert compile_fleet(example_fleet).exit_code == 0
    repo = git.Repo.init(example_fleet)
    repo.git.add(A=True)
    repo.index.commit("compiled", author=git.Actor("t", "t@example.com"), committer=git.Actor("t", "t@example.com"))
    tenant = example_fleet / TENANT
    tenant.write_text(tenant.read_text().replace("releaseCandidate: q1-2025", "releaseCandidate: q2-2025"))
    rendered = digest(example_fleet / "rendered")

    args = ["--root", str(example_fleet), "--today", TODAY, "--jobs", "1"]
    killed = subprocess.run(
        [sys.executable, "-m", "tests.compile.killed_compile", "1", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (left,) = (example_fleet / ".relc-staging").glob("rendered-*")  # the killed compile's staging tree
    assert any(left.rglob("*.yaml"))  # killed mid-write: a partial tree is really there
    assert digest(example_fleet / "rendered") == rendered
    assert repo.git.status("--porcelain", "--untracked-files=all") == f" M {TENANT}"
    repo.git.add(A=True)
    assert repo.git.status("--porcelain") == f"M  {TENANT}"

    result = compile_fleet(example_fleet)  # the next compile removes the dead process's tree
    assert result.exit_code == 0, result.output
    assert not (example_fleet / ".relc-staging").exists()
    assert {line[3:] for line in repo.git.status("--porcelain").splitlines()} >= {TENANT}
