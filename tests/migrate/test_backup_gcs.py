"""Backups streamed to Google Cloud Storage (the droneup clusters are GKE), through the CLI.

google-cloud-storage talks to fakegcs.py (``STORAGE_EMULATOR_HOST``), which checks every request against the
JSON API's resumable-upload protocol: the dump goes in 256 KiB-aligned chunks and the object exists only after
the last one, which is sent only when pg_dump exited 0.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import relc_contract as contract
from relc_migrate.backup import PART_SIZE
from tests.migrate.fakegcs import FakeGcs, serve
from tests.migrate.helpers import (
    add_random_table,
    auth_at_1_2,
    fake_pg_dump,
    migrate_args,
    provision_args,
    sigterm_mid_upload,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def gcs() -> Iterator[tuple[FakeGcs, dict[str, str]]]:
    """The fake's state (one bucket, ``backups``) and the environment that points google-cloud-storage at it."""
    state = FakeGcs(buckets={"backups"})
    server = serve(state)
    host, port = server.server_address[:2]
    try:
        yield state, {"STORAGE_EMULATOR_HOST": f"http://{host!s}:{port}", "GOOGLE_CLOUD_PROJECT": "relc-test"}
    finally:
        server.shutdown()
        server.server_close()


def test_backup_streams_a_restorable_dump_to_gcs_in_chunks(
    relc: Any, pg: Any, tenant: str, gcs: tuple[FakeGcs, dict[str, str]], tmp_path: Path
) -> None:
    state, env = gcs
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    add_random_table(pg, tenant, 3 * PART_SIZE // 2)
    dest = f"gs://backups/droneup-production/{tenant}"
    run = relc(*migrate_args(tenant, "auth", "1.2.0", backup_before_migration=True, backup_destination=dest), **env)
    assert run.exit_code == 0, run.output
    location = str(run.summary["backup"])
    assert location.startswith(f"{dest}/{contract.tenant_database(tenant)}/auth/")
    assert location.endswith("-from-1.1.0.dump")
    key = ("backups", location.removeprefix("gs://backups/"))
    assert list(state.objects) == [key]
    assert state.chunks[key] == 2  # streamed: one full chunk, then the rest
    assert state.violations == []
    dump = tmp_path / "dump"
    dump.write_bytes(state.objects[key])
    listing = subprocess.run([str(pg.bindir / "pg_restore"), "--list", str(dump)], capture_output=True, text=True)
    assert "TABLE auth users" in listing.stdout and "TABLE auth bulk" in listing.stdout
    assert auth_at_1_2(pg, tenant)


def test_a_failing_pg_dump_never_finalizes_the_gcs_object(
    relc: Any, pg: Any, tenant: str, gcs: tuple[FakeGcs, dict[str, str]], tmp_path: Path
) -> None:
    state, env = gcs
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    fail = f"head -c {PART_SIZE + 4096} /dev/urandom\necho 'pg_dump: error: boom' >&2\nexit 1"
    argv = migrate_args(tenant, "auth", "1.2.0", backup_before_migration=True, backup_destination="gs://backups/x",
                        backup_retries=0)  # fmt: skip
    run = relc(*argv, RELC_PG_DUMP=str(fake_pg_dump(tmp_path, pg, fail)), **env)
    assert run.exit_code == 3
    assert run.summary["message"] == "backup failed after 1 attempt(s): pg_dump exited 1: pg_dump: error: boom"
    assert state.objects == {}
    # a part was sent, the object never finalized, and the session was cancelled (GCS would keep it a week)
    assert [(s.chunks, s.cancelled) for s in state.sessions.values()] == [(1, True)]
    assert state.violations == []
    assert not auth_at_1_2(pg, tenant)


def test_a_missing_gcs_bucket_blocks_the_migration(
    relc: Any, pg: Any, tenant: str, gcs: tuple[FakeGcs, dict[str, str]]
) -> None:
    state, env = gcs
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    argv = migrate_args(tenant, "auth", "1.2.0", backup_before_migration=True, backup_destination="gs://nope/x",
                        backup_retries=0)  # fmt: skip
    run = relc(*argv, **env)
    assert run.exit_code == 3
    message = str(run.summary["message"])
    head, _, reason = message.partition(" failed: ")
    database = contract.tenant_database(tenant)
    assert head.startswith(f"backup failed after 1 attempt(s): upload to gs://nope/x/{database}/auth/")
    assert reason == (
        f"404 POST {env['STORAGE_EMULATOR_HOST']}/upload/storage/v1/b/nope/o?uploadType=resumable: "
        '{"error": {"code": 404, "message": "The specified bucket does not exist."}}: '
        "('Request failed with status code', 404, 'Expected one of', <HTTPStatus.OK: 200>, <HTTPStatus.CREATED: 201>)"
    )
    assert state.violations == []
    assert not auth_at_1_2(pg, tenant)


def test_sigterm_mid_upload_cancels_the_gcs_session_and_exits_5(
    pg: Any, tenant: str, relc: Any, gcs: tuple[FakeGcs, dict[str, str]], cli_env: dict[str, str], tmp_path: Path
) -> None:
    state, gcs_env = gcs
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    fake = fake_pg_dump(tmp_path, pg, f"head -c {PART_SIZE + 4096} /dev/urandom\nexec sleep 300")
    argv = migrate_args(tenant, "auth", "1.2.0", backup_before_migration=True, backup_destination="gs://backups/x")
    env = {**os.environ, **cli_env, **gcs_env, "RELC_PG_DUMP": str(fake)}
    code, summary = sigterm_mid_upload(argv, env, lambda: any(s.chunks for s in list(state.sessions.values())))
    assert code == 5, summary
    assert summary["message"] == (
        "interrupted by SIGTERM during the backup: pg_dump was stopped and the upload aborted; nothing was migrated"
    )
    assert [(s.chunks, s.cancelled) for s in state.sessions.values()] == [(1, True)]
    assert state.objects == {}
    assert state.violations == []
    assert not auth_at_1_2(pg, tenant)
