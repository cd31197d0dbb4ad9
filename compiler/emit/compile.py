"""``relc compile``: analyse → render → write or check rendered/. Called by :func:`compiler.app.compile`.

Order matters for atomicity: the fleet is validated and every section is rendered before the disk is touched
(tenants' documents only as far as their paths: they are rendered by the emit workers), so an invalid fleet or
a template error writes nothing; whatever fails later (a worker's render or write) leaves only the staging tree,
which is removed; then :func:`replace_tree` swaps the new tree in as one step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TextIO

from compiler.diagnostics import Diagnostic
from compiler.emit.outdir import MARKER, Target, marker_file, target_for
from compiler.emit.tree import Delta, Writer, compare, replace_tree, unified_diff
from compiler.fanout import EMIT_THRESHOLD
from compiler.render.output import RenderedFile

__all__ = ["Target", "check", "stale_diagnostics", "target_for", "undeployed", "write"]

_CANDIDATE_APP = re.compile(r"instances/([^/]+)/argocd/candidates/([^/]+)\.yaml\Z")
"""A deployed candidate's Application (compiler.render.argocd): the file exists exactly while it is deployed."""


def undeployed(delta: Delta) -> list[str]:
    """ "<candidate> will be undeployed from <instance>" for each candidate Application the new tree drops: what
    Argo CD deletes (with its namespace and Deployments) once the change is merged, said where it is compiled."""
    found = (m.groups() for p in delta.extra if (m := _CANDIDATE_APP.match(p)))
    return [f"{candidate} will be undeployed from {instance}" for instance, candidate in sorted(found)]


def stale_diagnostics(target: Target, delta: Delta) -> list[Diagnostic]:
    """One RLC803 per file that differs (a stale one at its first differing line)."""
    hint = "run 'relc compile' and commit rendered/ (make golden)"
    unmarked = (
        f"{target.shown}/ lacks relc's mark, so 'relc compile' will refuse it: if relc wrote it, delete it, then"
        " run 'relc compile' and commit rendered/ (make golden)"
    )
    found = [
        Diagnostic(
            f"{target.shown}/{p}",
            0,
            0,
            "RLC803",
            "missing: the inputs compile to this file",
            unmarked if p == MARKER else hint,
        )
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
    target: Target,
    files: Sequence[RenderedFile],
    err: TextIO,
    *,
    workers: int,
    threshold: int = EMIT_THRESHOLD,
    heartbeat: Callable[[], None] | None = None,
) -> tuple[Delta, list[Diagnostic]]:
    """--check: compare file by file, write nothing; print short diffs of the first few stale files to ``err``.

    ``workers`` processes share the work once there are ``threshold`` files (:mod:`compiler.fanout`).
    """
    delta = compare(target.path, [*files, marker_file()], workers=workers, threshold=threshold, heartbeat=heartbeat)
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
    heartbeat: Callable[[], None] | None = None,
) -> Delta:
    """Replace rendered/ with ``files`` and the marker (nothing is swapped when it already matches); return what
    changed. ``target`` must come from :func:`target_for` with ``writing``: that is what makes replacing it safe.

    ``workers`` processes share the work once there are ``threshold`` files (:mod:`compiler.fanout`);
    ``heartbeat`` is called while the parent waits for them (the progress line).
    """
    return replace_tree(
        target.path,
        [*files, marker_file()],
        workers=workers,
        threshold=threshold,
        writer=writer,
        shown=target.shown,
        heartbeat=heartbeat,
    )
