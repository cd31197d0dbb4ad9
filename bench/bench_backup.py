"""Benchmark (not a test): memory and speed of a backup streamed to an object store, for a dump many parts long.

A database holding SIZE MiB of random (incompressible) bytes is dumped by ``backup.run_backup`` in this process
to an S3-compatible server (moto's ``moto_server``) and to the GCS protocol checker (tests/migrate/fakegcs.py),
each in its own process so that what they store does not count here. The figure that matters is this
process's peak RSS against the part size (backup.PART_SIZE): streaming keeps it at about one part whatever the
dump's size, and nothing is written to local disk.

    .venv/bin/python bench/bench_backup.py --size 256
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from relc_migrate.backup import PART_SIZE, BackupRequest, run_backup  # noqa: E402
from tests.migrate.pgserver import start  # noqa: E402

CHUNK = 1024 * 1024


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="MiB of random bytes in the dumped schema")
    args = parser.parse_args()
    pg = start()
    stores: list[subprocess.Popen[str]] = []
    try:
        with pg.connect() as conn:
            conn.execute("CREATE DATABASE bench")
        with pg.connect("bench") as conn:
            conn.execute("CREATE SCHEMA data; CREATE TABLE data.blob (b bytea)")
            with conn.cursor().copy("COPY data.blob (b) FROM STDIN") as copy:
                for _ in range(args.size):
                    copy.write_row((os.urandom(CHUNK),))
        port = _free_port()
        stores.append(subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1",
                                        "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       text=True))  # fmt: skip
        gcs = subprocess.Popen([sys.executable, "-m", "tests.migrate.fakegcs", "bench"], cwd=REPO,
                               stdout=subprocess.PIPE, text=True)  # fmt: skip
        stores.append(gcs)
        assert gcs.stdout is not None
        os.environ.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "bench",
                           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
                           "STORAGE_EMULATOR_HOST": gcs.stdout.readline().strip()})  # fmt: skip
        import boto3
        from botocore.exceptions import EndpointConnectionError

        s3 = boto3.client("s3")
        for _ in range(100):
            try:
                s3.create_bucket(Bucket="bench")
                break
            except EndpointConnectionError:  # the server is still starting
                time.sleep(0.1)
        print(f"dumped schema: {args.size} MiB random bytes; part size {PART_SIZE // CHUNK} MiB")
        for dest in ("s3://bench/backups", "gs://bench/backups"):
            before = _rss_mib()
            req = BackupRequest(dsn=pg.dsn("bench"), database="bench", schemas=("data",), tenant="bench",
                                service="data", from_version="none", destination=dest, server_major=15,
                                timeout_seconds=3600, retries=0, pg_dump=str(pg.bindir / "pg_dump"))  # fmt: skip
            started = time.monotonic()
            result = run_backup(req)
            seconds = time.monotonic() - started
            if dest.startswith("s3://"):
                size = s3.head_object(Bucket="bench", Key=result.location.removeprefix("s3://bench/"))["ContentLength"]
                print(f"dump: {size / CHUNK:.0f} MiB")
            print(f"{dest.split(':')[0]}: {result.location} in {seconds:.1f} s; "
                  f"peak RSS {before:.0f} MiB before, {_rss_mib():.0f} MiB after")  # fmt: skip
    finally:
        for proc in stores:
            proc.kill()
            proc.wait()
        pg.stop()


if __name__ == "__main__":
    main()
