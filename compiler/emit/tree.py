"""The only module that writes rendered/: serialise, compare, and swap the whole tree in atomically.

Why a swap and not file-by-file writes: a compile that fails midway (disk full, a bug, Ctrl-C) must leave
rendered/ exactly as it was, and a compile must prune what it no longer produces. So the new tree is built in a
sibling staging directory on the same filesystem and exchanged with rendered/ in one ``renameat2(RENAME_EXCHANGE)``
(Linux; elsewhere two renames, leaving a window of a few microseconds without rendered/). The old tree and any
staging directory are removed afterwards, success or failure. Nothing changes when the content is identical.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import difflib
import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from compiler.emit.yamlout import Emitter
from compiler.render.output import RenderedFile, safe_path

Contents = dict[str, bytes]
"""rendered/-relative POSIX path → file bytes."""

Writer = Callable[[Path, bytes], None]

_STAGING_PREFIX = ".relc-staging-"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class DuplicateOutput(ValueError):
    """Two render sections produced the same path: a bug in relc, never an input problem."""

    def __init__(self, path: str) -> None:
        super().__init__(f"two render sections produced {path}")
        self.path = path


def serialise(files: Iterable[RenderedFile]) -> Contents:
    """Every file's bytes, keyed by path. Pure: nothing is written."""
    emitter = Emitter()
    out: Contents = {}
    for f in files:
        if f.path in out:
            raise DuplicateOutput(f.path)
        out[f.path] = f.raw if f.raw is not None else emitter.documents(f.documents)
    return dict(sorted(out.items()))


def read_tree(root: Path) -> Contents:
    """The files under ``root`` (an absent root is empty), keyed by POSIX path relative to it."""
    found: Contents = {}
    if not root.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        base = Path(dirpath)
        for name in sorted(filenames):
            path = base / name
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


@dataclass(frozen=True, slots=True)
class Delta:
    """How rendered/ on disk differs from what the inputs compile to."""

    missing: tuple[str, ...]
    stale: tuple[str, ...]
    extra: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)

    def summary(self) -> str:
        return f"{len(self.missing)} added, {len(self.stale)} changed, {len(self.extra)} removed"


def compare(wanted: Mapping[str, bytes], actual: Mapping[str, bytes]) -> Delta:
    return Delta(
        missing=tuple(sorted(p for p in wanted if p not in actual)),
        stale=tuple(sorted(p for p in wanted if p in actual and actual[p] != wanted[p])),
        extra=tuple(sorted(p for p in actual if p not in wanted)),
    )


def first_difference(old: bytes, new: bytes) -> int:
    """1-based line of the first difference between two versions of a file (for the diagnostic's position)."""
    for number, (a, b) in enumerate(zip(old.splitlines(), new.splitlines(), strict=False), start=1):
        if a != b:
            return number
    return min(old.count(b"\n"), new.count(b"\n")) + 1


def unified_diff(path: str, old: bytes, new: bytes, max_lines: int = 40) -> str:
    """A short unified diff (on disk → expected), cut at ``max_lines`` so CI logs stay readable."""
    lines = list(
        difflib.unified_diff(
            old.decode("utf-8", "replace").splitlines(),
            new.decode("utf-8", "replace").splitlines(),
            f"a/{path} (on disk)",
            f"b/{path} (compiled)",
            n=2,
            lineterm="",
        )
    )
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"... ({len(lines) - max_lines} more diff lines)"]
    return "\n".join(lines) + "\n"


# --- writing ------------------------------------------------------------------------------------------------


def _write_file(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def replace_tree(
    target: Path,
    contents: Mapping[str, bytes],
    *,
    before: Mapping[str, bytes] | None = None,
    writer: Writer | None = None,
) -> bool:
    """Make ``target`` hold exactly ``contents``; return whether anything changed.

    ``before`` is what the caller already read from ``target`` (read here if not given); ``writer`` writes one
    file: tests inject a failing one to prove a failure midway changes nothing.
    """
    current = read_tree(target) if before is None else before
    if target.is_dir() and compare(contents, current).clean:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f"{_STAGING_PREFIX}{target.name}-{os.getpid()}"
    _remove(staging)
    try:
        _build(staging, contents, writer or _write_file)
        if target.is_dir():
            _exchange(staging, target)  # staging now holds the old tree, removed below
        else:
            os.rename(staging, target)
    finally:
        _remove(staging)
    return True


def _build(staging: Path, contents: Mapping[str, bytes], writer: Writer) -> None:
    staging.mkdir()
    made: set[Path] = {staging}
    for rel, data in contents.items():
        path = staging / safe_path(rel)
        parent = path.parent
        if parent not in made:
            parent.mkdir(parents=True, exist_ok=True)
            made.add(parent)
        writer(path, data)


def _exchange(new: Path, old: Path) -> None:
    """Swap two directories atomically (renameat2 RENAME_EXCHANGE), or by two renames where unsupported."""
    if _renameat2(new, old):
        return
    aside = old.parent / f"{_STAGING_PREFIX}{old.name}-{os.getpid()}-old"
    os.rename(old, aside)
    try:
        os.rename(new, old)
    except OSError:
        os.rename(aside, old)
        raise
    os.rename(aside, new)


def _renameat2(a: Path, b: Path) -> bool:
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name, use_errno=True)
    func = getattr(libc, "renameat2", None)
    if func is None:
        return False
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    if func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the filesystem or kernel cannot exchange
        return False
    raise OSError(errno, os.strerror(errno), str(b))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
