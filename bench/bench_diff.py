"""Objects the API server accepts and diffs a reviewer can read, at scale (a script to run by hand, not a test).

    .venv/bin/python bench/bench_diff.py [--objects-tenants 10000] [--diff-tenants 3000] [--jobs N] [--out-base DIR]

1. Objects: one Instance with ``--objects-tenants`` tenants (bench/fleetgen.py, 20 services, 4 candidates) is
   compiled with the real CLI; every rendered document is measured as the API server would store it (its JSON)
   and every ConfigMap by its data (keys and values). Fails (exit 1) when a ConfigMap's data reaches 1 MiB or
   any object 1.5 MiB (etcd's request limit), and prints the largest of each with the number of shards.
2. Diff: one Instance with ``--diff-tenants`` tenants is compiled into a real git repository and committed; one
   tenant's pin moves (``spec.releaseCandidate``, the one-line change of a pull request) and the fleet is compiled
   again. Prints the size of ``git diff`` and its longest line, in total and per file, so the part the tenant's
   own files take (its Jobs and routes, which must change) shows apart from the shared files (registry, routing).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleetgen import generate

RELC = str(Path(sys.executable).with_name("relc"))
CONFIGMAP_DATA_LIMIT = 1_048_576  # Kubernetes: a ConfigMap's data
OBJECT_LIMIT = 1_572_864  # etcd's default request size (--max-request-bytes 1.5 MiB)


def compile_fleet(root: Path, jobs: int) -> float:
    start = time.perf_counter()
    subprocess.run([RELC, "compile", "--root", str(root), "--jobs", str(jobs)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


PRECISE_FROM = 256 * 1024
"""Documents whose YAML text is shorter are not parsed: their JSON is at most about as long as their YAML (block
style spends indentation where JSON spends quotes), so they are far below the limits. Parsing all of them would
mean reading ~1.3 GB of YAML at 10,000 tenants."""


def _documents(text: str) -> list[str]:
    return [doc for doc in text.split("\n---\n") if doc.strip() not in {"", "---"}]


def measure_objects(root: Path) -> tuple[int, str, int, str, int]:
    """(largest object bytes, its file, largest ConfigMap data bytes, its name, ConfigMaps measured precisely).

    An object's size is its compact JSON (what the API server stores, near enough); a ConfigMap's data is the
    bytes of its keys and values (what the 1 MiB limit counts)."""
    largest = (0, "")
    data_largest = (0, "")
    configmaps = 0
    for path in sorted((root / "rendered").rglob("*.yaml")):
        if path.name in {"Chart.yaml", "values.yaml"}:
            continue  # Helm's input, not an object the API server stores
        for text in _documents(path.read_text(encoding="utf-8")):
            where = str(path.relative_to(root))
            if len(text) < PRECISE_FROM and "\nkind: ConfigMap\n" not in f"\n{text}":
                largest = max(largest, (len(text), where))
                continue
            doc = yaml.load(text, Loader=yaml.CSafeLoader)
            largest = max(largest, (len(json.dumps(doc, separators=(",", ":")).encode()), where))
            if doc.get("kind") == "ConfigMap":
                configmaps += 1
                data = doc.get("data") or {}
                data_size = sum(len(k.encode()) + len(str(v).encode()) for k, v in data.items())
                data_largest = max(data_largest, (data_size, doc["metadata"]["name"]))
    return largest[0], largest[1], data_largest[0], data_largest[1], configmaps


def git(root: Path, *args: str) -> str:
    command = ["git", "-C", str(root), "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def measure_diff(root: Path, jobs: int) -> tuple[str, dict[str, tuple[int, int]]]:
    """Move one tenant's pin in a committed, compiled fleet; the diff and (bytes, longest line) per file."""
    git(root, "init", "-q")
    compile_fleet(root, jobs)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the fleet")
    tenant = root / "tenants" / "inst-00" / "tenant-01000.yaml"
    text = tenant.read_text(encoding="utf-8")
    pinned = next(line for line in text.splitlines() if line.startswith("  releaseCandidate: "))
    moved = "r01" if pinned.endswith("r00") else "r00"
    tenant.write_text(text.replace(pinned, f"  releaseCandidate: {moved}"), encoding="utf-8")
    compile_fleet(root, jobs)
    diff = git(root, "diff")
    per_file: dict[str, tuple[int, int]] = {}
    for chunk in diff.split("diff --git ")[1:]:
        name = chunk.split(" b/", 1)[1].split("\n", 1)[0]
        per_file[name] = (len(("diff --git " + chunk).encode()), max(len(line) for line in chunk.splitlines()))
    return diff, per_file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects-tenants", type=int, default=10_000)
    parser.add_argument("--diff-tenants", type=int, default=3_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out-base", type=Path, default=None)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="relc-bench-diff-", dir=args.out_base))
    failed = False
    try:
        fleet = generate(base / "objects", tenant_count=args.objects_tenants, instance_count=1)
        seconds = compile_fleet(fleet, args.jobs)
        size, where, data, name, configmaps = measure_objects(fleet)
        print(f"objects: {args.objects_tenants} tenants in one Instance, compiled in {seconds:.1f} s")
        print(f"  largest object: {size} bytes ({where}); limit {OBJECT_LIMIT}")
        print(f"  largest ConfigMap data: {data} bytes ({name}) of {configmaps}; limit {CONFIGMAP_DATA_LIMIT}")
        failed = size >= OBJECT_LIMIT or data >= CONFIGMAP_DATA_LIMIT
        shutil.rmtree(fleet)

        fleet = generate(base / "diff", tenant_count=args.diff_tenants, instance_count=1)
        diff, per_file = measure_diff(fleet, args.jobs)
        longest = max(line for _, line in per_file.values())
        print(f"diff: one pin moved at {args.diff_tenants} tenants in one Instance")
        print(f"  git diff: {len(diff.encode())} bytes in {len(per_file)} files, longest line {longest} characters")
        for file, (nbytes, line) in sorted(per_file.items(), key=lambda item: -item[1][0]):
            print(f"  {nbytes:>8} bytes  longest {line:>4}  {file}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if failed:
        print("FAILED: an object over the API server's limits", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
