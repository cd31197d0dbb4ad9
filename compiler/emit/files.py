"""Writing a few whole files into a folder others write too (``relc schema``): each file complete or not at all.

Why not :func:`.tree.replace_tree`: schemas/ is not relc's alone (a README may sit beside the schemas), so
nothing there is pruned and only the files named are replaced. Why staged: a full disk or a kill must never
leave a truncated schema for an editor (or ``git add -A``) to pick up. So every file is first written in the
same ``.relc-staging/`` area compile uses (beside the folder, ignored by git, cleaned after dead processes),
and only when all are written is each renamed over its old version, one atomic rename per file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from compiler.diagnostics import EnvironmentFailure
from compiler.emit.tree import STAGING_AREA, clean_up, staging_area


def replace_files(folder: Path, contents: Mapping[str, bytes]) -> list[Path]:
    """Write ``contents`` (file name → bytes) into ``folder``, each file replaced whole; return their paths.

    The machine failing raises :class:`EnvironmentFailure` naming the file and saying what became of the folder.
    """
    unchanged = f"{folder}/ is unchanged (the files were being written in {STAGING_AREA}/ beside it, then removed)."
    area = staging_area(folder.parent, unchanged)
    staging = area / f"{folder.name}-{os.getpid()}"
    done: list[Path] = []
    try:
        writing: Path | None = None  # the file being written, named in place of its staging copy
        try:
            staging.mkdir()
            for name, data in contents.items():
                writing = folder / name
                (staging / name).write_bytes(data)
            writing = None
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EnvironmentFailure.of(exc, "write", writing or exc.filename or folder, unchanged) from exc
        for name in contents:
            try:
                os.replace(staging / name, folder / name)
            except OSError as exc:
                outcome = f"{len(done)} of {len(contents)} files were replaced, each whole; the rest are as they were."
                raise EnvironmentFailure.of(exc, "write", folder / name, outcome) from exc
            done.append(folder / name)
    finally:
        clean_up(area, staging, unchanged if not done else f"{len(done)} of {len(contents)} files were replaced.")
    return done
