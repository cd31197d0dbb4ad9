"""``relc compile``: analyse → render → write or check rendered/. Called by :func:`compiler.app.compile`.

Order matters for atomicity: the fleet is validated and every section is rendered before the disk is touched
(tenants' documents only as far as their paths: they are rendered by the emit workers), so an invalid fleet or
a template error writes nothing; whatever fails later (a worker's render or write) leaves only the staging tree,
which is removed; then :func:`replace_tree` swaps the new tree in as one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from compiler.diagnostics import Diagnostic, UsageError
from compiler.emit.tree import Delta, Writer, compare, replace_tree, unified_diff
from compiler.fanout import EMIT_THRESHOLD
from compiler.model.settings import SETTINGS_FILE
from compiler.render.output import RenderedFile

FOREIGN = (".git", SETTINGS_FILE, "blueprints", "releases")
"""Entries a rendered folder never holds: finding one means --out names something else, which we must not replace."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where rendered/ lives (``path``) and how reports name it (``shown``, relative to the fleet root)."""

    path: Path
    shown: str


def target_for(root: Path, out: Path | None, rendered_path: str) -> Target:
    """``--out`` or the settings' renderedPath under ``root``; refuses a folder that holds the fleet itself."""
    path = out if out is not None else root / rendered_path
    resolved, fleet = path.resolve(), root.resolve()
    if resolved == fleet or fleet.is_relative_to(resolved):
        raise UsageError(f"output folder '{path}' contains the fleet", "pass --out naming a folder of its own")
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise UsageError(f"output folder '{path}' is not a directory", "remove it or pass another --out")
    for name in FOREIGN:
        if (path / name).exists():
            raise UsageError(
                f"output folder '{path}' holds {name}, which relc never writes",
                "pass --out naming the rendered folder: relc replaces its whole content",
            )
    try:
        shown = resolved.relative_to(fleet).as_posix()
    except ValueError:
        shown = path.as_posix()
    return Target(path, shown)


def stale_diagnostics(target: Target, delta: Delta) -> list[Diagnostic]:
    """One RLC803 per file that differs (a stale one at its first differing line)."""
    hint = "run 'relc compile' and commit rendered/ (make golden)"
    found = [
        Diagnostic(f"{target.shown}/{p}", 0, 0, "RLC803", "missing: the inputs compile to this file", hint)
        for p in delta.missing
    ]
    found += [
        Diagnostic(
            f"{target.shown}/{p}",
            delta.first_lines.get(p, 0),
            1 if p in delta.first_lines else 0,
            "RLC803",
            "stale: differs from what the inputs compile to",
            hint,
        )
        for p in delta.stale
    ]
    found += [
        Diagnostic(f"{target.shown}/{p}", 0, 0, "RLC803", "extra: the inputs no longer produce this file", hint)
        for p in delta.extra
    ]
    return found


def check(
    target: Target, files: Sequence[RenderedFile], err: TextIO, *, workers: int, threshold: int = EMIT_THRESHOLD
) -> tuple[Delta, list[Diagnostic]]:
    """--check: compare file by file, write nothing; print short diffs of the first few stale files to ``err``.

    ``workers`` processes share the work once there are ``threshold`` files (:mod:`compiler.fanout`).
    """
    delta = compare(target.path, files, workers=workers, threshold=threshold)
    for path, old, new in delta.diffs:
        err.write(unified_diff(f"{target.shown}/{path}", old, new))
    return delta, stale_diagnostics(target, delta)


def write(
    target: Target,
    files: Sequence[RenderedFile],
    *,
    workers: int,
    threshold: int = EMIT_THRESHOLD,
    writer: Writer | None = None,
) -> Delta:
    """Replace rendered/ with ``files`` (nothing is swapped when it already matches); return what changed.

    ``workers`` processes share the work once there are ``threshold`` files (:mod:`compiler.fanout`).
    """
    return replace_tree(target.path, files, workers=workers, threshold=threshold, writer=writer)
