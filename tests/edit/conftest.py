"""A git repository holding a copy of the example fleet, and the CLI run on it: every edit command is checked by
what ``git diff`` and ``git status`` then say."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import git
import pytest
from click.testing import CliRunner, Result

from compiler.cli import main
from tests.conftest import REPO, TODAY

ACTOR = git.Actor("relc tests", "tests@example.com")


@dataclass(frozen=True)
class FleetRepo:
    root: Path
    repo: git.Repo

    def relc(self, *args: str) -> Result:
        """``relc COMMAND ARGS --root <fleet> --today <fixed>``: the command first, its options after."""
        return CliRunner().invoke(main, [*args, "--root", str(self.root), "--today", TODAY])

    def commit(self, message: str = "fleet") -> None:
        self.repo.git.add(A=True)
        self.repo.index.commit(message, author=ACTOR, committer=ACTOR)

    def diff_lines(self) -> list[str]:
        """The changed lines of ``git diff`` (``-`` and ``+`` lines, headers left out)."""
        diff = self.repo.git.diff("--no-color", "--unified=0")
        return [line for line in diff.splitlines() if line[:1] in "-+" and line[:3] not in ("---", "+++")]

    def status(self) -> str:
        return str(self.repo.git.status("--porcelain", "--untracked-files=all"))


@pytest.fixture
def fleet(tmp_path: Path) -> FleetRepo:
    """The example fleet (with relc.yaml) committed to a fresh git repository."""
    root = tmp_path / "fleet"
    for folder in ("blueprints", "releases", "instances", "tenants"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "relc.yaml", root / "relc.yaml")
    made = FleetRepo(root, git.Repo.init(root))
    made.commit()
    return made
