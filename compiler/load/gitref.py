"""The loader's git edge: the fleet as a commit holds it, read from git's objects without a checkout.

Why: ``relc plan`` and ``relc validate --base`` compare the working tree with a base commit (the merge base with
``origin/main`` by default). A checkout would touch the user's working tree or need a second one; reading the
commit's objects needs neither. gitpython opens the repository and resolves the ref and the merge base; the
tree is listed with one ``git ls-tree -r --long`` and the blobs are read with one ``git cat-file --batch``
process (two processes for 10,000 files, instead of one object-database round trip per file). Blob bytes go
through the same refusals and decoding as the working tree's files (:mod:`compiler.load.discover`): the same
suffix rule (RLC110), links and submodules refused (RLC103), the size limit, UTF-8 (RLC101).
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import git

from compiler.diagnostics import Diagnostic, EnvironmentFailure, UsageError
from compiler.load.discover import (
    FLEET_FOLDERS,
    SETTINGS_FILE,
    decode,
    is_read,
    not_regular_problem,
    symlink_problem,
    too_big_problem,
)
from compiler.load.documents import SourceFile
from compiler.load.yamlread import DEFAULT_LIMITS, Limits

DEFAULT_BASES = ("origin/main", "main")
"""The branches the default base is the merge base with, the first that exists."""

_LINK_MODE = "120000"
_FILE_MODES = ("100644", "100755")


@dataclass(frozen=True, slots=True)
class Blob:
    mode: str
    kind: str
    """git's object type: blob, or commit for a submodule"""
    sha: str
    size: int


@dataclass(frozen=True, slots=True)
class CommitTree:
    """The fleet's files in one commit: fleet-relative path → blob (relc.yaml and the four fleet folders)."""

    repo: git.Repo
    commit: str
    label: str
    """what the user named (the ref, or 'merge base of HEAD and origin/main'), for messages"""
    prefix: str
    """the fleet root inside the repository ('' at its top, else 'sub/dir/')"""
    blobs: dict[str, Blob]

    def fleet_paths(self) -> list[str]:
        return sorted(p for p in self.blobs if p != SETTINGS_FILE)


def open_commit(root: Path, ref: str | None) -> CommitTree:
    """The fleet at ``ref`` (None: the merge base of HEAD with origin/main, else main) in the repository holding
    ``root``. A missing repository or an unknown ref is a usage error (exit 2) that says what to pass."""
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise UsageError(
            f"'{root}' is not inside a git repository, so there is no base to compare with",
            "run relc in the fleet's git repository (a clone; no checkout of the base is needed)",
        ) from exc
    commit, label = _resolve(repo, ref)
    top = Path(repo.working_tree_dir or root).resolve()
    try:
        inside = root.resolve().relative_to(top).as_posix()
    except ValueError:
        inside = "."
    prefix = "" if inside == "." else inside + "/"
    return CommitTree(repo, commit, label, prefix, _list(repo, commit, prefix))


def _resolve(repo: git.Repo, ref: str | None) -> tuple[str, str]:
    if ref is not None:
        try:
            return repo.commit(ref).hexsha, ref
        except (git.BadName, git.BadObject, ValueError, git.GitCommandError) as exc:
            raise UsageError(
                f"git ref '{ref}' does not name a commit in {repo.working_tree_dir}",
                "pass --base a branch, tag or commit that exists (git fetch it first in a shallow CI clone)",
            ) from exc
    try:
        head = repo.head.commit
    except ValueError as exc:  # a repository without commits
        raise UsageError(
            "the repository has no commit yet, so there is no base", "commit first, or pass --base"
        ) from exc
    for branch in DEFAULT_BASES:
        try:
            other = repo.commit(branch)
        except (git.BadName, git.BadObject, ValueError, git.GitCommandError):
            continue
        bases = repo.merge_base(head, other)
        if bases:
            return bases[0].hexsha, f"the merge base of HEAD and {branch}"
    raise UsageError(
        f"no base to compare with: neither {' nor '.join(DEFAULT_BASES)} exists in {repo.working_tree_dir}",
        "pass --base REF (a branch, tag or commit), or fetch origin/main",
    )


def _list(repo: git.Repo, commit: str, prefix: str) -> dict[str, Blob]:
    """One ``git ls-tree -r --long``: every file under the fleet folders and relc.yaml, hidden entries skipped
    as the working tree's walk skips them."""
    wanted = [f"{prefix}{f}" for f in (*FLEET_FOLDERS, SETTINGS_FILE)]
    out = _git(repo, ["ls-tree", "-r", "-z", "--long", "--full-tree", commit, "--", *wanted])
    blobs: dict[str, Blob] = {}
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, kind, sha, size = meta.decode("ascii").split()
        path = raw_path.decode("utf-8", "surrogateescape")[len(prefix) :]
        if any(part.startswith(".") for part in path.split("/")):
            continue
        blobs[path] = Blob(mode, kind, sha, int(size) if size.isdigit() else 0)
    return blobs


def _git(repo: git.Repo, args: list[str], stdin: bytes | None = None) -> bytes:
    command = [git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git", *args]
    try:
        done = subprocess.run(command, cwd=repo.working_tree_dir, input=stdin, capture_output=True, check=False)
    except OSError as exc:
        raise EnvironmentFailure.of(exc, "run", Path(command[0])) from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise UsageError(f"git {args[0]} failed: {message}", "check the repository with git fsck")
    return done.stdout


def read_sources(
    tree: CommitTree, paths: Iterable[str], limits: Limits = DEFAULT_LIMITS
) -> tuple[list[SourceFile], list[Diagnostic]]:
    """The files at ``paths`` (fleet-relative) of the commit, refused and decoded exactly as the working tree's
    files are, sorted by path. Blobs are read through one ``git cat-file --batch``."""
    problems: list[Diagnostic] = []
    wanted: list[tuple[str, Blob]] = []
    for path in sorted(set(paths)):
        blob = tree.blobs.get(path)
        if blob is None:
            continue
        if path != SETTINGS_FILE and not is_read(path.rsplit("/", 1)[-1], path, problems):
            continue
        if blob.mode == _LINK_MODE:
            problems.append(symlink_problem(path))
        elif blob.kind != "blob" or blob.mode not in _FILE_MODES:
            problems.append(not_regular_problem(path))
        elif blob.size > limits.max_bytes:
            problems.append(too_big_problem(path, blob.size, limits))
        else:
            wanted.append((path, blob))
    sources: list[SourceFile] = []
    for (path, _), raw in zip(wanted, _cat(tree.repo, [b.sha for _, b in wanted]), strict=True):
        source, problem = decode(raw, path)
        if source is not None:
            sources.append(source)
        if problem is not None:
            problems.append(problem)
    return sources, problems


def read_fleet_at(
    tree: CommitTree, limits: Limits = DEFAULT_LIMITS
) -> tuple[list[SourceFile], SourceFile | None, list[Diagnostic]]:
    """The whole fleet of the commit, as :func:`compiler.load.discover.read_fleet` reads the working tree's:
    (fleet sources, relc.yaml or None, problems)."""
    sources, problems = read_sources(tree, [*tree.fleet_paths(), SETTINGS_FILE], limits)
    settings = next((s for s in sources if s.path == SETTINGS_FILE), None)
    return [s for s in sources if s.path != SETTINGS_FILE], settings, problems


def _cat(repo: git.Repo, shas: list[str]) -> list[bytes]:
    """Each object's bytes, in order, from one ``git cat-file --batch`` (``<sha> <type> <size>\\n<bytes>\\n``)."""
    if not shas:
        return []
    out = _git(repo, ["cat-file", "--batch"], ("\n".join(shas) + "\n").encode("ascii"))
    found: list[bytes] = []
    at = 0
    for _ in shas:
        end = out.index(b"\n", at)
        header = out[at:end].split()
        if len(header) != 3:  # "<sha> missing": a damaged or partial clone
            raise UsageError(f"git object {header[0].decode()} is missing", "fetch the base commit again (git fetch)")
        size = int(header[2])
        found.append(out[end + 1 : end + 1 + size])
        at = end + 1 + size + 1
    return found


def blob_sha(text: str) -> str:
    """The git blob id of a working-tree file's text (as read: UTF-8, BOM dropped): equal to the commit's blob
    id exactly when the file is unchanged, so the base is read only where it differs."""
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
