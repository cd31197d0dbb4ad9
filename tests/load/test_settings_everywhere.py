"""relc.yaml is loaded with the fleet, once, so every command reports a typo in it (it used to fail only compile).

Also the layering the pipeline promises: compiler.load reads files and never imports the stages after it (it
used to import compiler.model to type relc.yaml, while compiler.model imports compiler.load).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main
from tests.conftest import REPO, TODAY

SETTINGS = "apiVersion: relc.dev/v1alpha1\nkind: Settings\nrenderedPath: out\nrepoUrl: https://git.example.com/x.git\n"
TEXT = (
    "relc.yaml:4:1: error RLC201 unknown-field [repoUrl]: unknown field 'repoUrl'\n"
    "    hint: did you mean 'repoURL'?\n"
    "1 error(s), 0 warning(s) in 1 file(s)\n"
)
GITHUB = (
    "::error file=relc.yaml,line=4,col=1,title=RLC201 unknown-field::repoUrl: unknown field 'repoUrl'"
    "%0Ahint: did you mean 'repoURL'?\n"
)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["validate"], TEXT),
        (["validate", "--format", "github"], GITHUB),
        (["validate", "--rendered", "--kubeconform", "off"], TEXT),
        (["graph"], TEXT),
        (["compile", "--jobs", "1"], TEXT),
        (["compile", "--check", "--jobs", "1"], TEXT),
    ],
    ids=["validate", "github", "rendered", "graph", "compile", "check"],
)
def test_every_command_reports_a_typo_in_relc_yaml(base_fleet: Path, args: list[str], expected: str) -> None:
    (base_fleet / "relc.yaml").write_text(SETTINGS, encoding="utf-8")
    before = _tree(base_fleet)
    result = CliRunner().invoke(main, [*args, "--root", str(base_fleet), "--today", TODAY])
    assert result.exit_code == 1, result.output
    assert result.stdout == expected
    assert _tree(base_fleet) == before


def test_relc_yaml_gets_the_fleet_files_refusals(base_fleet: Path, tmp_path: Path) -> None:
    """Read by the same edge as the fleet: a symbolic link is refused, not followed."""
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(SETTINGS, encoding="utf-8")
    (base_fleet / "relc.yaml").symlink_to(outside)
    result = CliRunner().invoke(main, ["validate", "--root", str(base_fleet), "--today", TODAY])
    assert result.exit_code == 1
    assert result.stdout == (
        "relc.yaml: error RLC103 unsafe-yaml: the file is a symbolic link\n"
        "    hint: replace the link with the file itself: links can point outside the fleet repository\n"
        "1 error(s), 0 warning(s) in 1 file(s)\n"
    )


def test_a_valid_relc_yaml_passes_every_check(base_fleet: Path) -> None:
    (base_fleet / "relc.yaml").write_text(SETTINGS.replace("repoUrl", "repoURL"), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "--root", str(base_fleet), "--today", TODAY, "--strict"])
    assert result.exit_code == 0, result.output


LATER_STAGES = ("compiler.model", "compiler.resolve", "compiler.validate", "compiler.render", "compiler.emit")


@pytest.mark.parametrize("module", sorted((REPO / "compiler/load").glob("*.py")), ids=lambda p: p.name)
def test_the_loader_imports_no_later_stage(module: Path) -> None:
    imported = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not {m for m in imported if m.startswith(LATER_STAGES)}
