"""Benchmark a one-pin `relc plan` against `relc validate` on the same synthetic fleet (run by hand, not a test).

    .venv/bin/python bench/bench_plan.py [--tenants 10000] [--repeat 3] [--jobs N] [--out DIR]

Generates a fleet (bench/fleetgen.py), commits it into a fresh git repository, moves one tenant's pin in the
working tree (as a pull request would), then runs the real CLI as a child process: `relc validate` and
`relc plan --base HEAD`, alternately, --repeat times each. Prints the best wall time of each, side by side, and
their ratio (the README's target: a one-pin plan takes at most 1.5x validate). Run it on a quiet machine: on
2 cores any other load shows directly in the wall times.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import git

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleetgen import generate

RELC = str(Path(sys.executable).with_name("relc"))
TODAY = "2026-11-22"


def commit(root: Path) -> None:
    repo = git.Repo.init(root, initial_branch="main")
    for key, value in (("user.name", "bench"), ("user.email", "bench@relc.invalid")):
        repo.git.config(key, value)
    repo.git.add(A=True)
    repo.git.commit(m="fleet", q=True)


def move_one_pin(root: Path) -> str:
    """The first Agent's pin moves to the next candidate: the change a one-pin pull request makes."""
    tenant = sorted((root / "tenants").rglob("*.yaml"))[-1]
    text = tenant.read_text(encoding="utf-8")
    pinned = text.split("releaseCandidate: ", 1)[1].split("\n", 1)[0]
    candidates = sorted(p.stem for p in (root / "releases/candidates").glob("r*.yaml"))
    target = candidates[(candidates.index(pinned) + 1) % len(candidates)]
    tenant.write_text(text.replace(f"releaseCandidate: {pinned}\n", f"releaseCandidate: {target}\n"), encoding="utf-8")
    return f"{tenant.relative_to(root)}: {pinned} -> {target}"


def timed(args: list[str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run([RELC, *args], capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done.returncode, done.stdout.splitlines()[0] if done.stdout else done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="where to generate the fleet (default: a temp dir)")
    args = parser.parse_args()
    work = args.out or Path(tempfile.mkdtemp(prefix="relc-bench-plan-"))
    try:
        root = generate(work / "fleet", tenant_count=args.tenants)
        commit(root)
        print(f"{args.tenants} tenants, moved {move_one_pin(root)}")
        common = ["--root", str(root), "--today", TODAY, *(["--jobs", str(args.jobs)] if args.jobs else [])]
        best: dict[str, float] = {}
        for _ in range(args.repeat):
            for name, command in (("validate", ["validate", *common]), ("plan", ["plan", "--base", "HEAD", *common])):
                seconds, code, first = timed(command)
                if code != 0:
                    raise SystemExit(f"relc {name} exited {code}: {first}")
                best[name] = min(best.get(name, seconds), seconds)
        print(f"{'command':<28}{'best wall s':>12}")
        print(f"{'relc validate':<28}{best['validate']:>12.2f}")
        print(f"{'relc plan --base HEAD':<28}{best['plan']:>12.2f}")
        print(f"ratio plan / validate: {best['plan'] / best['validate']:.2f}")
    finally:
        if args.out is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
