"""``relc plan`` and ``relc validate --base`` through the CLI, on real git repositories holding the example fleet.

Each test commits the fleet (with its compiled rendered/ and migrations/), changes the working tree the way a
pull request would, and runs the command: the plan must say what changes, and nothing on disk may change.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import git
import pytest
from click.testing import CliRunner, Result

from compiler.cli import main
from tests.compile.util import digest
from tests.conftest import TODAY, commit_all, committed_example_fleet

GOLDEN = Path(__file__).parent / "golden"
XYZ = "tenants/arematics-prod/xyz.yaml"
ACME = "tenants/arematics-prod/acme.yaml"
HORIZON = "tenants/droneup-production/horizon-aerobotics.yaml"


@pytest.fixture
def fleet_repo(tmp_path: Path) -> Path:
    """The repository's example fleet, compiled output and migrations included, committed on branch main."""
    return committed_example_fleet(tmp_path / "fleet")


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--root", str(root), "--today", TODAY, "--jobs", "1"])


def pin(root: Path, tenant: str, before: str, after: str) -> None:
    path = root / tenant
    text = path.read_text(encoding="utf-8")
    assert f"releaseCandidate: {before}\n" in text
    path.write_text(text.replace(f"releaseCandidate: {before}\n", f"releaseCandidate: {after}\n"), encoding="utf-8")


def keep_warm(root: Path, instance: str, candidate: str) -> None:
    """Add ``candidate`` to the Instance's warmCandidates: the first step of a two-step retirement (RLC906)."""
    path = root / "instances" / f"{instance}.yaml"
    text = path.read_text(encoding="utf-8")
    assert "warmCandidates" not in text
    path.write_text(text + f"  warmCandidates: [{candidate}]\n", encoding="utf-8")


def github_annotations(root: Path) -> tuple[str, list[str]]:
    """The output of a passing ``relc plan --format github`` and its workflow-command lines."""
    result = run(root, "plan", "--base", "HEAD", "--format", "github")
    assert result.exit_code == 0, result.output
    return result.output, [line for line in result.output.splitlines() if line.startswith("::")]


def tree(root: Path) -> dict[str, bytes]:
    """Every file outside .git, with its bytes: what a command must leave as it was."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_the_markdown_plan_of_the_example_fleets_pin_moves_is_golden(fleet_repo: Path) -> None:
    pin(fleet_repo, XYZ, "platform-2025-05", "platform-2025-07")
    pin(fleet_repo, HORIZON, "q1-2025", "q2-2025")
    keep_warm(fleet_repo, "arematics-prod", "platform-2025-05")
    keep_warm(fleet_repo, "droneup-production", "q1-2025")
    before = tree(fleet_repo)
    result = run(fleet_repo, "plan", "--base", "HEAD", "--format", "markdown")
    assert result.exit_code == 0, result.output
    commit = git.Repo(fleet_repo).head.commit.hexsha[:12]
    expected = (GOLDEN / "pin-moves.md").read_text(encoding="utf-8").replace("{commit}", commit)
    assert result.output == expected
    assert tree(fleet_repo) == before


def test_the_plan_counts_exactly_the_files_compile_then_changes(fleet_repo: Path) -> None:
    pin(fleet_repo, XYZ, "platform-2025-05", "platform-2025-07")
    keep_warm(fleet_repo, "arematics-prod", "platform-2025-05")
    plan = run(fleet_repo, "plan", "--base", "HEAD", "--format", "json")
    assert plan.exit_code == 0, plan.output
    assert run(fleet_repo, "compile").exit_code == 0
    changed = git.Repo(fleet_repo).git.status("--porcelain", "--", "rendered").splitlines()
    assert json.loads(plan.output)["renderedFilesChanged"] == len(changed) == 9


def test_the_default_base_is_the_merge_base_with_main(fleet_repo: Path) -> None:
    repo = git.Repo(fleet_repo)
    repo.git.checkout("-b", "move-xyz")
    pin(fleet_repo, XYZ, "platform-2025-05", "platform-2025-07")
    keep_warm(fleet_repo, "arematics-prod", "platform-2025-05")
    commit_all(fleet_repo, "move xyz")
    result = run(fleet_repo, "plan", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["base"] == {"commit": repo.commit("main").hexsha, "description": "the merge base of HEAD and main"}
    (instance,) = out["instances"]
    assert [(m["tenant"], m["from"], m["to"]) for m in instance["moved"]] == [
        ("xyz", "platform-2025-05", "platform-2025-07")
    ]


def test_a_downgrade_is_refused_unless_the_tenant_names_the_candidate(fleet_repo: Path) -> None:
    rollback = "CREATE TABLE auth.devices (id bigint);\n-- ROLLBACK:\nDROP TABLE auth.devices;\n"
    (fleet_repo / "migrations/auth/V1.3.0__01_add_devices.sql").write_text(rollback, encoding="utf-8")
    commit_all(fleet_repo, "auth 1.3.0 migrations")
    pin(fleet_repo, ACME, "platform-2025-07", "platform-2025-05")
    keep_warm(fleet_repo, "arematics-prod", "platform-2025-07")
    before = tree(fleet_repo)

    refused = run(fleet_repo, "plan", "--base", "HEAD")
    assert refused.exit_code == 1
    assert (
        "tenants/arematics-prod/acme.yaml:10:21: error RLC903 downgrade [spec.releaseCandidate]: moving tenant 'acme' "
        "from 'platform-2025-07' to 'platform-2025-05' downgrades auth 1.4.0 → 1.2.0, entity 2.3.0 → 2.0.0\n"
    ) in refused.output
    assert run(fleet_repo, "validate", "--base", "HEAD").exit_code == 1
    assert tree(fleet_repo) == before

    acme = fleet_repo / ACME
    acme.write_text(
        acme.read_text().replace(
            "  name: acme\n", "  name: acme\n  annotations:\n    relc.dev/allow-downgrade: platform-2025-05\n"
        )
    )
    allowed = run(fleet_repo, "plan", "--base", "HEAD", "--format", "json")
    assert allowed.exit_code == 0, allowed.output
    (moved,) = json.loads(allowed.output)["instances"][0]["moved"]
    auth = moved["services"][0]
    assert (moved["downgradeAllowed"], auth["service"], auth["downgrade"]) == (True, "auth", True)
    assert auth["migrations"] == [
        {
            "file": "migrations/auth/V1.3.0__01_add_devices.sql",
            "version": "1.3.0",
            "destructive": False,
            "rollback": True,
        }
    ]
    assert run(fleet_repo, "validate", "--base", "HEAD").exit_code == 0


def test_github_format_annotates_the_risky_lines(fleet_repo: Path) -> None:
    keep_warm(fleet_repo, "arematics-prod", "platform-2025-07")
    acme = fleet_repo / ACME
    acme.write_text(
        acme.read_text()
        .replace("releaseCandidate: platform-2025-07", "releaseCandidate: platform-2025-05")
        .replace("  name: acme\n", "  name: acme\n  annotations:\n    relc.dev/allow-downgrade: platform-2025-05\n")
    )
    assert github_annotations(fleet_repo)[1] == [
        "::warning file=tenants/arematics-prod/acme.yaml,line=12,title=relc plan downgrade::acme: auth 1.4.0 → 1.2.0 "
        "runs the ROLLBACK sections of 0 file(s)",
        "::warning file=tenants/arematics-prod/acme.yaml,line=12,title=relc plan downgrade::acme: entity 2.3.0 → 2.0.0 "
        "runs the ROLLBACK sections of 0 file(s)",
    ]


def test_github_format_annotates_destructive_migrations_and_candidates_still_warm_elsewhere(fleet_repo: Path) -> None:
    auth = fleet_repo / "blueprints/components/auth/1.4.0.yaml"
    auth.write_text(auth.read_text() + "  migrations:\n    destructive: true\n")
    sql = "ALTER TABLE auth.users DROP COLUMN legacy;\n-- ROLLBACK:\nALTER TABLE auth.users ADD COLUMN legacy text;\n"
    (fleet_repo / "migrations/auth/V1.4.0__01_drop_legacy.sql").write_text(sql)
    qa = fleet_repo / "instances/arematics-qa.yaml"
    qa.write_text(
        qa.read_text().replace(
            '  imageTagSuffix: "-qa"\n', '  imageTagSuffix: "-qa"\n  warmCandidates: [platform-2025-05]\n'
        )
    )
    commit_all(fleet_repo, "auth 1.4.0 is destructive; qa keeps platform-2025-05 warm")
    pin(fleet_repo, XYZ, "platform-2025-05", "platform-2025-07")
    keep_warm(fleet_repo, "arematics-prod", "platform-2025-05")  # two-step retirement (RLC906)

    output, annotations = github_annotations(fleet_repo)

    assert annotations == [
        "::warning file=tenants/arematics-prod/xyz.yaml,line=10,title=relc plan destructive migration::xyz: auth 1.4.0 "
        "runs a destructive migration (migrations/auth/V1.4.0__01_drop_legacy.sql)",
    ]
    assert "      migrations/auth/V1.4.0__01_drop_legacy.sql [destructive]\n" in output

    commit_all(fleet_repo, "xyz moved; platform-2025-05 kept warm")
    prod = fleet_repo / "instances/arematics-prod.yaml"
    prod.write_text(prod.read_text().replace("  warmCandidates: [platform-2025-05]\n", ""))

    output, annotations = github_annotations(fleet_repo)

    assert annotations == [
        "::warning title=relc plan undeployed candidate::platform-2025-05 is undeployed in arematics-prod but still "
        "warm in arematics-qa",
    ]


def test_validate_base_refuses_rendered(fleet_repo: Path) -> None:
    result = run(fleet_repo, "validate", "--rendered", "--base", "HEAD")
    assert result.exit_code == 2
    assert result.output == (
        "relc: error: --base judges a change to the fleet, --rendered checks the output: give one of them\n"
        "  hint: run relc validate --base REF and relc validate --rendered as two steps\n"
    )


def test_added_and_removed_tenants_say_what_is_provisioned_and_dropped(fleet_repo: Path) -> None:
    text = (fleet_repo / ACME).read_text()
    (fleet_repo / "tenants/arematics-prod/globex.yaml").write_text(text.replace("name: acme", "name: globex"))
    tombstone = fleet_repo / XYZ
    tombstone.write_text(
        tombstone.read_text().replace(
            "  releaseCandidate: platform-2025-05\n", "  releaseCandidate: platform-2025-05\n  removed: true\n"
        )
    )
    result = run(fleet_repo, "plan", "--base", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    (instance,) = json.loads(result.output)["instances"]
    assert instance["added"] == [
        {
            "tenant": "globex",
            "at": {"file": "tenants/arematics-prod/globex.yaml", "line": 10},
            "candidate": "platform-2025-07",
            "databases": ["tenant_globex"],
            "schemas": ["auth", "entity", "payments", "payments-billing"],
        }
    ]
    (removed,) = instance["removed"]
    assert (removed["tenant"], removed["deletionMode"], removed["gracePeriod"]) == ("xyz", "retained", "30d")
    assert instance["candidates"] == {
        "deployed": [],
        "undeployed": [{"candidate": "platform-2025-05", "warmElsewhere": []}],
        "retired": [],
    }


def test_markdown_folds_long_lists_and_names_retired_candidates(fleet_repo: Path) -> None:
    text = (fleet_repo / ACME).read_text()
    for n in range(11):
        (fleet_repo / f"tenants/arematics-prod/t{n:02d}.yaml").write_text(text.replace("name: acme", f"name: t{n:02d}"))
    pin(fleet_repo, XYZ, "platform-2025-05", "platform-2025-07")
    keep_warm(fleet_repo, "arematics-prod", "platform-2025-05")
    candidate = fleet_repo / "releases/candidates/platform-2025-05.yaml"
    candidate.write_text(candidate.read_text().replace("status: published", "status: retired"))

    result = run(fleet_repo, "plan", "--base", "HEAD", "--format", "markdown")

    assert result.exit_code == 0, result.output
    assert "<details><summary>Tenants added (11)</summary>\n\n- t00 on platform-2025-07: provisions" in result.output
    assert "**Candidates retired**\n\n- platform-2025-05\n" in result.output
    assert result.output.count("</details>") == 1


def test_usage_errors_exit_2_and_say_what_to_pass(tmp_path: Path, fleet_repo: Path) -> None:
    unknown = run(fleet_repo, "plan", "--base", "no-such-branch")
    assert unknown.exit_code == 2
    assert f"git ref 'no-such-branch' does not name a commit in {fleet_repo}" in unknown.output

    plain = tmp_path / "plain"
    shutil.copytree(fleet_repo, plain, ignore=shutil.ignore_patterns(".git"))
    outside = run(plain, "plan")
    assert outside.exit_code == 2
    assert f"relc: error: '{plain}' is not inside a git repository" in outside.output

    git.Repo(fleet_repo).git.branch("-m", "main", "trunk")
    nobase = run(fleet_repo, "plan")
    assert nobase.exit_code == 2
    assert (
        f"relc: error: no base to compare with: neither origin/main nor main exists in {fleet_repo}\n" in nobase.output
    )


def test_a_settings_change_is_planned_over_every_instance(fleet_repo: Path) -> None:
    settings = fleet_repo / "relc.yaml"
    settings.write_text(settings.read_text().replace("gatewayName: relc", "gatewayName: edge"))
    plan = run(fleet_repo, "plan", "--base", "HEAD", "--format", "json")
    assert plan.exit_code == 0, plan.output
    assert run(fleet_repo, "compile").exit_code == 0
    changed = git.Repo(fleet_repo).git.status("--porcelain", "--", "rendered").splitlines()
    assert json.loads(plan.output)["renderedFilesChanged"] == len(changed) > 0


def test_a_base_that_does_not_validate_is_planned_without_comparing_files(fleet_repo: Path) -> None:
    pin(fleet_repo, XYZ, "platform-2025-05", "platform-2099-01")
    commit_all(fleet_repo, "a broken pin on main")
    pin(fleet_repo, XYZ, "platform-2099-01", "platform-2025-07")
    result = run(fleet_repo, "plan", "--base", "HEAD")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].endswith(
        "1 tenant(s) moved, 0 added, 0 removed in 1 instance(s); 0 migration file(s) (0 destructive), "
        "0 downgrade(s); rendered files not compared (the base is invalid); policies pass"
    )


def test_an_unchanged_tree_plans_nothing(fleet_repo: Path) -> None:
    rendered = digest(fleet_repo / "rendered")
    result = run(fleet_repo, "plan", "--base", "HEAD")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].endswith(
        "0 tenant(s) moved, 0 added, 0 removed in 0 instance(s); 0 migration file(s) (0 destructive), "
        "0 downgrade(s); 0 rendered file(s) change; policies pass"
    )
    assert digest(fleet_repo / "rendered") == rendered
