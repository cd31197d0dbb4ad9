"""``relc pin`` through the CLI on a real git repository: one changed line per tenant, or nothing at all."""

from __future__ import annotations

import json
import os
import stat

from tests.edit.conftest import FleetRepo

HORIZON = "tenants/droneup-production/horizon-aerobotics.yaml"
CHEROKEE = "tenants/droneup-production/cherokee-nation.yaml"


def test_pin_changes_exactly_one_line_per_tenant(fleet: FleetRepo) -> None:
    result = fleet.relc("pin", "horizon-aerobotics", "cherokee-nation", "--to", "q2-2025")

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{HORIZON}:11: droneup-production/horizon-aerobotics: q1-2025 -> q2-2025\n"
        f"{CHEROKEE}:11: droneup-production/cherokee-nation: q4-2024 -> q2-2025\n"
        f"wrote {HORIZON}\n"
        f"wrote {CHEROKEE}\n"
    )
    assert fleet.diff_lines() == [
        "-  releaseCandidate: q4-2024",
        "+  releaseCandidate: q2-2025",
        "-  releaseCandidate: q1-2025",
        "+  releaseCandidate: q2-2025",
    ]
    assert fleet.status() == f" M {CHEROKEE}\n M {HORIZON}"
    assert fleet.relc("validate").exit_code == 0


def test_comments_quoting_line_endings_mode_and_bom_stay(fleet: FleetRepo) -> None:
    """A hand-written file: CRLF endings, a byte-order mark, comments, a quoted pin, flow style, odd indentation,
    no final newline, group-writable. The diff is still the one line, and only the value inside the quotes."""
    path = fleet.root / HORIZON
    text = (
        "\ufeff# yaml-language-server: $schema=../../schemas/Tenant.json\r\n"
        "apiVersion: relc.dev/v1alpha1   # the API\r\n"
        "kind: Tenant\r\n"
        "metadata: {name: horizon-aerobotics}\r\n"
        "spec:\r\n"
        "    role: Agent\r\n"
        "    instance: droneup-production\r\n"
        "    operator: droneup\r\n"
        "    # moved by the release team\r\n"
        "    releaseCandidate: 'q1-2025'  # see the change log\r\n"
        "    policies:\r\n"
        "        deletion: {mode: retained,   gracePeriod: 30d}"
    )
    path.write_bytes(text.encode("utf-8"))
    os.chmod(path, 0o664)
    fleet.commit("hand-written")

    result = fleet.relc("pin", "horizon-aerobotics", "--to", "q2-2025")

    assert result.exit_code == 0, result.output
    assert path.read_bytes() == text.replace("'q1-2025'", "'q2-2025'").encode("utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o664
    assert fleet.diff_lines() == [
        "-    releaseCandidate: 'q1-2025'  # see the change log",  # CRLF: splitlines takes \r\n as one break
        "+    releaseCandidate: 'q2-2025'  # see the change log",
    ]


def test_a_move_that_would_not_validate_is_refused_and_nothing_changes(fleet: FleetRepo) -> None:
    result = fleet.relc("pin", "cherokee-nation", "--to", "platform-2025-07")

    assert result.exit_code == 1
    assert result.stdout == (
        f"{CHEROKEE}:11: droneup-production/cherokee-nation: q4-2024 -> platform-2025-07\n"
        f"{CHEROKEE}:11:21: error RLC601 candidate-not-offered [spec.releaseCandidate]: candidate 'platform-2025-07'"
        " is not offered by global release 'droneup-2025-06' of instance 'droneup-production'"
        " (releases/global/droneup-2025-06.yaml)\n"
        "    hint: pin one of: q4-2024, q1-2025, q2-2025; or add 'platform-2025-07' to the global release\n"
        "1 error(s), 0 warning(s) in 1 file(s)\n"
        "refused: the fleet would not validate after this change; no file was written\n"
    )
    assert fleet.status() == ""


def test_refusal_as_json(fleet: FleetRepo) -> None:
    result = fleet.relc("pin", "cherokee-nation", "--to", "platform-2025-07", "--format", "json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["command"], report["refused"], report["written"]) == ("pin", True, [])
    assert [f"{d['file']}:{d['line']}:{d['code']}" for d in report["diagnostics"]] == [f"{CHEROKEE}:11:RLC601"]
    assert report["moves"] == [
        {
            "instance": "droneup-production",
            "tenant": "cherokee-nation",
            "file": CHEROKEE,
            "line": 11,
            "from": "q4-2024",
            "to": "platform-2025-07",
        }
    ]
    assert fleet.status() == ""


def test_an_ambiguous_name_needs_instance(fleet: FleetRepo) -> None:
    result = fleet.relc("pin", "xyz", "--to", "platform-2025-07")

    assert result.exit_code == 2
    assert result.stderr == (
        "relc: error: tenant 'xyz' is in 3 Instances: arematics-prod, arematics-qa, arematics-test\n"
        "  hint: pass --instance with the one you mean\n"
    )
    assert fleet.status() == ""

    result = fleet.relc("pin", "xyz", "--to", "platform-2025-07", "--instance", "arematics-prod", "--format", "json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["written"] == ["tenants/arematics-prod/xyz.yaml"]
    assert fleet.diff_lines() == ["-  releaseCandidate: platform-2025-05", "+  releaseCandidate: platform-2025-07"]


def test_unknown_names_are_usage_errors(fleet: FleetRepo) -> None:
    tenant = fleet.relc("pin", "horizon-aerobotic", "--to", "q2-2025")
    candidate = fleet.relc("pin", "horizon-aerobotics", "--to", "q2-2026")
    instance = fleet.relc("pin", "horizon-aerobotics", "--to", "q2-2025", "--instance", "droneup-prod")

    assert (tenant.exit_code, candidate.exit_code, instance.exit_code) == (2, 2, 2)
    assert tenant.stderr == (
        "relc: error: tenant 'horizon-aerobotic' does not exist\n  hint: did you mean 'horizon-aerobotics'?\n"
    )
    assert (
        candidate.stderr == "relc: error: release candidate 'q2-2026' does not exist\n  hint: did you mean 'q2-2025'?\n"
    )
    assert instance.stderr == (
        "relc: error: Instance 'droneup-prod' does not exist\n  hint: did you mean 'droneup-production'?\n"
    )
    assert fleet.status() == ""


def test_a_tenant_already_there_writes_nothing(fleet: FleetRepo) -> None:
    result = fleet.relc("pin", "horizon-aerobotics", "--to", "q1-2025")

    assert result.exit_code == 0, result.output
    assert result.stdout == "droneup-production/horizon-aerobotics: already on q1-2025\n"
    assert fleet.status() == ""
