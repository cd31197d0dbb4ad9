"""``relc tenant add`` and ``relc tenant remove`` through the CLI on a real git repository."""

from __future__ import annotations

import json
from pathlib import Path

from tests.edit.conftest import FleetRepo

HORIZON = "tenants/droneup-production/horizon-aerobotics.yaml"
ADD_HORIZON = (
    "tenant",
    "add",
    "horizon-aerobotics",
    "--instance",
    "droneup-production",
    "--candidate",
    "q1-2025",
    "--role",
    "Agent",
    "--operator",
    "droneup",
    "--display-name",
    "Horizon Aerobotics",
)


def test_add_writes_the_file_the_example_fleet_has(fleet: FleetRepo) -> None:
    """The example tenant, deleted and added again, comes back byte for byte: schema comment, layout, policies."""
    expected = (fleet.root / HORIZON).read_bytes()
    (fleet.root / HORIZON).unlink()
    fleet.commit("without horizon")

    result = fleet.relc(*ADD_HORIZON)

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{HORIZON}: droneup-production/horizon-aerobotics: an Agent of droneup, pinned to q1-2025\nwrote {HORIZON}\n"
    )
    assert (fleet.root / HORIZON).read_bytes() == expected
    assert fleet.status() == f"?? {HORIZON}"


def test_add_a_new_agent_with_its_policies(fleet: FleetRepo) -> None:
    result = fleet.relc(
        "tenant", "add", "skyward", "--instance", "droneup-staging", "--candidate", "q2-2025", "--role", "Agent",
        "--operator", "droneup", "--display-name", "Skyward: drones # and more", "--no-backup",
        "--deletion", "manual", "--grace-period", "90d", "--format", "json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    path = "tenants/droneup-staging/skyward.yaml"
    assert json.loads(result.stdout)["written"] == [path]
    assert (fleet.root / path).read_text() == (
        "# yaml-language-server: $schema=../../schemas/Tenant.json\n"
        "apiVersion: relc.dev/v1alpha1\n"
        "kind: Tenant\n"
        "metadata:\n"
        "  name: skyward\n"
        "spec:\n"
        "  displayName: 'Skyward: drones # and more'\n"
        "  role: Agent\n"
        "  operator: droneup\n"
        "  instance: droneup-staging\n"
        "  releaseCandidate: q2-2025\n"
        "  policies:\n"
        "    backupBeforeMigration: false\n"
        "    dryRun: false\n"
        "    autoUpgrade: false\n"
        "    deletion:\n"
        "      mode: manual\n"
        "      gracePeriod: 90d\n"
    )
    assert fleet.relc("validate").exit_code == 0


def test_add_is_refused_when_the_fleet_would_not_validate(fleet: FleetRepo) -> None:
    result = fleet.relc(
        "tenant", "add", "skyward", "--instance", "droneup-staging", "--candidate", "platform-2025-07",
        "--role", "Agent", "--operator", "droneup",
    )  # fmt: skip

    assert result.exit_code == 1
    assert result.stdout.splitlines()[1].startswith(
        "tenants/droneup-staging/skyward.yaml:11:21: error RLC601 candidate-not-offered [spec.releaseCandidate]"
    )
    assert result.stdout.endswith("refused: the fleet would not validate after this change; no file was written\n")
    assert fleet.status() == ""


def test_add_usage_errors_write_nothing(fleet: FleetRepo) -> None:
    cases = {
        ("../../etc", "Agent", "droneup"): "relc: error: NAME '../../etc' is not a DNS-1123 label (lower-case letters,"
        " digits and '-', starting and ending with a letter or digit, at most 63 characters)\n"
        "  hint: a tenant's name becomes its namespace, file and database names\n",
        (
            "skyward",
            "Agent",
            None,
        ): "relc: error: an Agent needs --operator\n  hint: name its Operator: one of droneup\n",
        ("skyward", "Operator", "droneup"): "relc: error: an Operator has no --operator\n"
        "  hint: leave --operator out, or add the tenant as --role Agent\n",
        ("droneup", "Operator", None): "relc: error: tenant 'droneup' already exists in Instance 'droneup-staging'\n"
        "  hint: choose another name\n",
    }
    for (name, role, operator), message in cases.items():
        extra = ["--operator", operator] if operator else []
        result = fleet.relc(
            "tenant", "add", name, "--instance", "droneup-staging", "--candidate", "q2-2025", "--role", role, *extra
        )
        assert (result.exit_code, result.stderr) == (2, message)
    assert fleet.status() == ""


def test_remove_requires_the_declared_deletion_mode(fleet: FleetRepo) -> None:
    missing = fleet.relc("tenant", "remove", "horizon-aerobotics")
    other = fleet.relc("tenant", "remove", "horizon-aerobotics", "--deletion", "immediate")

    hint = (
        "  hint: pass --deletion retained to remove it under that policy; for another mode, change"
        f" spec.policies.deletion.mode in {HORIZON} in a pull request of its own first, and remove the tenant once"
        " Argo CD has synced it\n"
    )
    assert (missing.exit_code, other.exit_code) == (2, 2)
    assert missing.stderr == (
        "relc: error: tenant droneup-production/horizon-aerobotics declares deletion mode 'retained' (grace period"
        " 30d), and the command says no --deletion\n" + hint
    )
    assert other.stderr == (
        "relc: error: tenant droneup-production/horizon-aerobotics declares deletion mode 'retained' (grace period"
        " 30d), and the command says --deletion immediate\n" + hint
    )
    assert fleet.status() == ""


def test_remove_says_what_happens_to_the_data(fleet: FleetRepo) -> None:
    result = fleet.relc("tenant", "remove", "xyz", "--instance", "arematics-prod", "--deletion", "retained")

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "tenants/arematics-prod/xyz.yaml:11: arematics-prod/xyz marked removed\n"
        "  Argo CD prunes the tenant's routes and resources at once, then runs its deletion policy's Jobs:\n"
        "  retained: tenant_xyz, tenant_xyz_de kept for the grace period (30d), then purged\n"
        "  delete the file in a later change, once the policy's Jobs are done\n"
        "wrote tenants/arematics-prod/xyz.yaml\n"
    )
    assert fleet.status() == " M tenants/arematics-prod/xyz.yaml"
    assert fleet.diff_lines() == ["+  removed: true"]
    again = fleet.relc("tenant", "remove", "xyz", "--instance", "arematics-prod", "--deletion", "retained")
    assert again.exit_code == 2
    assert again.stderr == (
        "relc: error: tenant arematics-prod/xyz is already removed (tenants/arematics-prod/xyz.yaml is its"
        " tombstone)\n  hint: delete the file in a later change, once its deprovision Jobs are done (README:"
        " Removing a tenant)\n"
    )

    manual = fleet.relc("tenant", "remove", "cherokee-nation", "--deletion", "manual", "--format", "json")

    assert manual.exit_code == 0, manual.output
    report = json.loads(manual.stdout)
    assert report["deletion"] == {"mode": "manual", "gracePeriod": "90d"}
    assert (
        report["effect"][1]
        == "manual: tenant_cherokee_nation kept until someone starts its suspended deprovision CronJob (--finalize)"
    )
    assert report["written"] == ["tenants/droneup-production/cherokee-nation.yaml"]


def test_removing_an_operator_with_agents_is_refused_naming_them(fleet: FleetRepo) -> None:
    result = fleet.relc("tenant", "remove", "droneup", "--instance", "droneup-production", "--deletion", "retained")

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[1] == "  droneup-production/droneup is the Operator of 2 Agent(s): cherokee-nation, horizon-aerobotics"
    assert [line.split(": error ")[0] for line in lines if ": error " in line] == [
        "releases/global/droneup-2025-06.yaml:7:13",
        "tenants/droneup-production/cherokee-nation.yaml:9:13",
        f"{HORIZON}:9:13",
    ]
    assert lines[-1] == "refused: the fleet would not validate after this change; no file was written"
    assert fleet.status() == ""


def test_the_first_tenant_of_an_instance_gets_its_folder(fleet: FleetRepo) -> None:
    folder = fleet.root / "tenants" / "droneup-staging"
    (folder / "droneup.yaml").unlink()
    folder.rmdir()
    fleet.commit("no staging tenant")
    refused = fleet.relc(
        "tenant",
        "add",
        "droneup",
        "--instance",
        "droneup-staging",
        "--candidate",
        "platform-2025-07",
        "--role",
        "Operator",
    )

    assert refused.exit_code == 1, refused.output  # not offered there (RLC601)
    assert not folder.exists()  # nothing made for a refused edit

    added = fleet.relc(
        "tenant", "add", "droneup", "--instance", "droneup-staging", "--candidate", "q2-2025", "--role", "Operator"
    )

    assert added.exit_code == 0, added.output
    assert fleet.status() == "?? tenants/droneup-staging/droneup.yaml"


def test_a_tenant_folder_linked_out_of_the_fleet_is_never_written(fleet: FleetRepo, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (fleet.root / "tenants" / "droneup-staging").rename(outside)
    (fleet.root / "tenants" / "droneup-staging").symlink_to(outside, target_is_directory=True)

    result = fleet.relc(
        "tenant", "add", "newop", "--instance", "droneup-staging", "--candidate", "q2-2025", "--role", "Operator"
    )

    assert result.exit_code == 2
    assert result.stderr == (
        "relc: error: relc edits files in tenants/ only, not 'tenants/droneup-staging/newop.yaml'\n"
        "  hint: edit that file by hand\n"
    )
    assert sorted(p.name for p in outside.iterdir()) == ["droneup.yaml"]
