"""Benchmark `relc validate` and `relc compile` on synthetic fleets (a script to run by hand, not a test).

    .venv/bin/python bench/bench_fleet.py [--tenants 1000,2000,5000,10000] [--services 20] [--repeat 3]

For each size it generates a fleet (bench/fleetgen.py) and runs the real CLI as a child process, so the figures
include interpreter start-up and imports, as CI sees them. Printed per command: best wall time of --repeat runs,
its CPU time, the child's peak resident memory, and for compile the number of files and bytes written; then the
per-tenant slope between the smallest and largest fleet (linear scaling shows as a flat ms/tenant figure).
Run it on a quiet machine: on 2 cores any other load shows directly in the wall times.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleetgen import generate

RELC = str(Path(sys.executable).with_name("relc"))


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mib: float
    code: int


def run(argv: list[str]) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode)


def best(argv: list[str], repeat: int, prepare: object = None) -> Run:
    runs = []
    for _ in range(repeat):
        if callable(prepare):
            prepare()
        runs.append(run(argv))
    return min(runs, key=lambda r: r.wall)


def tree_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", default="1000,2000,5000,10000")
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-compile", action="store_true", help="only time relc validate")
    args = parser.parse_args()
    sizes = [int(x) for x in args.tenants.split(",")]
    work = Path(tempfile.mkdtemp(prefix="relc-bench-"))
    print(f"cores={os.cpu_count()}  services={args.services}  repeat={args.repeat} (best wall shown)")
    print(f"{'tenants':>8} {'command':<16} {'wall s':>7} {'cpu s':>7} {'peak MiB':>9} {'files':>7} {'MiB out':>8}")
    walls: dict[str, dict[int, float]] = {"validate": {}, "compile": {}, "compile --check": {}}
    try:
        for n in sizes:
            fleet = generate(work / f"fleet-{n}", tenant_count=n, services=args.services)
            base = [RELC]
            v = best([*base, "validate", "--root", str(fleet), "--today", "2026-11-22"], args.repeat)
            walls["validate"][n] = v.wall
            print(f"{n:>8} {'validate':<16} {v.wall:>7.2f} {v.cpu:>7.2f} {v.peak_mib:>9.0f} {'':>17}  exit={v.code}")
            if args.no_compile:
                continue
            out = fleet / "rendered"
            c = best(
                [*base, "compile", "--root", str(fleet), "--out", str(out), "--today", "2026-11-22"],
                args.repeat,
                prepare=lambda out=out: shutil.rmtree(out, ignore_errors=True),
            )
            files, size = tree_size(out)
            walls["compile"][n] = c.wall
            print(
                f"{n:>8} {'compile':<16} {c.wall:>7.2f} {c.cpu:>7.2f} {c.peak_mib:>9.0f} {files:>7} "
                f"{size / 2**20:>8.1f}  exit={c.code}"
            )
            k = best(
                [*base, "compile", "--root", str(fleet), "--out", str(out), "--check", "--today", "2026-11-22"],
                args.repeat,
            )
            walls["compile --check"][n] = k.wall
            print(
                f"{n:>8} {'compile --check':<16} {k.wall:>7.2f} {k.cpu:>7.2f} {k.peak_mib:>9.0f} {'':>7} {'':>8}"
                f"  exit={k.code}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lo, hi = min(sizes), max(sizes)
    if hi > lo:
        for name, by_size in walls.items():
            if lo in by_size and hi in by_size:
                slope = (by_size[hi] - by_size[lo]) / (hi - lo) * 1000
                print(f"slope {name}: {slope:.3f} ms per tenant between {lo} and {hi} tenants")


if __name__ == "__main__":
    main()
