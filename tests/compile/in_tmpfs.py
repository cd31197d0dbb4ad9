"""Test-only: run ``relc compile`` twice with its output on a small tmpfs that fails the second run.

Run inside a private mount namespace (``unshare --mount --propagation private``) so the tmpfs exists only for
this process and vanishes with it, even if it is killed: nothing is mounted on the machine the tests run on.
The first compile fills ``MOUNT/rendered``; then the filesystem is remounted read-only (``readonly``) or filled
up but for ``--spare`` pages (``full``); the fleet is edited so the second compile has files to write; a JSON
report on stdout gives both runs and a digest of the output before and after the second one.

Usage: python -m tests.compile.in_tmpfs MODE MOUNT FLEET EDIT_FILE OLD NEW -- relc-compile-arguments...
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.compile.util import digest

SIZE = "8m"
SPARE_PAGES = 2


def relc(*args: str) -> dict[str, Any]:
    binary = Path(sys.executable).parent / "relc"
    done = subprocess.run([str(binary), "compile", *args], capture_output=True, text=True, check=False)
    return {"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def fill(mount: Path, spare: int) -> None:
    """Leave ``spare`` free pages: a file as large as the free space minus those."""
    stat = os.statvfs(mount)
    size = stat.f_bavail * stat.f_frsize - spare * os.sysconf("SC_PAGE_SIZE")
    with open(mount / "filler", "wb") as f:
        f.write(b"\0" * size)


def main(mode: str, mount: Path, edit: Path, old: str, new: str, args: list[str]) -> dict[str, Any]:
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(mount)], check=True)
    out = mount / "rendered"
    first = relc(*args, "--out", str(out))
    before = digest(out)
    if mode == "readonly":
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
    else:
        fill(mount, SPARE_PAGES)
    edit.write_text(edit.read_text().replace(old, new))
    second = relc(*args, "--out", str(out))
    return {
        "first": first,
        "second": second,
        "before": before,
        "after": digest(out),
        "beside": sorted(p.name for p in mount.iterdir()),
    }


if __name__ == "__main__":
    mode, mount, edit, old, new, dashes, *rest = sys.argv[1:]
    assert mode in ("readonly", "full") and dashes == "--"
    print(json.dumps(main(mode, Path(mount), Path(edit), old, new, rest)))
