"""`relc validate` output: the exact text of one diagnostic in each format, and the exit codes 0/1/2."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import REPO
from tests.load.cli import run

XYZ = "tenants/arematics-prod/xyz.yaml"
CANDIDATE = "releases/candidates/platform-2025-05.yaml"


def _upper_case_country(root: Path) -> None:
    path = root / XYZ
    path.write_text(path.read_text().replace("countries: [de]", "countries: [DE]"))


def test_text_format(base_fleet: Path) -> None:
    _upper_case_country(base_fleet)
    result = run(base_fleet, "--format", "text")
    assert result.exit_code == 1
    assert result.stdout == (
        "tenants/arematics-prod/xyz.yaml:15:19: error RLC503 invalid-country [spec.apps[0].countries[0]]: "
        "'DE' is not an ISO 3166-1 alpha-2 country code\n"
        "    hint: write 'de': countries are lower-case, as in the database name\n"
        "1 error(s), 0 warning(s) in 1 file(s)\n"
    )


def test_json_format(base_fleet: Path) -> None:
    _upper_case_country(base_fleet)
    result = run(base_fleet, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "diagnostics": [
            {
                "file": XYZ,
                "line": 15,
                "column": 19,
                "field": "spec.apps[0].countries[0]",
                "code": "RLC503",
                "severity": "error",
                "message": "'DE' is not an ISO 3166-1 alpha-2 country code",
                "hint": "write 'de': countries are lower-case, as in the database name",
            }
        ],
        "summary": {"errors": 1, "warnings": 0},
    }


def test_github_format(base_fleet: Path) -> None:
    _upper_case_country(base_fleet)
    result = run(base_fleet, "--format", "github")
    assert result.exit_code == 1
    assert result.stdout == (
        "::error file=tenants/arematics-prod/xyz.yaml,line=15,col=19,title=RLC503 invalid-country::"
        "spec.apps[0].countries[0]: 'DE' is not an ISO 3166-1 alpha-2 country code%0A"
        "hint: write 'de': countries are lower-case, as in the database name\n"
    )


def test_clean_fleet_exits_0(base_fleet: Path) -> None:
    result = run(base_fleet)
    assert (result.exit_code, result.stdout) == (0, "no problems found\n")


def test_example_fleet_validates_clean(example_fleet: Path) -> None:
    result = run(example_fleet, "--strict")
    assert (result.exit_code, result.stdout) == (0, "no problems found\n")


def test_warnings_fail_only_with_strict(base_fleet: Path) -> None:
    path = base_fleet / CANDIDATE
    path.write_text(path.read_text().replace("notifyDate: 2027-01-15", "notifyDate: 2026-11-01"))
    relaxed = run(base_fleet)
    assert relaxed.exit_code == 0
    assert "warning RLC603 candidate-deprecated" in relaxed.stdout
    assert run(base_fleet, "--strict").exit_code == 1


def test_today_decides_end_of_life(base_fleet: Path) -> None:
    """--today (the last one given wins) is the only clock the rules see; end of life is the last supported day."""
    late = run(base_fleet, "--today", "2027-07-01")
    assert late.exit_code == 1
    assert "tenants/arematics-prod/xyz.yaml:10:21: error RLC602 candidate-end-of-life" in late.stdout
    on_the_day = run(base_fleet, "--today", "2027-06-30")
    assert "RLC602" not in on_the_day.stdout
    assert "warning RLC603" in on_the_day.stdout


def test_missing_root_folder_exits_2(tmp_path: Path) -> None:
    result = run(tmp_path / "nowhere")
    assert result.exit_code == 2
    assert f"relc: error: fleet folder '{tmp_path / 'nowhere'}' does not exist" in result.stderr


def test_root_without_fleet_folders_exits_2(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.exit_code == 2
    assert "holds none of blueprints/, releases/, instances/, tenants/" in result.stderr


def test_bad_option_exits_2(base_fleet: Path) -> None:
    result = run(base_fleet, "--format", "xml")
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr


def _readme_samples() -> list[str]:
    """The three fenced samples after '**Output formats.**' in the README's validate section, in order."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("**Output formats.**") : text.index("<!-- validate:end -->")]
    return re.findall(r"```(?:text|json)\n(.*?)```", section, flags=re.DOTALL)[:3]


def test_readme_samples_are_what_relc_prints(base_fleet: Path) -> None:
    _upper_case_country(base_fleet)
    printed = [run(base_fleet, "--format", fmt).stdout for fmt in ("text", "json", "github")]
    assert _readme_samples() == printed
