"""Benchmark (not a test): provision and migrate N tenants on one local PostgreSQL under a concurrency limit.

Each tenant is provisioned (database + auth/entity/payments schemas) and then migrated to the newest example
version of auth, payments and entity (entity last: it requires the other two), exactly as its one Job would
(``migrate-tenant``: one run per tenant, one cluster slot, the three services as steps), through relc_migrate's
core calls with the slots enforced in a real infra database. Runners are threads (2 x limit of them, so the
slot limit, not the thread count, is what binds): a Job's Python start-up is measured separately (``--version``
and a no-op run, as real processes) instead of N times, which would only benchmark the interpreter.

Side by side, in the same run and on a fresh server each: the floor, a minimal psycopg loop with ``limit``
threads doing the same work without any of relc-migrate's safety (CREATE DATABASE, CREATE SCHEMA, then every
statement of the same files, one transaction per file, no bookkeeping, locks, history or checks). The ratio
relc / floor is what relc-migrate's safety costs.

    .venv/bin/python bench/bench_migrate.py --tenants 1000 --limit 8 --repeat 3

Prints one line per (N, limit, run) and the best of the repeats: wall time, tenants/min, the floor measured in the
same run and the ratio; JSON lines with --json. Because the development machine is shared, each run also reports
CPU per tenant, which load inflates far less than wall time: the benchmark process's own (relc-migrate's Python,
or the floor's) and the PostgreSQL server's (the postmaster's children, read from /proc). The start-up a real Job
process pays (``--version``, a no-op ``migrate-tenant``) is printed first, in wall and CPU time.
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
from relc_migrate import provision, tenant  # noqa: E402
from relc_migrate.folder import MigrationSet, load_folder  # noqa: E402
from relc_migrate.metrics import Metrics  # noqa: E402
from relc_migrate.runtime import Runtime  # noqa: E402
from tests.migrate.pgserver import PgServer, start  # noqa: E402

SERVICES = ("auth", "payments", "entity")


@dataclass
class Figures:
    mode: str  #: relc (migrate-tenant) or floor (the minimal loop)
    tenants: int
    limit: int
    seconds: float
    failures: int
    peak_slots: int
    bench_rss_mib: float
    client_cpu_ms: float  #: this process's CPU per tenant (relc-migrate's Python, or the floor loop's)
    server_cpu_ms: float  #: the PostgreSQL server's CPU per tenant (0 when /proc cannot tell)

    @property
    def per_minute(self) -> float:
        return self.tenants / self.seconds * 60


def newest(service: str) -> str:
    return str(load_folder(REPO / "migrations" / service, service).files[-1].version)


def one_tenant(rt: Runtime, name: str, versions: dict[str, str]) -> None:
    """Provision, then the tenant's one migrate-tenant run (what its two Jobs do)."""
    database = contract.tenant_database(name)
    provision.provision(contract.ProvisionInvocation(name, database, SERVICES, SERVICES), rt)
    steps = tuple(contract.TenantStep(s, versions[s], None, (s,)) for s in ORDER)
    inv = contract.TenantMigrateInvocation(name, steps, migrations_root=str(REPO / "migrations"), lock_wait_seconds=30)
    result = tenant.run_tenant(inv, rt, Metrics(None))
    if result.error is not None:
        raise result.error


ORDER = ("auth", "payments", "entity")  #: the migration order: entity requires the other two


def floor_tenant(dsn: str, name: str, sets: dict[str, MigrationSet]) -> None:
    """The minimal loop: the same database, schemas and statements, nothing else."""
    import psycopg
    from psycopg import sql

    database = contract.tenant_database(name)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    with psycopg.connect(dsn, dbname=database, autocommit=True) as conn:
        for service in ORDER:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(service)))
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(service)))
            migrations = sets[service]
            for file in migrations.files:
                if file.no_transaction:
                    for statement in file.up:
                        conn.execute(statement.sql)
                    continue
                with conn.transaction():
                    for statement in file.up:
                        conn.execute(statement.sql)
            if migrations.init_data is not None:
                with conn.transaction():
                    for statement in migrations.init_data.statements:
                        conn.execute(statement.sql)


def server_cpu_seconds(server: PgServer) -> float:
    """CPU the server's processes used so far: the postmaster's own and its reaped children's (every backend
    that exited), plus the live children's. 0.0 where /proc is not available."""
    try:
        pid = int((server.root / "data" / "postmaster.pid").read_text().split()[0])
        ticks = _ticks(pid, children=True)
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            ticks += _ticks(int(child), children=False)
    except (OSError, ValueError, IndexError):
        return 0.0
    return ticks / os.sysconf("SC_CLK_TCK")


def _ticks(pid: int, *, children: bool) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # a backend that exited meanwhile: counted in the postmaster's children
        return 0
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return utime + stime + (cutime + cstime if children else 0)


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


def run(mode: str, n: int, limit: int, report: Callable[[Figures], None]) -> Figures:
    server = start(max_connections=max(100, limit * 2 * 4 + 20))
    try:
        with server.connect() as conn:
            conn.execute("CREATE DATABASE relc_infra")
        rt = Runtime(dsn=server.dsn(), infra_dsn=server.dsn("relc_infra"), concurrency_limit=limit)
        sets = {s: load_folder(REPO / "migrations" / s, s) for s in SERVICES}
        versions = {s: str(sets[s].files[-1].version) for s in SERVICES}
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
                    if mode == "relc":
                        one_tenant(rt, name, versions)
                    else:
                        floor_tenant(server.dsn(), name, sets)
                except Exception as err:  # a benchmark reports failures and keeps going
                    failures.append(f"{name}: {err}")

        started, cpu, server_cpu = time.monotonic(), time.process_time(), server_cpu_seconds(server)
        # relc: 2 x limit runners contend for `limit` slots; the floor has no slots, so `limit` threads
        threads = [threading.Thread(target=worker) for _ in range(limit * 2 if mode == "relc" else limit)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.monotonic() - started
        client_ms = 1000 * (time.process_time() - cpu) / n
        server_ms = 1000 * (server_cpu_seconds(server) - server_cpu) / n
        sampler.stop.set()
        sampler.join()
        if failures:
            print(f"  {len(failures)} failure(s), first: {failures[0]}", file=sys.stderr)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        figures = Figures(mode, n, limit, seconds, len(failures), sampler.peak, rss, client_ms, server_ms)
        report(figures)  # before the teardown: removing 1,000 databases' files takes minutes
        return figures
    finally:
        server.stop()


@dataclass
class Process:
    rss_mib: float  #: peak RSS of one tenant's first migrate-tenant run
    version_seconds: float  #: ``relc-migrate --version``, best of 5
    noop_seconds: float  #: a migrate-tenant run with nothing to do (the steady state of every sync), best of 5
    version_cpu: float  #: its CPU time (user + system), mean of 5
    noop_cpu: float


def one_job_process() -> Process:
    """One real ``relc-migrate`` process per Job: its memory, and the start-up a no-op sync pays per tenant."""
    server = start()
    try:
        with server.connect() as conn:
            conn.execute("CREATE DATABASE relc_infra")
        env = {
            **os.environ,
            "RELC_DB_DSN": server.dsn(),
            "RELC_INFRA_DSN": server.dsn("relc_infra"),
            "RELC_TERMINATION_LOG": "",
            "RELC_METRICS_FILE": "/dev/null",
        }
        # the code of this checkout (``-m`` from its root), whichever checkout the environment was installed from
        cli = [sys.executable, "-m", "relc_migrate"]
        inv = contract.ProvisionInvocation("job-rss", "tenant_job_rss", SERVICES, SERVICES)
        subprocess.run([*cli, *contract.provision_argv(inv)], env=env, check=True, capture_output=True, cwd=REPO)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        steps = tuple(contract.TenantStep(s, newest(s), None, (s,)) for s in ORDER)
        argv = contract.migrate_tenant_argv(
            contract.TenantMigrateInvocation("job-rss", steps, migrations_root=str(REPO / "migrations"))
        )
        subprocess.run([*cli, *argv], env=env, check=True, capture_output=True, cwd=REPO)
        rss = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024

        def best(args: tuple[str, ...]) -> tuple[float, float]:
            """(best wall time, mean CPU time) of 5 runs."""
            times, before = [], _children_cpu()
            for _ in range(5):
                started = time.monotonic()
                subprocess.run([*cli, *args], env=env, check=True, capture_output=True, cwd=REPO)
                times.append(time.monotonic() - started)
            return min(times), (_children_cpu() - before) / 5

        version, noop = best(("--version",)), best(argv)
        return Process(rss, version[0], noop[0], version[1], noop[1])
    finally:
        server.stop()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, nargs="+", default=[1000])
    parser.add_argument("--limit", "--limits", dest="limits", type=int, nargs="+", default=[8])
    parser.add_argument("--repeat", type=int, default=1, help="Runs of each (N, limit, mode); the best is kept.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    job = one_job_process()
    print(
        f"one relc-migrate Job process (start-up a Job pays): peak RSS {job.rss_mib:.0f} MiB; --version "
        f"{job.version_seconds:.3f} s wall (best of 5), {1000 * job.version_cpu:.0f} ms CPU (mean); a no-op "
        f"migrate-tenant run {job.noop_seconds:.3f} s wall, {1000 * job.noop_cpu:.0f} ms CPU"
    )

    def report(f: Figures) -> None:
        if args.json:
            print(json.dumps({**f.__dict__, "tenants_per_minute": round(f.per_minute, 1)}))
        else:
            print(
                f"{f.mode:<5} N={f.tenants:<5} limit={f.limit}: {f.per_minute:7.1f} tenants/min ({f.seconds:6.1f} s, "
                f"{3 * f.tenants} schemas), CPU per tenant {f.client_cpu_ms:.1f} ms client + "
                f"{f.server_cpu_ms:.1f} ms server, peak slots {f.peak_slots}, failures {f.failures}, "
                f"bench process peak RSS {f.bench_rss_mib:.0f} MiB"
            )
        sys.stdout.flush()

    for n in args.tenants:
        for limit in args.limits:
            best: dict[str, Figures] = {}
            for _ in range(args.repeat):
                for mode in ("relc", "floor"):  # interleaved: both see the same machine load
                    figures = run(mode, n, limit, report)
                    if mode not in best or figures.seconds < best[mode].seconds:
                        best[mode] = figures
            relc, floor = best["relc"], best["floor"]
            cpu = (floor.client_cpu_ms + floor.server_cpu_ms) / (relc.client_cpu_ms + relc.server_cpu_ms or 1)
            print(
                f"best of {args.repeat}: N={n} limit={limit}: relc {relc.seconds:.1f} s "
                f"({relc.per_minute:.0f}/min), floor {floor.seconds:.1f} s ({floor.per_minute:.0f}/min), "
                f"relc = {100 * relc.per_minute / floor.per_minute:.0f}% of the floor by wall time, "
                f"{100 * cpu:.0f}% by CPU per tenant (client + server); load average now {os.getloadavg()[0]:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
