"""``relc report`` through the CLI: the Markdown and JSON goldens of the example fleet, --status, refusals.

The goldens are the example fleet's report on a fixed --today; when a change to the report is intended, write
them again with ``relc report --format markdown|json --today 2026-11-22 --out DIR`` and review the diff.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import compiler.cli
from tests.conftest import TODAY
from tests.report.conftest import run_report, snapshot

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(("fmt", "name"), [("markdown", "report.md"), ("json", "report.json")])
def test_example_fleet_report_matches_its_golden(example_fleet: Path, tmp_path: Path, fmt: str, name: str) -> None:
    out = tmp_path / "report"
    result = run_report(example_fleet, out, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote the {fmt} report into {out}/: 2 added, 0 changed, 0 removed\n"
    assert sorted(snapshot(out)) == ["RELC-OUTPUT.md", name]
    assert (out / name).read_text(encoding="utf-8") == (GOLDEN / name).read_text(encoding="utf-8")


class _Clock(date):
    """A clock before the example fleet's end-of-life dates (the suite's reads 2100: past all of them)."""

    @classmethod
    def today(cls) -> _Clock:
        return cls(2026, 11, 22)


def test_without_today_nothing_depends_on_the_date(
    example_fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiler.cli, "date", _Clock)  # validation still checks end of life against the clock
    result = run_report(example_fleet, tmp_path / "r", "--format", "json", today=None)
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["today"] is None
    assert {c["deprecation"]["days_left"] for c in data["candidates"] if c["deprecation"]} == {None}
    assert {u["retired"] for i in data["instances"] for u in i["candidates"]} == {None}


def test_json_report_answers_who_is_behind_and_what_blocks_a_retirement(example_fleet: Path, tmp_path: Path) -> None:
    assert run_report(example_fleet, tmp_path / "r", "--format", "json").exit_code == 0
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert (data["apiVersion"], data["kind"], data["version"]) == ("relc.dev/v1alpha1", "FleetReport", 1)
    tenants = {(t["instance"], t["name"]): t for t in data["tenants"]}
    cherokee = tenants["droneup-production", "cherokee-nation"]
    assert cherokee["candidate"] == "q4-2024"
    assert cherokee["behind"] == {
        "hubops-frontend": 1,
        "mission-service": 2,
        "uncrew-frontend": 0,
        "utm-mission-service": 2,
    }
    production = next(i for i in data["instances"] if i["name"] == "droneup-production")
    q4 = next(u for u in production["candidates"] if u["name"] == "q4-2024")
    assert (q4["offered"], q4["deployed"], q4["tenants"], q4["blockers"]) == (True, True, 1, ["cherokee-nation"])
    order = [t["name"] for t in data["tenants"] if t["instance"] == "droneup-production"]
    assert order == ["droneup", "cherokee-nation", "horizon-aerobotics"]  # the Operator before its Agents


STATUS = [
    {"database": "tenant_droneup", "provisioned": False, "schemas": []},
    {
        "database": "tenant_cherokee_nation",
        "provisioned": True,
        "schemas": [
            {
                "schema": "mission-service",
                "service": "mission-service",
                "current_version": "1.2.3",
                "desired_version": "1.2.3",
                "status": "complete",
                "reason": None,
                "last_migrated_at": "2026-11-01T10:00:00Z",
                "retention_expires_at": None,
            },
            {
                "schema": "utm-mission-service",
                "service": "utm-mission-service",
                "current_version": "3.0.3",
                "desired_version": "3.0.4",
                "status": "failed",
                "reason": "V3_0_4 failed: relation missing",
                "last_migrated_at": None,
                "retention_expires_at": None,
            },
        ],
    },
]


def test_status_shows_actual_versions_and_failed_migrations(example_fleet: Path, tmp_path: Path) -> None:
    status = tmp_path / "status.json"
    status.write_text(json.dumps(STATUS))
    result = run_report(example_fleet, tmp_path / "r", "--format", "json", "--status", f"droneup-production={status}")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    tenants = {(t["instance"], t["name"]): t for t in data["tenants"]}
    cherokee = tenants["droneup-production", "cherokee-nation"]
    assert [(s["schema"], s["pinned"], s["actual"], s["status"], s["reason"]) for s in cherokee["schemas"]] == [
        ("mission-service", "1.2.3", "1.2.3", "complete", None),
        ("utm-mission-service", "3.0.4", "3.0.3", "failed", "V3_0_4 failed: relation missing"),
    ]
    assert cherokee["trouble"] == 1
    assert {s["status"] for s in tenants["droneup-production", "droneup"]["schemas"]} == {"missing"}
    assert tenants["droneup-staging", "droneup"]["schemas"] == []  # another Instance: no status file about it


@pytest.mark.parametrize(
    ("text", "where", "field", "message"),
    [
        ('[{"database": "tenant_a", "provisioned": true}', "1:47", "", "not JSON: Expecting ',' delimiter"),
        ('{"database": "tenant_a"}', "1:1", "", "expected a list of databases, found an object"),
        (
            '[\n  {"database": "tenant_a", "provisioned": "yes", "schemas": []}\n]',
            "2:43",
            " [[0].provisioned]",
            "'provisioned' must be a bool, found a string",
        ),
        (
            '[{"database": "tenant_a", "provisioned": true, "schemas": [\n'
            '  {"schema": "s", "service": "s", "current_version": null, "desired_version": null,\n'
            '   "status": "done", "reason": null, "last_migrated_at": null, "retention_expires_at": null}]}]',
            "3:14",
            " [[0].schemas[0].status]",
            "status 'done' is not one of pending, migrating, complete, failed, blocked",
        ),
    ],
)
def test_a_bad_status_file_is_rlc804_and_writes_nothing(
    example_fleet: Path, tmp_path: Path, text: str, where: str, field: str, message: str
) -> None:
    status = tmp_path / "status.json"
    status.write_text(text)
    before = snapshot(example_fleet)
    result = run_report(example_fleet, tmp_path / "r", "--status", str(status))
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first == f"{status}:{where}: error RLC804 status-file{field}: not a relc-migrate status file: {message}"
    assert not (tmp_path / "r").exists()
    assert snapshot(example_fleet) == before


def test_status_naming_an_unknown_instance_is_a_usage_error(example_fleet: Path, tmp_path: Path) -> None:
    status = tmp_path / "status.json"
    status.write_text("[]")
    result = run_report(example_fleet, tmp_path / "r", "--status", f"droneup-prod={status}")
    assert result.exit_code == 2
    assert result.output == (
        "relc: error: --status: Instance 'droneup-prod' does not exist\n  hint: did you mean 'droneup-production'?\n"
    )
    assert not (tmp_path / "r").exists()


def test_report_refuses_the_rendered_folder_and_the_inputs(example_fleet: Path, tmp_path: Path) -> None:
    (example_fleet / "rendered").mkdir()
    (example_fleet / "rendered" / "RELC-OUTPUT.md").write_bytes(
        b"<!-- relc-output: written by relc compile, which owns this folder. -->\n"
    )
    before = snapshot(example_fleet)
    result = run_report(example_fleet, example_fleet / "rendered")
    assert result.exit_code == 2
    assert result.output == (
        f"relc: error: output folder '{example_fleet / 'rendered'}' is where relc compile writes: the report would"
        " replace rendered/\n  hint: pass --out a folder of its own, such as report/\n"
    )
    result = run_report(example_fleet, example_fleet / "tenants")
    assert result.exit_code == 2
    assert result.output == (
        f"relc: error: output folder '{example_fleet / 'tenants'}' is the fleet's input tenants/: writing the report"
        " would replace it\n  hint: change --out to a folder of its own outside the fleet's inputs, such as report/\n"
    )
    assert snapshot(example_fleet) == before


def test_report_refuses_a_folder_of_someone_elses_files(example_fleet: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("mine")
    result = run_report(example_fleet, notes)
    assert result.exit_code == 2
    assert result.output == (
        f"relc: error: output folder '{notes}' holds files relc did not write (todo.txt) and no RELC-OUTPUT.md of"
        " relc's\n  hint: writing the report replaces the whole folder, deleting them: move them away, or change"
        " --out to an empty or new folder\n"
    )
    assert snapshot(notes) == {"todo.txt": b"mine"}


def test_an_invalid_fleet_prints_its_diagnostics_and_writes_nothing(example_fleet: Path, tmp_path: Path) -> None:
    tenant = example_fleet / "tenants" / "droneup-production" / "cherokee-nation.yaml"
    tenant.write_text(tenant.read_text().replace("releaseCandidate: q4-2024", "releaseCandidate: q9-2099"))
    result = run_report(example_fleet, tmp_path / "r")
    assert result.exit_code == 1
    assert "tenants/droneup-production/cherokee-nation.yaml:" in result.output
    assert not (tmp_path / "r").exists()


def test_a_second_report_replaces_the_first(example_fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert run_report(example_fleet, out).exit_code == 0
    result = run_report(example_fleet, out, "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert sorted(snapshot(out)) == ["RELC-OUTPUT.md", "report.md"]
    assert TODAY in (out / "report.md").read_text()
