"""The base fleet of a change: the working tree's fleet with the files the base commit holds differently.

Why not read and type the whole commit: a pull request changes a handful of files, and typing is pure and per
file. Every working-tree file whose git blob id equals the commit's is unchanged, so its typed object is reused;
only the others are read from git (one ``cat-file --batch``) and typed. The result equals typing the whole
commit (``compiler.load.gitref.read_fleet_at`` + ``build_fleet``; a test compares both).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from compiler.diagnostics import Diagnostic
from compiler.load.discover import SETTINGS_FILE, read_settings_file
from compiler.load.gitref import CommitTree, blob_sha, open_commit, read_sources
from compiler.model.build import derive_fleet
from compiler.model.fleet import Fleet
from compiler.validate import components, references
from compiler.validate.context import Context


@dataclass(frozen=True, slots=True)
class Base:
    fleet: Fleet
    tree: CommitTree
    changed: frozenset[str]
    """fleet-relative paths whose content differs between the commit and the working tree (either side absent)"""
    problems: list[Diagnostic]
    """the base's errors that stop it from rendering: typing the files read from git, dangling references"""


def load_base(root: Path, ref: str | None, head: Fleet, today: date) -> Base:
    tree = open_commit(root, ref)
    texts = {doc.path: doc.source.text for doc in head.documents}
    fleet_paths = tree.fleet_paths()
    changed = {p for p in fleet_paths if p not in texts or blob_sha(texts[p]) != tree.blobs[p].sha}
    changed |= set(texts) - set(fleet_paths)
    settings_now, _ = read_settings_file(root)  # relc.yaml changes every Instance's output (repoURL, namespaces…)
    settings_then = tree.blobs.get(SETTINGS_FILE)
    now = blob_sha(settings_now.text) if settings_now is not None else None
    if now != (settings_then.sha if settings_then is not None else None):
        changed.add(SETTINGS_FILE)
    sources, _ = read_sources(tree, [*sorted(changed), SETTINGS_FILE])
    settings = next((s for s in sources if s.path == SETTINGS_FILE), None)
    fleet, problems = derive_fleet(head, changed, [s for s in sources if s.path != SETTINGS_FILE], settings)
    ctx = Context(fleet, today)
    problems += [d for rule in (references.check, components.check) for d in rule(ctx)]
    return Base(fleet, tree, frozenset(changed), [d for d in problems if d.is_error])
