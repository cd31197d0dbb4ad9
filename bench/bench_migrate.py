"""Benchmark (not a test): provision and migrate N tenants on one local PostgreSQL under a concurrency limit.

Each tenant is provisioned (database + auth/entity/payments schemas) and then migrated to the newest example
version of auth, payments and entity (entity last: it requires the other two), exactly as the Jobs would,
through relc_migrate's core calls with the cluster slots enforced in a real infra database. Runners are
threads (2 x limit of them, so the slot limit, not the thread count, is what binds): a Job's Python start-up
(~0.5 s of CPU) is measured once separately instead of 3 x N times, which would only benchmark the
interpreter on a 2-core machine.

    .venv/bin/python bench/bench_migrate.py --tenants 100 1000 --limits 3 8

Prints one line per (N, limit): tenants per minute and peak memory; JSON lines with --json.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import relc_contract as contract  # noqa: E402
from relc_migrate import migrate, provision  # noqa: E402
from relc_migrate.folder import load_folder  # noqa: E402
from relc_migrate.metrics import Metrics  # noqa: E402
from relc_migrate.runtime import Runtime  # noqa: E402
from tests.migrate.pgserver import PgServer, start  # noqa: E402

SERVICES = ("auth", "payments", "entity")


@dataclass
class Figures:
    tenants: int
    limit: int
    seconds: float
    failures: int
    peak_slots: int
    bench_rss_mib: float

    @property
    def per_minute(self) -> float:
        return self.tenants / self.seconds * 60


def newest(service: str) -> str:
    return str(load_folder(REPO / "migrations" / service, service).files[-1].version)


def one_tenant(rt: Runtime, name: str, versions: dict[str, str]) -> None:
    database = contract.tenant_database(name)
    provision.provision(contract.ProvisionInvocation(name, database, SERVICES, SERVICES), rt)
    for service in SERVICES:
        inv = contract.MigrateInvocation(
            tenant=name, service=service, database=database, schemas=(service,),
            desired_version=versions[service], migrations_dir=str(REPO / "migrations" / service),
            lock_wait_seconds=30,
        )  # fmt: skip
        migrate.run(migrate.MigrateRequest(inv), rt, Metrics(None))


class PeakSlots(threading.Thread):
    """Peak number of granted slot locks in the infra database (sampled every 10 ms)."""

    def __init__(self, server: PgServer) -> None:
        super().__init__(daemon=True)
        self.server, self.peak, self.stop = server, 0, threading.Event()

    def run(self) -> None:
        from relc_migrate.slots import SLOT_NAMESPACE

        with self.server.connect("relc_infra") as conn:
            while not self.stop.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s "
                    "AND objsubid = 2",
                    (SLOT_NAMESPACE,),
                ).fetchone()
                self.peak = max(self.peak, int(row[0]) if row else 0)
                time.sleep(0.01)


def run(n: int, limit: int, report: Callable[[Figures], None]) -> Figures:
    server = start(max_connections=max(100, limit * 2 * 4 + 20))
    try:
        with server.connect() as conn:
            conn.execute("CREATE DATABASE relc_infra")
        rt = Runtime(dsn=server.dsn(), infra_dsn=server.dsn("relc_infra"), concurrency_limit=limit)
        versions = {s: newest(s) for s in SERVICES}
        work: queue.Queue[str] = queue.Queue()
        for i in range(n):
            work.put(f"bench-{i:05d}")
        failures: list[str] = []
        sampler = PeakSlots(server)
        sampler.start()

        def worker() -> None:
            while True:
                try:
                    name = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    one_tenant(rt, name, versions)
                except Exception as err:  # a benchmark reports failures and keeps going
                    failures.append(f"{name}: {err}")

        started = time.monotonic()
        threads = [threading.Thread(target=worker) for _ in range(limit * 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.monotonic() - started
        sampler.stop.set()
        sampler.join()
        if failures:
            print(f"  {len(failures)} failure(s), first: {failures[0]}", file=sys.stderr)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        figures = Figures(n, limit, seconds, len(failures), sampler.peak, rss)
        report(figures)  # before the teardown: removing 1,000 databases' files takes minutes
        return figures
    finally:
        server.stop()


def single_job_rss_mib() -> float:
    """Peak RSS of one real ``relc-migrate migrate`` process (what a Job's memory request must cover)."""
    server = start()
    try:
        env = {
            **os.environ,
            "RELC_DB_DSN": server.dsn(),
            "RELC_TERMINATION_LOG": "",
            "RELC_METRICS_FILE": "/dev/null",
        }
        cli = [sys.executable, "-m", "relc_migrate"]
        inv = contract.ProvisionInvocation("job-rss", "tenant_job_rss", ("auth",), ("auth",))
        subprocess.run([*cli, *contract.provision_argv(inv)], env=env, check=True, capture_output=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        mig = contract.MigrateInvocation("job-rss", "auth", "tenant_job_rss", ("auth",), newest("auth"),
                                         migrations_dir=str(REPO / "migrations" / "auth"))  # fmt: skip
        subprocess.run([*cli, *contract.migrate_argv(mig)], env=env, check=True, capture_output=True)
        return max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--limits", type=int, nargs="+", default=[3, 8])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    print(f"one relc-migrate Job process: peak RSS {single_job_rss_mib():.0f} MiB")

    def report(f: Figures) -> None:
        if args.json:
            print(json.dumps({**f.__dict__, "tenants_per_minute": round(f.per_minute, 1)}))
        else:
            print(
                f"N={f.tenants:<5} limit={f.limit}: {f.per_minute:7.1f} tenants/min ({f.seconds:6.1f} s, "
                f"{3 * f.tenants} migrations), peak slots {f.peak_slots}, failures {f.failures}, "
                f"bench process peak RSS {f.bench_rss_mib:.0f} MiB"
            )
        sys.stdout.flush()

    for n in args.tenants:
        for limit in args.limits:
            run(n, limit, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
