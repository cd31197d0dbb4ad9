"""Helpers for compile tests: run the real CLI, snapshot a folder byte for byte."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from click.testing import CliRunner, Result

from compiler.cli import main
from compiler.render.output import RenderedFile
from tests.conftest import TODAY


def relc(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def compile_fleet(root: Path, *extra: str) -> Result:
    return relc("compile", "--root", str(root), "--today", TODAY, *extra)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative POSIX path → bytes); directories without files do not count."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def siblings(folder: Path) -> list[str]:
    """Names next to ``folder``: a compile must leave nothing (no staging directory) beside rendered/."""
    return sorted(p.name for p in folder.parent.iterdir())


def raw_files(contents: dict[str, bytes]) -> list[RenderedFile]:
    """Files for replace_tree and compare given as path → bytes, in path order (as render_all returns them)."""
    return [RenderedFile(path, raw=data) for path, data in sorted(contents.items())]


def digest(folder: Path) -> str:
    """One hash of everything under ``folder``: paths, kinds, file bytes, link targets, empty folders included,
    so "unchanged" means byte for byte, not just "the same files"."""
    sha = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            path = Path(dirpath, name)
            rel = path.relative_to(folder).as_posix().encode()
            if path.is_symlink():
                sha.update(b"L" + rel + b"\0" + os.fsencode(os.readlink(path)) + b"\0")
            elif path.is_dir():
                sha.update(b"D" + rel + b"\0")
            else:
                sha.update(b"F" + rel + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return sha.hexdigest()
