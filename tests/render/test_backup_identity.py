"""The migration Jobs' ServiceAccount carries the Instance's backupIdentity as its cloud's workload-identity
annotation: what EKS's pod identity webhook (IRSA) and GKE's metadata server read to hand out credentials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compiler.render import platform
from compiler.render.conventions import MIGRATE_SERVICE_ACCOUNT, SYNC_WAVE, WAVE_PLATFORM
from tests.render.helpers import edit, files


def _migrate_sa(root: Path, instance: str) -> dict[str, Any]:
    manifests = files(root, platform.render)[f"instances/{instance}/platform/tenancy.yaml"].manifests()
    (sa,) = [m for m in manifests if m["kind"] == "ServiceAccount" and m["metadata"]["name"] == MIGRATE_SERVICE_ACCOUNT]
    return dict(sa)


def test_irsa_role_for_s3_and_workload_identity_for_gcs(example_fleet: Path) -> None:
    assert _migrate_sa(example_fleet, "arematics-prod")["metadata"]["annotations"] == {
        SYNC_WAVE: WAVE_PLATFORM,
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/relc-backup-arematics-prod",
    }
    assert _migrate_sa(example_fleet, "droneup-production")["metadata"]["annotations"] == {
        SYNC_WAVE: WAVE_PLATFORM,
        "iam.gke.io/gcp-service-account": "relc-backup-production@droneup-platform.iam.gserviceaccount.com",
    }


def test_no_identity_no_annotation(example_fleet: Path) -> None:
    edit(
        example_fleet / "instances/arematics-qa.yaml",
        "    backupIdentity:\n      awsRoleArn: arn:aws:iam::123456789012:role/relc-backup-arematics-qa\n",
        "",
    )
    assert _migrate_sa(example_fleet, "arematics-qa")["metadata"]["annotations"] == {SYNC_WAVE: WAVE_PLATFORM}
