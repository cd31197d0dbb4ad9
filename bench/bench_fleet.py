"""Benchmark `relc validate` and `relc compile` on synthetic fleets (a script to run by hand, not a test).

    .venv/bin/python bench/bench_fleet.py [--tenants 1000,2000,5000,10000] [--services 20] [--repeat 3]
                                          [--jobs N] [--out-base DIR]

For each size it generates a fleet (bench/fleetgen.py) and runs the real CLI as a child process, so the figures
include interpreter start-up and imports, as CI sees them. Printed per command: best wall time of --repeat runs,
its CPU time (relc and its workers), peak memory, and for compile the number of files and bytes written; then
the per-tenant slope between the smallest and largest fleet (linear scaling shows as a flat ms/tenant figure).

Peak memory is given twice: ``proc MiB`` is the largest single process (relc or one of its forked workers, which
share the parent's pages copy-on-write), ``all MiB`` the machine's drop in MemAvailable while the command ran
(sampled every 20 ms): what relc and its workers used together.

Each compile writes to a folder of its own (under --out-base) and all are removed at the end. Why: ext4 skips
inodes deleted in the last minutes when it allocates new ones (``recently_deleted``), so writing 40,000 files
right after deleting 40,000 costs seconds of kernel time a real compile on a CI machine never pays. Give
``--out-base /dev/shm`` to take the disk out of the figures entirely. Run it on a quiet machine: on 2 cores any
other load shows directly in the wall times.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleetgen import generate

RELC = str(Path(sys.executable).with_name("relc"))
_fresh = itertools.count()


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mib: float
    all_mib: float
    code: int


def _available_kib() -> int:
    with open("/proc/meminfo", encoding="ascii") as info:
        for line in info:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    raise RuntimeError("no MemAvailable in /proc/meminfo")


class _MemorySampler(threading.Thread):
    """The lowest MemAvailable seen while a command runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.baseline = self.lowest = _available_kib()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.lowest = min(self.lowest, _available_kib())

    def used_mib(self) -> float:
        self.done.set()
        self.join()
        return max(0, self.baseline - self.lowest) / 1024


def run(argv: list[str]) -> Run:
    sampler = _MemorySampler()
    sampler.start()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    # wait4 folds the workers relc reaped into its figures: CPU summed, ru_maxrss the largest process
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, sampler.used_mib(), proc.returncode)


def best(argv: list[str], repeat: int) -> Run:
    return min((run(argv) for _ in range(repeat)), key=lambda r: r.wall)


def tree_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _line(n: int, name: str, r: Run, files: str = "", size: str = "") -> str:
    return (
        f"{n:>8} {name:<16} {r.wall:>7.2f} {r.cpu:>7.2f} {r.peak_mib:>9.0f} {r.all_mib:>8.0f} {files:>7} {size:>8}"
        f"  exit={r.code}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", default="1000,2000,5000,10000")
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="relc compile --jobs (default: relc's own)")
    parser.add_argument("--out-base", type=Path, default=None, help="where compiles write (default: a temp dir)")
    parser.add_argument("--no-compile", action="store_true", help="only time relc validate")
    args = parser.parse_args()
    sizes = [int(x) for x in args.tenants.split(",")]
    work = Path(tempfile.mkdtemp(prefix="relc-bench-"))
    outs = Path(tempfile.mkdtemp(prefix="relc-bench-out-", dir=args.out_base))
    jobs = [] if args.jobs is None else ["--jobs", str(args.jobs)]
    print(f"cores={os.cpu_count()}  services={args.services}  repeat={args.repeat} (best wall shown)  out={outs}")
    print(
        f"{'tenants':>8} {'command':<16} {'wall s':>7} {'cpu s':>7} {'proc MiB':>9} {'all MiB':>8} {'files':>7} "
        f"{'MiB out':>8}"
    )
    walls: dict[str, dict[int, float]] = {"validate": {}, "compile": {}, "compile --check": {}}
    try:
        for n in sizes:
            fleet = generate(work / f"fleet-{n}", tenant_count=n, services=args.services)
            today = ["--today", "2026-11-22"]
            v = best([RELC, "validate", "--root", str(fleet), *today], args.repeat)
            walls["validate"][n] = v.wall
            print(_line(n, "validate", v))
            if args.no_compile:
                continue
            compiles = []
            for _ in range(args.repeat):
                out = outs / f"rendered-{n}-{next(_fresh)}"
                compiles.append((run([RELC, "compile", "--root", str(fleet), "--out", str(out), *jobs, *today]), out))
            c, out = min(compiles, key=lambda pair: pair[0].wall)
            files, size = tree_size(out)
            walls["compile"][n] = c.wall
            print(_line(n, "compile", c, str(files), f"{size / 2**20:.1f}"))
            k = best([RELC, "compile", "--root", str(fleet), "--out", str(out), "--check", *jobs, *today], args.repeat)
            walls["compile --check"][n] = k.wall
            print(_line(n, "compile --check", k))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(outs, ignore_errors=True)
    lo, hi = min(sizes), max(sizes)
    if hi > lo:
        for name, by_size in walls.items():
            if lo in by_size and hi in by_size:
                slope = (by_size[hi] - by_size[lo]) / (hi - lo) * 1000
                print(f"slope {name}: {slope:.3f} ms per tenant between {lo} and {hi} tenants")


if __name__ == "__main__":
    main()
