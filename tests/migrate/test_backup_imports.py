"""The cloud clients cost only the backups that use them: boto3 and google-cloud-storage take a noticeable part
of a second to import, and every Job (most of them no-ops) starts relc-migrate."""

from __future__ import annotations

import subprocess
import sys

from tests.migrate.helpers import REPO

_PROBE = """
import sys
from relc_migrate import backup, cli, migrate, stores
print(sorted({m.split(".")[0] for m in sys.modules} & {"boto3", "botocore", "s3transfer", "google", "requests"}))
"""


def test_no_command_imports_a_cloud_client_until_a_backup_streams_to_its_store() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout == "[]\n"


def test_relc_migrate_has_a_store_for_every_scheme_relc_validate_accepts() -> None:
    """RLC607 accepts exactly relc_contract.OBJECT_STORE_SCHEMES: each must have a client in the image."""
    import relc_contract as contract
    from relc_migrate import stores

    assert [s for s in contract.OBJECT_STORE_SCHEMES if stores.for_scheme(s) is None] == []
    assert stores.for_scheme("azure") is None and stores.for_scheme("file") is None
