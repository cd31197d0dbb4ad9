"""Positive and negative rendered/ examples (the check-jsonschema model), through `relc validate --rendered`.

Each negative case under examples/invalid/<case>/ holds a rendered/ tree and ``expect``: the exact diagnostics,
one ``file:line:code field`` per line; they run with ``--strict`` so warnings count. The embedded validator is
forced (``--kubeconform off``) so the result does not depend on what is installed on the machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.outcheck.conftest import EXAMPLES, VALID, copy_case, found, validate_rendered

CASES = sorted(p for p in (EXAMPLES / "invalid").iterdir() if p.is_dir())


def test_valid_rendered_tree_of_every_family_is_clean(tmp_path: Path) -> None:
    result = validate_rendered(copy_case(VALID, tmp_path / "fleet"), "--kubeconform", "off")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["diagnostics"] == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_case_reports_exactly_its_diagnostics(case: Path, tmp_path: Path) -> None:
    result = validate_rendered(copy_case(case, tmp_path / "fleet"), "--kubeconform", "off", "--strict")
    assert result.exit_code == 1, result.output
    expected = [line.strip() for line in (case / "expect").read_text().splitlines() if line.strip()]
    assert found(result) == expected
    for d in json.loads(result.output)["diagnostics"]:
        assert d["code"] == "RLC802" and d["message"] and d["hint"] and d["column"] >= 1, d


def test_text_and_github_formats_name_file_line_and_code(tmp_path: Path) -> None:
    root = copy_case(EXAMPLES / "invalid" / "job-wrong-type", tmp_path / "fleet")
    text = validate_rendered(root, "--kubeconform", "off", "--format", "text")
    where = "rendered/instances/eu/tenants/acme/migrate.yaml:14:17"
    assert f"{where}: error RLC802 rendered-schema [spec.backoffLimit]" in text.output
    github = validate_rendered(root, "--kubeconform", "off", "--format", "github")
    assert github.output.startswith(
        "::error file=rendered/instances/eu/tenants/acme/migrate.yaml,line=14,col=17,title=RLC802 rendered-schema::"
    )


def test_helm_templates_and_values_are_not_manifests(tmp_path: Path) -> None:
    """A templated file in templates/ and values.yaml are skipped; the same text outside a chart is checked."""
    root = copy_case(VALID, tmp_path / "fleet")
    templated = root / "rendered/instances/eu/shared/templates/extra.yaml"
    (root / "rendered/instances/eu/platform/extra.yaml").write_text(templated.read_text())
    result = validate_rendered(root, "--kubeconform", "off")
    assert result.exit_code == 1
    assert found(result) == ["rendered/instances/eu/platform/extra.yaml:4:RLC802"]


def test_missing_rendered_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = validate_rendered(tmp_path, "--kubeconform", "off")
    assert result.exit_code == 2
    assert "rendered folder" in result.output


def test_rendered_dir_option_points_anywhere(tmp_path: Path) -> None:
    root = copy_case(EXAMPLES / "invalid" / "no-schema-kind", tmp_path / "fleet")
    moved = (root / "rendered").rename(tmp_path / "out")
    result = validate_rendered(tmp_path / "elsewhere", "--rendered-dir", str(moved), "--kubeconform", "off")
    assert result.exit_code == 1
    assert found(result) == [f"{moved.as_posix()}/instances/eu/platform/monitor.yaml:2:RLC802 kind"]


def test_chart_name_not_matching_its_folder_is_a_warning(tmp_path: Path) -> None:
    """Helm 3 accepts it (only Helm 2's linter refused it): reported, but the run passes without --strict."""
    result = validate_rendered(
        copy_case(EXAMPLES / "invalid" / "chart-name-not-folder", tmp_path / "f"), "--kubeconform", "off"
    )
    assert result.exit_code == 0, result.output
    [warning] = json.loads(result.output)["diagnostics"]
    assert (warning["severity"], warning["field"], warning["line"]) == ("warning", "name", 2)
