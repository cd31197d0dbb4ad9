"""``relc compile --check``: what CI runs. Exit 1 listing stale, missing and extra files (RLC803), write nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.compile.util import compile_fleet, snapshot


def test_check_lists_stale_missing_and_extra_files(example_fleet: Path) -> None:
    assert compile_fleet(example_fleet).exit_code == 0
    rendered = example_fleet / "rendered"
    stale = rendered / "instances" / "arematics-prod" / "platform" / "shared.yaml"
    stale.write_text(stale.read_text().replace("default-deny-ingress", "allow-everything"))
    missing = rendered / "argocd" / "relc.yaml"
    missing.unlink()
    (rendered / "extra.yaml").write_text("---\n{}\n")
    before = snapshot(rendered)

    result = compile_fleet(example_fleet, "--check")

    assert result.exit_code == 1
    found = set(re.findall(r"^(\S+?):(?:\d+:\d+:)? error RLC803", result.stdout, re.MULTILINE))
    assert found == {
        "rendered/instances/arematics-prod/platform/shared.yaml",
        "rendered/argocd/relc.yaml",
        "rendered/extra.yaml",
    }
    line = stale.read_text().splitlines().index("  name: allow-everything") + 1
    assert f"rendered/instances/arematics-prod/platform/shared.yaml:{line}:1: error RLC803" in result.stdout
    assert "-  name: allow-everything" in result.stderr and "+  name: default-deny-ingress" in result.stderr
    assert snapshot(rendered) == before  # --check writes nothing


def test_check_on_a_never_compiled_fleet_lists_everything_missing(example_fleet: Path) -> None:
    result = compile_fleet(example_fleet, "--check")
    assert result.exit_code == 1
    assert "missing: the inputs compile to this file" in result.stdout
    assert not (example_fleet / "rendered").exists()


def test_check_passes_after_compile_and_out_is_respected(example_fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    assert compile_fleet(example_fleet, "--out", str(out)).exit_code == 0
    assert not (example_fleet / "rendered").exists()
    result = compile_fleet(example_fleet, "--out", str(out), "--check")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.stdout


def test_check_format_github_annotates_each_stale_file_at_its_first_differing_line(example_fleet: Path) -> None:
    assert compile_fleet(example_fleet).exit_code == 0
    rendered = example_fleet / "rendered"
    stale = rendered / "instances" / "arematics-prod" / "platform" / "shared.yaml"
    stale.write_text(stale.read_text().replace("default-deny-ingress", "allow-everything"))
    (rendered / "argocd" / "relc.yaml").unlink()
    before = snapshot(rendered)

    result = compile_fleet(example_fleet, "--check", "--format", "github")

    assert result.exit_code == 1
    line = stale.read_text().splitlines().index("  name: allow-everything") + 1
    hint = "hint: run 'relc compile' and commit rendered/ (make golden)"
    assert result.stdout.splitlines() == [
        "::error file=rendered/argocd/relc.yaml,title=RLC803 stale-output::missing: the inputs compile to this file"
        f"%0A{hint}",
        f"::error file=rendered/instances/arematics-prod/platform/shared.yaml,line={line},col=1,"
        f"title=RLC803 stale-output::stale: differs from what the inputs compile to%0A{hint}",
    ]
    assert snapshot(rendered) == before


def test_check_format_json_is_one_report_on_stdout_even_when_up_to_date(example_fleet: Path) -> None:
    assert compile_fleet(example_fleet).exit_code == 0
    result = compile_fleet(example_fleet, "--check", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"diagnostics": [], "summary": {"errors": 0, "warnings": 0}}
    assert result.stderr == "rendered/ is up to date (160 files)\n"

    (example_fleet / "rendered" / "extra.yaml").write_text("{}\n")
    result = compile_fleet(example_fleet, "--check", "--format", "json")
    assert result.exit_code == 1
    assert [(d["file"], d["code"], d["message"]) for d in json.loads(result.stdout)["diagnostics"]] == [
        ("rendered/extra.yaml", "RLC803", "extra: the inputs no longer produce this file")
    ]


def test_compile_format_github_annotates_an_invalid_fleet_and_writes_nothing(example_fleet: Path) -> None:
    tenant = example_fleet / "tenants" / "arematics-prod" / "xyz.yaml"
    tenant.write_text(tenant.read_text().replace("countries: [de]", "countries: [DE]"))

    result = compile_fleet(example_fleet, "--check", "--format", "github")

    assert result.exit_code == 1
    assert result.stdout.startswith(
        "::error file=tenants/arematics-prod/xyz.yaml,line=15,col=19,title=RLC503 invalid-country::"
    ), result.stdout
    assert not (example_fleet / "rendered").exists()
