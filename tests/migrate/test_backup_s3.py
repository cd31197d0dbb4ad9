"""Backups streamed to a real S3-compatible server (moto's server mode on 127.0.0.1), through the CLI.

What an operator relies on: the object appears under its final key only when the whole dump is there (killed,
failed or refused uploads leave nothing there), a failed backup blocks the migration with exit 3, and the
dump restores.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

import relc_contract as contract
from relc_migrate.backup import PART_SIZE
from tests.migrate.helpers import (
    REPO,
    add_random_table,
    auth_at_1_2,
    fake_pg_dump,
    migrate_args,
    provision_args,
    sigterm_mid_upload,
)

pytestmark = pytest.mark.postgres

AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_endpoint: str, tenant: str) -> Any:
    """A client of the test server, and a fresh bucket named after the test's tenant."""
    client = boto3.client("s3", endpoint_url=s3_endpoint, **_keys())
    client.create_bucket(Bucket=tenant)
    return client


@pytest.fixture
def aws_env(s3_endpoint: str) -> dict[str, str]:
    return {**AWS, "AWS_ENDPOINT_URL": s3_endpoint}


def _keys() -> dict[str, str]:
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def _objects(s3: Any, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def _uploads(s3: Any, bucket: str) -> list[str]:
    return [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


def test_backup_streams_a_restorable_dump_to_s3(
    relc: Any, pg: Any, tenant: str, s3: Any, aws_env: dict[str, str], tmp_path: Path
) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    add_random_table(pg, tenant, 3 * PART_SIZE // 2)  # a dump of two parts
    dest = f"s3://{tenant}/droneup-production/{tenant}"
    run = relc(*migrate_args(tenant, "auth", "1.2.0", backup_before_migration=True, backup_destination=dest), **aws_env)
    assert run.exit_code == 0, run.output
    location = str(run.summary["backup"])
    prefix = f"{dest}/{contract.tenant_database(tenant)}/auth/"
    assert location.startswith(prefix) and location.endswith("-from-1.1.0.dump")
    key = location.removeprefix(f"s3://{tenant}/")
    assert _objects(s3, tenant) == [key]
    assert _uploads(s3, tenant) == []
    assert s3.head_object(Bucket=tenant, Key=key)["ETag"].endswith('-2"')  # two parts: it was streamed
    dump = tmp_path / "dump"
    s3.download_file(tenant, key, str(dump))
    listing = subprocess.run([str(pg.bindir / "pg_restore"), "--list", str(dump)], capture_output=True, text=True)
    assert "TABLE auth users" in listing.stdout and "TABLE auth bulk" in listing.stdout
    assert auth_at_1_2(pg, tenant)


def test_a_failing_pg_dump_aborts_the_upload_and_blocks_the_migration(
    relc: Any, pg: Any, tenant: str, s3: Any, aws_env: dict[str, str], tmp_path: Path
) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    fake = fake_pg_dump(
        tmp_path, pg, f"head -c {PART_SIZE + 4096} /dev/urandom\necho 'pg_dump: error: boom' >&2\nexit 1"
    )
    dest = f"s3://{tenant}/backups"
    argv = migrate_args(tenant, "auth", "1.2.0", backup_before_migration=True, backup_destination=dest,
                        backup_retries=0)  # fmt: skip
    run = relc(*argv, RELC_PG_DUMP=str(fake), **aws_env)
    assert run.exit_code == 3
    assert run.summary["message"] == "backup failed after 1 attempt(s): pg_dump exited 1: pg_dump: error: boom"
    assert _objects(s3, tenant) == []
    assert _uploads(s3, tenant) == []  # the multipart upload was aborted, its parts deleted
    assert not auth_at_1_2(pg, tenant)


def test_a_missing_bucket_blocks_the_migration_with_the_store_s_reason(
    relc: Any, pg: Any, tenant: str, s3: Any, aws_env: dict[str, str]
) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    argv = migrate_args(tenant, "auth", "1.2.0", backup_before_migration=True,
                        backup_destination="s3://no-such-bucket/backups", backup_retries=1)  # fmt: skip
    run = relc(*argv, **aws_env)
    assert run.exit_code == 3
    message = str(run.summary["message"])
    head, _, reason = message.partition(" failed: ")
    assert head.startswith(f"backup failed after 2 attempt(s): upload to s3://no-such-bucket/backups/"
                           f"{contract.tenant_database(tenant)}/auth/")  # fmt: skip
    assert reason == (
        "An error occurred (NoSuchBucket) when calling the PutObject operation: The specified bucket does not exist"
    )
    assert not auth_at_1_2(pg, tenant)
    with pg.connect(contract.tenant_database(tenant)) as conn:
        row = conn.execute("SELECT status, status_reason FROM relc.schema_registry WHERE schema_name = 'auth'")
        assert row.fetchone() == ("blocked", message)


def test_a_runner_killed_mid_upload_leaves_no_object_under_the_final_key(
    relc: Any, pg: Any, tenant: str, s3: Any, aws_env: dict[str, str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    # more than one part, then a stall: the runner is mid-upload, one part sent, when it is killed
    fake = fake_pg_dump(tmp_path, pg, f"head -c {PART_SIZE + 4096} /dev/urandom\nexec sleep 300")
    dest = f"s3://{tenant}/backups"
    argv = migrate_args(tenant, "auth", "1.2.0", backup_before_migration=True, backup_destination=dest)
    env = {**os.environ, **cli_env, **aws_env, "RELC_PG_DUMP": str(fake)}
    runner = subprocess.Popen([sys.executable, "-m", "relc_migrate", *argv], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not _parts_sent(s3, tenant):
            assert runner.poll() is None and time.monotonic() < deadline, "the upload never sent a part"
            time.sleep(0.1)
    finally:
        os.killpg(runner.pid, signal.SIGKILL)  # the runner and its pg_dump
        runner.wait()
    assert _objects(s3, tenant) == []
    assert len(_uploads(s3, tenant)) == 1  # what a bucket lifecycle rule (README) cleans up
    assert not auth_at_1_2(pg, tenant)
    run = relc(*argv, **aws_env)  # the Job's retry, with the real pg_dump
    assert run.exit_code == 0, run.output
    assert _objects(s3, tenant) == [str(run.summary["backup"]).removeprefix(f"s3://{tenant}/")]
    assert auth_at_1_2(pg, tenant)


def _parts_sent(s3: Any, bucket: str) -> bool:
    for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        if s3.list_parts(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]).get("Parts"):
            return True
    return False


def test_a_scheme_the_image_has_no_client_for_blocks_the_migration(relc: Any, pg: Any, tenant: str) -> None:
    """What RLC607 refuses at validate time, refused again at run time (a hand-written Job)."""
    assert relc(*provision_args(tenant)).exit_code == 0
    argv = migrate_args(tenant, "auth", "1.0.0", backup_before_migration=True, backup_destination="azure://c/x")
    run = relc(*argv)
    assert run.exit_code == 3
    assert run.summary["message"] == "backup failed: relc-migrate cannot write azure:// destinations"
    with pg.connect(contract.tenant_database(tenant)) as conn:
        assert conn.execute("SELECT to_regclass('auth.users')").fetchone() == (None,)


def test_a_pg_dump_that_hangs_is_killed_at_the_timeout_and_nothing_is_stored(
    relc: Any, pg: Any, tenant: str, s3: Any, aws_env: dict[str, str], tmp_path: Path
) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    fake = fake_pg_dump(tmp_path, pg, "head -c 1000 /dev/urandom\nexec sleep 300")
    argv = migrate_args(tenant, "auth", "1.2.0", backup_before_migration=True, backup_destination=f"s3://{tenant}/b",
                        backup_timeout_seconds=2, backup_retries=0)  # fmt: skip
    started = time.monotonic()
    run = relc(*argv, RELC_PG_DUMP=str(fake), **aws_env)
    assert run.exit_code == 3
    assert run.summary["message"] == "backup failed after 1 attempt(s): pg_dump timed out after 2s"
    assert time.monotonic() - started < 60
    assert _objects(s3, tenant) == [] and _uploads(s3, tenant) == []
    assert not auth_at_1_2(pg, tenant)


def test_an_identity_refused_put_object_blocks_the_migration(
    relc: Any, pg: Any, tenant: str, s3: Any, s3_endpoint: str, aws_env: dict[str, str]
) -> None:
    """What a bucket that refuses writes (a deny policy, a quota, a role without s3:PutObject) looks like: moto
    enforces IAM once its auth is switched on; the runner's user may do everything in S3 but put objects."""
    iam = boto3.client("iam", endpoint_url=s3_endpoint, **_keys())
    user = f"relc-{tenant}"
    iam.create_user(UserName=user)
    deny = {"Effect": "Deny", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{tenant}/*"}
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, deny]}
    iam.put_user_policy(UserName=user, PolicyName="no-put", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    argv = migrate_args(tenant, "auth", "1.2.0", backup_before_migration=True, backup_destination=f"s3://{tenant}/b",
                        backup_retries=0)  # fmt: skip
    env = {**aws_env, "AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    assert requests.post(f"{s3_endpoint}/moto-api/reset-auth", data=b"0", timeout=10).ok  # IAM enforced from now
    try:
        run = relc(*argv, **env)
    finally:
        assert requests.post(f"{s3_endpoint}/moto-api/reset-auth", data=b"inf", timeout=10).ok  # process-wide
    assert run.exit_code == 3
    head, _, reason = str(run.summary["message"]).partition(" failed: ")
    assert head.startswith(f"backup failed after 1 attempt(s): upload to s3://{tenant}/b/")
    assert reason == "An error occurred (AccessDenied) when calling the PutObject operation: Access Denied"
    assert _objects(s3, tenant) == []
    assert not auth_at_1_2(pg, tenant)


def test_sigterm_mid_upload_aborts_the_multipart_upload_and_exits_5(
    relc: Any, pg: Any, tenant: str, s3: Any, aws_env: dict[str, str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    """Kubernetes sends SIGTERM (then SIGKILL after the grace period) to the Job's process only: relc-migrate kills
    its pg_dump, the upload is aborted (AbortMultipartUpload: no parts left behind), nothing is migrated, exit 5."""
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    fake = fake_pg_dump(tmp_path, pg, f"head -c {PART_SIZE + 4096} /dev/urandom\nexec sleep 300")
    argv = migrate_args(tenant, "auth", "1.2.0", backup_before_migration=True, backup_destination=f"s3://{tenant}/b")
    env = {**os.environ, **cli_env, **aws_env, "RELC_PG_DUMP": str(fake)}
    code, summary = sigterm_mid_upload(argv, env, lambda: _parts_sent(s3, tenant))
    assert code == 5, summary
    assert summary["outcome"] == "interrupted"
    assert summary["message"] == (
        "interrupted by SIGTERM during the backup: pg_dump was stopped and the upload aborted; nothing was migrated"
    )
    assert _uploads(s3, tenant) == []  # aborted: no invisible, billed parts
    assert _objects(s3, tenant) == []
    assert not auth_at_1_2(pg, tenant)
    with pg.connect(contract.tenant_database(tenant)) as conn:
        row = conn.execute("SELECT status, current_version FROM relc.schema_registry WHERE schema_name = 'auth'")
        assert row.fetchone() == ("complete", "1.1.0")
