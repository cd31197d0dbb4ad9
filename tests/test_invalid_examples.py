"""Negative examples, one folder per case, run through the real CLI (click's runner) on real files.

Each case under tests/examples/invalid/<CODE>-<slug>/ is an overlay on the valid base fleet (tests/examples/base):
- ``overlay/``: files copied over the base (new or replacing);
- ``delete`` (optional): base-relative paths to remove, one per line;
- ``expect``: the exact set of diagnostics, one ``path:line:CODE`` per line (line 0: the whole file);
- ``args`` (optional): extra command-line arguments, one per line (``--rendered`` checks an overlaid rendered/);
- ``git-base`` (optional, for the policies judged against the base branch, RLC9xx): the base fleet, with the
  ``before/`` overlay when there is one, is committed to a real git repository first; ``overlay/`` and ``delete``
  then change its working tree, and the run adds ``--base HEAD``.
The run must report exactly those diagnostics and exit 1 (``--strict``, so warnings count too).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main
from compiler.diagnostics import CODES
from tests.conftest import EXAMPLES, REPO, TODAY, commit_all

CASES = sorted(p for p in (EXAMPLES / "invalid").iterdir() if p.is_dir())

# Codes a fleet overlay cannot express, with the test file that asserts their file:line:code instead.
COVERED_ELSEWHERE: dict[str, str] = {
    "RLC803": "tests/compile/test_check.py",  # stale output: a compile --check result
    "RLC804": "tests/report/test_report_cli.py",  # a relc report --status file, not a fleet file
    "RLC810": "tests/outcheck/test_sem_lifecycle.py",  # needs relc's CRDs in the tree: a broken golden copy
}


def materialise(case: Path, target: Path) -> Path:
    shutil.copytree(EXAMPLES / "base", target)
    if (case / "git-base").is_file():
        if (case / "before").is_dir():
            shutil.copytree(case / "before", target, dirs_exist_ok=True)
        commit_all(target)
    overlay = case / "overlay"
    if overlay.is_dir():
        shutil.copytree(overlay, target, dirs_exist_ok=True)
    delete = case / "delete"
    if delete.is_file():
        for line in delete.read_text().splitlines():
            if line.strip():
                (target / line.strip()).unlink()
    return target


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_reports_exactly_its_diagnostics(case: Path, tmp_path: Path) -> None:
    root = materialise(case, tmp_path / "fleet")
    extra = (case / "args").read_text().split() if (case / "args").is_file() else []
    if (case / "git-base").is_file():
        extra += ["--base", "HEAD"]
    result = CliRunner().invoke(
        main, ["validate", "--root", str(root), "--today", TODAY, "--format", "json", "--strict", *extra]
    )
    assert result.exit_code == 1, result.output
    found = {f"{d['file']}:{d['line']}:{d['code']}" for d in json.loads(result.output)["diagnostics"]}
    expected = {line.strip() for line in (case / "expect").read_text().splitlines() if line.strip()}
    assert found == expected
    for d in json.loads(result.output)["diagnostics"]:
        assert d["message"] and d["hint"], d


def test_every_code_has_a_negative_example() -> None:
    covered = {c.name.split("-")[0] for c in CASES}
    missing = set(CODES) - covered - set(COVERED_ELSEWHERE)
    assert not missing, f"codes without a negative example in tests/examples/invalid/: {sorted(missing)}"
    for code, test_file in COVERED_ELSEWHERE.items():
        assert code in (REPO / test_file).read_text(encoding="utf-8"), f"{test_file} no longer tests {code}"


def test_base_fleet_is_valid() -> None:
    result = CliRunner().invoke(main, ["validate", "--root", str(EXAMPLES / "base"), "--today", TODAY, "--strict"])
    assert result.exit_code == 0, result.output
