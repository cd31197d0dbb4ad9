"""Test-only: run ``relc compile`` and SIGKILL it after it wrote ``argv[1]`` files into its staging tree.

A real kill -9 mid-write (no handler runs, no ``finally``), placed deterministically: the shipped relc has no
hook for it, so this wrapper wraps the one function that writes a file before calling relc's own ``main``.
Usage: python -m tests.compile.killed_compile N relc-compile-arguments...
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from compiler.cli import main
from compiler.emit import tree


def kill_after(count: int) -> tree.Writer:
    written: list[Path] = []

    def writer(path: Path, data: bytes) -> None:
        if len(written) == count:
            os.kill(os.getpid(), signal.SIGKILL)
        path.write_bytes(data)
        written.append(path)

    return writer


if __name__ == "__main__":
    tree._write_file = kill_after(int(sys.argv[1]))  # type: ignore[assignment]
    main(["compile", *sys.argv[2:]], prog_name="relc")
