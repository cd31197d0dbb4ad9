"""Benchmark ``relc report`` on the 10k-tenant benchmark fleet: writing it, and loading its pages in chromium.

    .venv/bin/python bench/bench_report.py [--tenants 10000] [--repeat 3] [--fleet DIR]

Writing: the real CLI as a child process (interpreter start-up and imports included), best wall time and CPU
time (which load elsewhere on the machine changes least) of --repeat interleaved runs per format, beside the
floor measured in the same run: ``relc validate`` on the same fleet, the load-resolve-validate every report
starts with. The report's own cost is the difference.

Loading: each HTML page opened in headless chromium (Debian's package, driven over the DevTools pipe like the
browser tests), navigation start to the end of the load event (the matrix script has drawn its first page by
then), best of --repeat, beside the floor: an empty page loaded by the same browser.

Run it on a quiet machine: on 2 shared cores any other load shows directly in the wall times.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from fleetgen import generate  # noqa: E402

from tests.report.cdp import Chromium, find_chromium  # noqa: E402

RELC = str(Path(sys.executable).with_name("relc"))
TODAY = "2026-11-22"


def timed(argv: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run: CPU time is what load elsewhere on the machine changes least."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fleet", type=Path, default=None, help="an existing fleet (default: generate one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="relc-bench-report-") as tmp:
        work = Path(tmp)
        fleet = args.fleet or generate(work / "fleet", tenant_count=args.tenants)
        print(f"fleet: {fleet} ({sum(1 for _ in (fleet / 'tenants').rglob('*.yaml'))} tenants)")
        floor_name = "relc validate (floor)"
        commands = {floor_name: [RELC, "validate", "--today", TODAY]}
        outs = {f"relc report --format {fmt}": work / f"report-{fmt}" for fmt in ("html", "markdown", "json")}
        for name, out in outs.items():
            commands[name] = [RELC, "report", "--today", TODAY, "--format", name.split()[-1], "--out", str(out)]
        best = dict.fromkeys(commands, (float("inf"), float("inf")))
        for _ in range(args.repeat):  # interleaved, so a burst of load elsewhere hits every command alike
            for name, argv in commands.items():
                best[name] = min(best[name], timed(argv, fleet))
        floor, floor_cpu = best[floor_name]
        print(f"{'command':<34} {'wall s':>7} {'- floor':>8} {'CPU s':>7} {'- floor':>8} {'written':>9}")
        print(f"{floor_name:<34} {floor:>7.2f} {'':>8} {floor_cpu:>7.2f}")
        for name, out in outs.items():
            wall, cpu = best[name]
            size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
            print(f"{name:<34} {wall:>7.2f} {wall - floor:>8.2f} {cpu:>7.2f} {cpu - floor_cpu:>8.2f} {size:>6.1f} MB")
        chromium = find_chromium()
        if chromium is None:
            print("chromium is not installed (apt-get install chromium): page loads not measured")
            return
        blank = work / "blank.html"
        blank.write_text("<!DOCTYPE html><title>floor</title>")
        site = work / "report-html"
        pages = [blank, site / "index.html", *sorted((site / "instance").glob("*.html"))]
        pages.append(sorted((site / "candidate").glob("*.html"))[0])
        print(f"\n{'page':<34} {'bytes':>10} {'best load s':>12}")
        with Chromium(chromium) as browser:
            for page in pages:
                loads = [browser.open(page.as_uri()) for _ in range(args.repeat)]
                errors = browser.errors()
                name = "empty page (floor)" if page == blank else page.relative_to(site).as_posix()
                note = f"   console errors: {errors}" if errors else ""
                print(f"{name:<34} {page.stat().st_size:>10} {min(loads):>12.3f}{note}")


if __name__ == "__main__":
    main()
