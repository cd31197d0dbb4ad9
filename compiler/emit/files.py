"""Writing a few whole files into folders others write too (``relc schema``, ``relc pin``/``promote``/``tenant``):
each file complete or not at all.

Why not :func:`.tree.replace_tree`: schemas/ and tenants/ are not relc's alone (a README may sit beside the
schemas, people edit the tenants), so nothing there is pruned and only the files named are replaced. Why staged: a
full disk or a kill must never leave a truncated schema for an editor (or a truncated tenant for ``git add -A``) to
pick up. So every file is first written in the same ``.relc-staging/`` area compile uses (ignored by git, cleaned
after dead processes), and only when all are written is each renamed over its old version, one atomic rename per
file. A replaced file keeps its permission bits (a group-writable tenant file stays group-writable).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from compiler.diagnostics import EnvironmentFailure
from compiler.emit.tree import STAGING_AREA, clean_up, staging_area


def replace_files(folder: Path, contents: Mapping[str, bytes]) -> list[Path]:
    """Write ``contents`` (file name → bytes) into ``folder``, each file replaced whole; return their paths."""
    unchanged = f"{folder}/ is unchanged (the files were being written in {STAGING_AREA}/ beside it, then removed)."
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvironmentFailure.of(exc, "create", exc.filename or folder, unchanged) from exc
    return replace_paths(folder.parent, {f"{folder.name}/{name}": data for name, data in contents.items()}, unchanged)


def replace_paths(base: Path, contents: Mapping[str, bytes | None], unchanged: str = "") -> list[Path]:
    """Write ``contents`` (``base``-relative path → bytes; None: delete the file) into existing folders, each
    file replaced whole, and return the paths written or deleted. Staged in ``base``/.relc-staging/, so the
    renames stay on ``base``'s filesystem.

    The machine failing raises :class:`EnvironmentFailure` naming the file and saying what became of the others
    (``unchanged``: what to say when none was touched).
    """
    unchanged = unchanged or f"No file was changed (they were written in {base}/{STAGING_AREA}/ first, then removed)."
    area = staging_area(base, unchanged)
    staging = area / f"files-{os.getpid()}"
    done: list[Path] = []
    try:
        writing: Path | None = None  # the file being written, named in place of its staging copy
        try:
            staging.mkdir()
            for number, (rel, data) in enumerate(contents.items()):
                if data is None:
                    continue
                writing = base / rel
                staged = staging / str(number)
                staged.write_bytes(data)
                _keep_mode(writing, staged)
            writing = None
        except OSError as exc:
            raise EnvironmentFailure.of(exc, "write", writing or exc.filename or base, unchanged) from exc
        for number, (rel, data) in enumerate(contents.items()):
            try:
                if data is None:
                    (base / rel).unlink()
                else:
                    os.replace(staging / str(number), base / rel)
            except OSError as exc:
                outcome = f"{len(done)} of {len(contents)} files were changed, each whole; the rest are as they were."
                raise EnvironmentFailure.of(exc, "write", base / rel, outcome) from exc
            done.append(base / rel)
    finally:
        clean_up(area, staging, unchanged if not done else f"{len(done)} of {len(contents)} files were changed.")
    return done


def _keep_mode(target: Path, staged: Path) -> None:
    """Give the staged copy ``target``'s permission bits, if ``target`` exists (a new file gets the umask's)."""
    try:
        mode = stat.S_IMODE(os.stat(target, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return
    os.chmod(staged, mode)
