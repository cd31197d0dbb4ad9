"""Benchmark the edit commands beside `relc validate` on one synthetic fleet (a script to run by hand).

    .venv/bin/python bench/bench_edit.py [--tenants 10000] [--repeat 3]

An edit analyses the whole would-be fleet, so `relc pin` of one tenant costs a `relc validate` plus its own load
of the fleet (the files are parsed once: the analysis reuses that load's parses for every file it did not edit).
Rows: `validate`; `pin` of one tenant (each run moves it, so every run writes); `promote` dry runs of a 10% and a
100% wave (r00 → r01: a quarter of the fleet pins r00, a quarter r01). The runs of the commands alternate, so a
neighbour's load on a shared machine hits each of them alike; the best wall of --repeat is shown (bench_fleet.py's
child-process measure). On a shared machine compare the CPU columns: wall times there mostly measure the
neighbours.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fleet import RELC, Run, run
from fleetgen import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="relc-bench-edit-"))
    try:
        fleet = generate(work / "fleet", tenant_count=args.tenants)
        common = ["--root", str(fleet), "--today", "2026-11-22"]
        tenant = sorted((fleet / "tenants" / "inst-00").glob("*.yaml"))[-1].stem  # an Agent
        commands: dict[str, Callable[[int], list[str]]] = {
            "validate": lambda n: [RELC, "validate", *common],
            "pin (1 tenant)": lambda n: [RELC, "pin", tenant, "--to", ("r01", "r00")[n % 2], *common],
            "promote 10% -n": lambda n: [
                RELC,
                "promote",
                "--from",
                "r00",
                "--to",
                "r01",
                "--wave",
                "10%",
                "--dry-run",
                *common,
            ],
            "promote 100% -n": lambda n: [RELC, "promote", "--from", "r00", "--to", "r01", "--dry-run", *common],
        }
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for n in range(args.repeat):
            for name, argv in commands.items():
                runs[name].append(run(argv(n)))
        print(f"{args.tenants} tenants, best wall of {args.repeat}")
        base = min(runs["validate"], key=lambda r: r.wall)
        for name, done in runs.items():
            fastest = min(done, key=lambda r: r.wall)
            print(
                f"{name:<16} {fastest.wall:6.2f} s  cpu {fastest.cpu:6.2f} s  {fastest.peak_mib:5.0f} MiB"
                f"  {fastest.wall / base.wall:4.2f}x validate's wall, {fastest.cpu / base.cpu:4.2f}x its cpu"
                f"  exit={fastest.code}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
