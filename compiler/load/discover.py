"""The loader's filesystem edge: find the fleet's YAML files and read them, refusing anything unsafe.

Everything here touches the disk; everything after it works on :class:`SourceFile` values.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from compiler.diagnostics import Diagnostic
from compiler.load.documents import SourceFile
from compiler.load.yamlread import DEFAULT_LIMITS, Limits

FLEET_FOLDERS = ("blueprints", "releases", "instances", "tenants")
YAML_SUFFIXES = (".yaml", ".yml")


def _walk(folder: Path) -> Iterable[Path]:
    """Every entry below ``folder`` (hidden ones skipped), without following directory symlinks."""
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath, name)


def read_fleet(root: Path, limits: Limits = DEFAULT_LIMITS) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Read the YAML files of the fleet folders under ``root``, sorted by path so order never matters."""
    sources: list[SourceFile] = []
    problems: list[Diagnostic] = []
    for folder in FLEET_FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in _walk(base):
            if path.suffix not in YAML_SUFFIXES:
                continue
            rel = path.relative_to(root).as_posix()
            source, problem = _read_one(path, rel, limits)
            if source is not None:
                sources.append(source)
            if problem is not None:
                problems.append(problem)
    sources.sort(key=lambda s: s.path)
    return sources, problems


def _read_one(path: Path, rel: str, limits: Limits) -> tuple[SourceFile | None, Diagnostic | None]:
    if path.is_symlink():
        return None, Diagnostic(
            rel,
            0,
            0,
            "RLC103",
            "the file is a symbolic link",
            "replace the link with the file itself: links can point outside the fleet repository",
        )
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        return None, Diagnostic(
            rel,
            0,
            0,
            "RLC103",
            "not a regular file (a named pipe, socket or device)",
            "remove it from the fleet repository: reading it could block or never end",
        )
    size = info.st_size
    if size > limits.max_bytes:
        return None, Diagnostic(
            rel,
            0,
            0,
            "RLC103",
            f"file is {size} bytes, over the {limits.max_bytes}-byte limit",
            "split the object or move bulky data out of the fleet repository",
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return None, Diagnostic(
            rel,
            line,
            0,
            "RLC101",
            f"the file is not UTF-8 text (byte {exc.start})",
            "save the file as UTF-8",
        )
    return SourceFile(rel, text.removeprefix("\ufeff")), None
