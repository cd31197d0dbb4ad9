"""RLC607/RLC608 through the CLI: a backup destination relc-migrate can write, and the identity of its store.

What the image can write is relc_contract.OBJECT_STORE_SCHEMES plus a directory (``file:///dir`` or an absolute
path); the rendered ServiceAccount carries the identity (tests/render/test_backup_identity.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.load.cli import diagnostics, run

INSTANCE = "instances/arematics-prod.yaml"
DESTINATION = "    backupDestination: s3://arematics-tenant-backups/arematics-prod\n"


def _migration(root: Path, lines: str) -> None:
    path = root / INSTANCE
    text = path.read_text()
    assert DESTINATION in text
    path.write_text(text.replace(DESTINATION, lines))


@pytest.mark.parametrize(
    "lines",
    [
        "    backupDestination: s3://bucket\n",
        "    backupDestination: gs://bucket/a/b\n    backupIdentity:\n"
        "      gcpServiceAccount: relc-backup@my-project-1.iam.gserviceaccount.com\n",
        "    backupDestination: s3://b/p\n    backupIdentity:\n"
        "      awsRoleArn: arn:aws:iam::123456789012:role/x/relc\n",
        "    backupDestination: file:///var/backups\n",
        "    backupDestination: /var/backups\n",
    ],
)
def test_destinations_the_image_can_write(base_fleet: Path, lines: str) -> None:
    _migration(base_fleet, lines)
    result = run(base_fleet, "--strict")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "destination",
    ["backups", "file://backups", "s3://", "gs:///prefix", "azure://container/x", "S3://bucket", "http://x/y"],
)
def test_a_destination_the_image_cannot_write_is_rlc607(base_fleet: Path, destination: str) -> None:
    _migration(base_fleet, f"    backupDestination: '{destination}'\n")
    before = {p: p.read_bytes() for p in base_fleet.rglob("*") if p.is_file()}
    code, found = diagnostics(base_fleet)
    assert code == 1
    assert [(d["file"], d["line"], d["code"], d["field"], d["message"]) for d in found] == [
        (
            INSTANCE,
            24,
            "RLC607",
            "spec.migration.backupDestination",
            f"instance 'arematics-prod': relc-migrate cannot write the backup destination {destination!r}",
        )
    ]
    assert {p: p.read_bytes() for p in base_fleet.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    ("lines", "field", "message"),
    [
        (
            "    backupDestination: gs://b/p\n    backupIdentity:\n"
            "      awsRoleArn: arn:aws:iam::123456789012:role/r\n",
            "awsRoleArn",
            "backupIdentity.awsRoleArn is an identity for s3:// destinations, but the backups go to gs://b/p",
        ),
        (
            "    backupDestination: /var/backups\n    backupIdentity:\n"
            "      gcpServiceAccount: relc-backup@my-project-1.iam.gserviceaccount.com\n",
            "gcpServiceAccount",
            "backupIdentity.gcpServiceAccount is an identity for gs:// destinations, "
            "but the backups go to /var/backups",
        ),
    ],
)
def test_the_other_cloud_s_identity_is_rlc608(base_fleet: Path, lines: str, field: str, message: str) -> None:
    _migration(base_fleet, lines)
    code, found = diagnostics(base_fleet)
    assert code == 1
    assert [(d["line"], d["code"], d["field"], d["message"]) for d in found] == [
        (26, "RLC608", f"spec.migration.backupIdentity.{field}", f"instance 'arematics-prod': {message}")
    ]


@pytest.mark.parametrize(
    "identity",
    [
        "{}",
        "{awsRoleArn: 'arn:aws:iam::123456789012:role/r',"
        " gcpServiceAccount: 'relc-backup@proj-12.iam.gserviceaccount.com'}",
        "{awsRoleArn: 'arn:aws:iam::12345:role/r'}",
        "{gcpServiceAccount: 'relc-backup@gmail.com'}",
    ],
)
def test_a_malformed_identity_is_a_schema_error(base_fleet: Path, identity: str) -> None:
    _migration(base_fleet, f"{DESTINATION}    backupIdentity: {identity}\n")
    code, found = diagnostics(base_fleet)
    assert code == 1
    assert [(d["file"], d["line"]) for d in found] == [(INSTANCE, 25)]
    assert found[0]["field"].startswith("spec.migration.backupIdentity")
