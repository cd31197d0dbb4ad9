"""``relc status`` through the CLI on the example fleet (fixed ``--today``): exact text, the JSON, the warnings
(deprecated, near and past end of life, drafts), the 100-column limit, and that it writes nothing."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from click.testing import CliRunner, Result

from compiler.cli import main
from compiler.model.kinds import CandidateStatus
from compiler.status.summary import Attention, CandidateRow, InstanceRow, State, Status, WarningKind
from compiler.status.table import WIDTH, cut, text

EXPECTED = """\
6 instances, 9 tenants, 7 candidates on 2031-02-01

  CANDIDATE                              STATE     TENANTS  END OF LIFE
arematics-prod: prod on prod, release arematics-2025-07, 2 tenants (2 Operators)
  platform-2025-05                       deployed        1  2031-06-30 (in 149 d)
  platform-2025-07                       deployed        1  -
arematics-qa: qa on qa, release arematics-2025-07, 1 tenant (1 Operator)
  platform-2025-05                       offered         0  2031-06-30 (in 149 d)
  platform-2025-07                       deployed        1  -
arematics-test: test on test, release arematics-2025-07, 1 tenant (1 Operator)
  platform-2025-05                       offered         0  2031-06-30 (in 149 d)
  platform-2025-07                       deployed        1  -
droneup-development: test on gke-dev, release droneup-2025-06, 1 tenant (1 Operator)
  q1-2025                                offered         0  -
  q2-2025                                deployed        1  -
  q4-2024                                offered         0  2031-03-31 (in 58 d)
  droneup-shared-infrastructure-2025-06  shared          1  -
  droneup-shared-services-2025-06        shared          1  -
droneup-production: prod on gke-prod, release droneup-2025-06, 3 tenants (1 Operator, 2 Agents)
  q1-2025                                deployed        1  -
  q2-2025                                deployed        1  -
  q4-2024                                deployed        1  2031-03-31 (in 58 d)
  droneup-shared-infrastructure-2025-06  shared          3  -
  droneup-shared-services-2025-06        shared          3  -
droneup-staging: qa on gke-prod, release droneup-2025-06, 1 tenant (1 Operator)
  q1-2025                                offered         0  -
  q2-2025                                deployed        1  -
  q4-2024                                offered         0  2031-03-31 (in 58 d)
  droneup-shared-infrastructure-2025-06  shared          1  -
  droneup-shared-services-2025-06        shared          1  -

2 warnings:
  arematics-prod: platform-2025-05 is deprecated since 2031-01-15, end of life 2031-06-30 (149 days
      left): 1 tenant (xyz) on it
  droneup-production: q4-2024 is deprecated since 2030-12-01, end of life 2031-03-31 (58 days left):
      1 tenant (cherokee-nation) on it
relc validate finds 0 errors and 2 warnings in the fleet
"""


def status(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["status", "--root", str(root), *args])


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_example_fleet_in_a_table(example_fleet: Path) -> None:
    before = snapshot(example_fleet)
    result = status(example_fleet, "--today", "2031-02-01")
    assert (result.exit_code, result.output) == (0, EXPECTED)
    assert max(len(line) for line in result.output.splitlines()) <= WIDTH
    assert snapshot(example_fleet) == before  # a status writes nothing


def test_no_warnings_today(example_fleet: Path) -> None:
    result = status(example_fleet, "--today", "2026-11-22")
    assert result.exit_code == 0
    assert result.output.endswith("\n\nno warnings (deprecations, ends of life within 90 days, drafts)\n")


def test_json_is_the_same_facts_for_tools(example_fleet: Path) -> None:
    result = status(example_fleet, "--today", "2031-02-01", "--format", "json")
    assert result.exit_code == 0
    found = json.loads(result.output)
    assert list(found) == ["today", "nearDays", "summary", "instances", "warnings"]
    assert found["summary"] == {
        "instances": 6,
        "tenants": 9,
        "candidates": 7,
        "warnings": 2,
        "diagnostics": {"errors": 0, "warnings": 2},
    }
    assert found["instances"][0] == {
        "name": "arematics-prod",
        "cluster": "prod",
        "environment": "prod",
        "globalRelease": "arematics-2025-07",
        "tenants": {"total": 2, "operators": 2, "agents": 0},
        "candidates": [
            {
                "name": "platform-2025-05",
                "blueprint": "arematics-platform",
                "status": "published",
                "state": "deployed",
                "tenants": 1,
                "notifyDate": "2031-01-15",
                "endOfLife": "2031-06-30",
                "daysLeft": 149,
            },
            {
                "name": "platform-2025-07",
                "blueprint": "arematics-platform",
                "status": "published",
                "state": "deployed",
                "tenants": 1,
                "notifyDate": None,
                "endOfLife": None,
                "daysLeft": None,
            },
        ],
    }
    assert [(i["name"], [(c["name"], c["state"], c["tenants"]) for c in i["candidates"]]) for i in found["instances"]][
        5
    ] == (
        "droneup-staging",
        [
            ("q1-2025", "offered", 0),
            ("q2-2025", "deployed", 1),
            ("q4-2024", "offered", 0),
            ("droneup-shared-infrastructure-2025-06", "shared", 1),
            ("droneup-shared-services-2025-06", "shared", 1),
        ],
    )
    assert found["warnings"][1] == {
        "kind": "deprecated",
        "instance": "droneup-production",
        "candidate": "q4-2024",
        "tenants": ["cherokee-nation"],
        "message": "q4-2024 is deprecated since 2030-12-01, end of life 2031-03-31 (58 days left):"
        " 1 tenant (cherokee-nation) on it",
    }


def _edit(path: Path, old: str, new: str) -> None:
    source = path.read_text(encoding="utf-8")
    assert old in source
    path.write_text(source.replace(old, new), encoding="utf-8")


def test_near_end_of_life_without_a_notify_date(example_fleet: Path) -> None:
    _edit(example_fleet / "releases/candidates/platform-2025-05.yaml", "    notifyDate: 2031-01-15\n", "")
    result = status(example_fleet, "--today", "2031-03-01", "--near-days", "121")
    assert result.exit_code == 0
    assert "  arematics-prod: platform-2025-05 reaches its end of life on 2031-06-30 (121 days left): 1 tenant" in (
        result.output
    )
    quiet = status(example_fleet, "--today", "2031-03-01", "--near-days", "120")
    assert "platform-2025-05 reaches" not in quiet.output


def test_past_end_of_life_is_shown_and_the_exit_code_says_the_fleet_is_invalid(example_fleet: Path) -> None:
    result = status(example_fleet, "--today", "2031-07-01")
    assert result.exit_code == 1
    assert "  arematics-prod: platform-2025-05 reached its end of life on 2031-06-30: 1 tenant (xyz) on it\n" in (
        result.output
    )
    assert "  platform-2025-05                       deployed        1  2031-06-30 (1 d ago)\n" in result.output
    assert result.output.endswith("relc validate finds 2 errors and 0 warnings in the fleet\n")


def test_a_draft_is_a_warning(example_fleet: Path) -> None:
    _edit(example_fleet / "releases/candidates/q1-2025.yaml", "status: published", "status: draft")
    result = status(example_fleet, "--today", "2026-11-22", "--format", "json")
    assert result.exit_code == 1  # a draft offered to a prod Instance is RLC604
    drafts = [w for w in json.loads(result.output)["warnings"] if w["kind"] == "draft"]
    assert [(w["instance"], w["tenants"], w["message"]) for w in drafts] == [
        ("droneup-development", [], "q1-2025 is a draft offered to this instance"),
        (
            "droneup-production",
            ["horizon-aerobotics"],
            "q1-2025 is a draft offered to this instance, 1 tenant (horizon-aerobotics) on it",
        ),
        ("droneup-staging", [], "q1-2025 is a draft offered to this instance"),
    ]
    table = status(example_fleet, "--today", "2026-11-22").output
    assert "  q1-2025                                deployed, draft  " in table


def test_an_invalid_root_is_a_usage_error(tmp_path: Path) -> None:
    result = status(tmp_path / "nowhere")
    assert result.exit_code == 2


def _long(n: int) -> str:
    return f"{'x' * 50}-{n:02d}-{'y' * 10}"


def test_long_names_are_cut_in_the_middle_and_every_line_fits() -> None:
    rows = tuple(
        CandidateRow(
            _long(n),
            "b",
            CandidateStatus.DRAFT,
            State.OFFERED,
            tuple(f"t{i}" for i in range(12_345)),
            date(2031, 1, 1),
            date(2031, 6, 30),
            -12_000,
        )
        for n in range(2)
    )
    instance = InstanceRow("i" * 63, "c" * 63, "prod", "r" * 63, 12_000, 345, rows)
    warnings = (Attention(WarningKind.PAST_END_OF_LIFE, "i" * 63, _long(0), (), "m " * 80),)
    shown = text(Status(date(2063, 1, 1), 90, (instance,), warnings, 12_345, 2, 0, 0))
    assert max(len(line) for line in shown.splitlines()) <= WIDTH
    assert re.search(r"^  x{23}…x{9}-00-y{10}  offered, draft   12,345  2031-06-30 \(12000 d ago\)$", shown, re.M)


def test_cut() -> None:
    assert cut("droneup-shared-infrastructure-2025-06", 21) == "droneup-sh…re-2025-06"
    assert cut("short", 5) == "short"
