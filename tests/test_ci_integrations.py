"""What fleet repositories run relc with in CI: the pre-commit hooks and the example GitHub Actions workflow.

Both are text that names relc command lines; a renamed option would break every fleet that copied them without
any test of relc's noticing. So each command line is taken from the file as written, parsed by relc's own click
CLI, and (where the command exists on this branch) run through click's runner on the compiled example fleet.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

from compiler.cli import main
from tests.conftest import REPO, TODAY

HOOKS = REPO / ".pre-commit-hooks.yaml"
WORKFLOW = REPO / "examples" / "github" / "relc.yml"
PLANNED = {"plan"}
"""Commands the workflow uses that issue 11 adds on another branch: parsed once they exist, never run here."""


def _parse(argv: list[str]) -> click.Command:
    """Parse ``relc <argv>`` as the console script would, without running it; the subcommand."""
    name, *rest = argv
    command = main.get_command(click.Context(main, info_name="relc"), name)
    assert command is not None, f"relc has no command {name!r}"
    command.make_context(name, rest, parent=click.Context(main, info_name="relc")).close()
    return command


@pytest.fixture
def compiled_fleet(example_fleet: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example fleet with its rendered/, as the current folder (hooks and workflow steps run at the top)."""
    result = CliRunner().invoke(main, ["compile", "--root", str(example_fleet), "--today", TODAY])
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(example_fleet)
    return example_fleet


# --- .pre-commit-hooks.yaml ---------------------------------------------------------------------------------------


def _hooks() -> list[dict[str, Any]]:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and hooks
    return hooks


def test_every_hook_is_a_whole_fleet_python_hook_on_the_fleet_folders() -> None:
    hooks = _hooks()
    assert [h["id"] for h in hooks] == ["relc-validate", "relc-compile-check", "relc-validate-rendered"]
    for hook in hooks:
        assert {"id", "name", "entry", "language", "files"} <= set(hook)
        assert (hook["language"], hook["pass_filenames"]) == ("python", False), hook["id"]
    files = {h["id"]: re.compile(h["files"]) for h in hooks}
    for path in ("tenants/arematics-prod/xyz.yaml", "blueprints/components/entity/2.3.0.yaml", "relc.yaml"):
        assert files["relc-validate"].search(path) and files["relc-compile-check"].search(path), path
    assert files["relc-compile-check"].search("rendered/registry/service_versions.json")
    assert files["relc-validate-rendered"].search("rendered/argocd/relc.yaml")
    for path in ("README.md", "docs/tenants/notes.yaml", "src/relc.yaml", "my-tenants/a.yaml"):
        assert not any(pattern.search(path) for pattern in files.values()), path


def test_every_hook_entry_is_a_relc_command_line_that_passes_on_the_example_fleet(compiled_fleet: Path) -> None:
    for hook in _hooks():
        program, *argv = shlex.split(hook["entry"])
        assert program == "relc", hook["entry"]
        _parse(argv)
        # pre-commit appends a hook's `args` to its entry: how a fleet pins the date its CI judges end of life by
        result = CliRunner().invoke(main, [*argv, *hook.get("args", []), "--today", TODAY])
        assert result.exit_code == 0, (hook["id"], result.output)


def test_the_compile_check_hook_fails_on_a_stale_rendered_folder(compiled_fleet: Path) -> None:
    (hook,) = [h for h in _hooks() if h["id"] == "relc-compile-check"]
    stale = compiled_fleet / "rendered" / "argocd" / "relc.yaml"
    stale.write_text(stale.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")
    result = CliRunner().invoke(main, [*shlex.split(hook["entry"])[1:], "--today", TODAY])
    assert result.exit_code == 1
    assert "rendered/argocd/relc.yaml:" in result.stdout and "error RLC803 stale-output" in result.stdout


# --- examples/github/relc.yml -------------------------------------------------------------------------------------


def _workflow() -> dict[Any, Any]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(workflow, dict)
    return workflow


def _steps() -> list[dict[str, Any]]:
    (job,) = _workflow()["jobs"].values()
    steps = job["steps"]
    assert isinstance(steps, list)
    return steps


_SHELL_VARIABLES = {"$GITHUB_BASE_REF": "main", "$RUNNER_TEMP": "/tmp/runner"}


def _relc_lines() -> list[list[str]]:
    """Every `relc …` command of the workflow's run steps, words as the shell splits them, redirections dropped."""
    found = []
    for step in _steps():
        script = re.sub(r"\\\n\s*", " ", step.get("run", ""))
        for line in script.splitlines():
            for name, value in _SHELL_VARIABLES.items():
                line = line.replace(name, value)
            words = shlex.split(line)
            if words[:1] == ["relc"]:
                cut = [i for i, w in enumerate(words) if w in {">", ">>", "|", "&&", "||"}]
                found.append(words[1 : cut[0]] if cut else words[1:])
    return found


def test_the_workflow_checks_the_fleet_and_comments_the_plan() -> None:
    workflow = _workflow()
    trigger = workflow["on"] if "on" in workflow else workflow[True]  # PyYAML reads YAML 1.1: the key `on` is true
    assert isinstance(trigger, dict)
    assert set(trigger) == {"pull_request"}
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    commands = [argv[0] for argv in _relc_lines()]
    assert commands == ["validate", "compile", "validate", "plan", "plan"]
    (comment,) = [s for s in _steps() if "github-script" in s.get("uses", "")]
    script = comment["with"]["script"]
    assert 'const marker = "<!-- relc-plan -->";' in script
    assert "updateComment" in script and "createComment" in script and "c.body?.startsWith(marker)" in script


def test_every_action_is_pinned_by_a_full_commit_sha_with_its_tag_in_a_comment() -> None:
    uses = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", WORKFLOW.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(uses) == len([s for s in _steps() if "uses" in s]) >= 3
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r" # v\d+(\.\d+)*", comment), (action, comment)


def test_every_relc_command_line_of_the_workflow_parses_and_the_checks_pass(compiled_fleet: Path) -> None:
    lines = _relc_lines()
    for argv in lines:
        if argv[0] in PLANNED and argv[0] not in main.commands:
            continue
        _parse(argv)
        if argv[0] in PLANNED:
            continue  # needs a git repository with a base branch: its own tests run it
        result = CliRunner().invoke(main, [*argv, "--today", TODAY])
        assert result.exit_code == 0, (argv, result.output)
        assert "::error" not in result.output


def test_a_mistyped_option_does_not_parse() -> None:
    """The parse above can fail: an option relc does not have is a usage error."""
    with pytest.raises(click.UsageError, match=r"No such option .--formt."):
        _parse(["compile", "--check", "--formt", "github"])
