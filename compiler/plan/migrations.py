"""The migration files a version change runs: read from the repository's ``migrations/<service>/`` folder.

Names and order are relc-migrate's (the contract's ``migration_file_name``: by SemVer, then NN). An upgrade from
A to B runs every file of a version in (A, B], oldest first; a downgrade from B to A runs the stored ROLLBACK
sections of the files in (A, B], newest first. A repository without the folder (its images ship the
migrations) lists none.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import semver

from compiler.load.migrations import MIGRATIONS_FOLDER
from relc_contract import has_rollback, migration_file_name


@dataclass(frozen=True, slots=True)
class Step:
    file: str
    """repository-relative: migrations/<service>/<name>"""
    version: str
    destructive: bool
    """the version's ComponentVersion declares migrations.destructive"""
    rollback: bool
    """a downgrade step: relc-migrate runs the file's stored ROLLBACK section (False when the file has none)"""


def steps(root: Path, service: str, old: str, new: str, destructive: frozenset[str]) -> tuple[Step, ...]:
    """The files moving ``service`` from ``old`` to ``new`` runs, in the order relc-migrate runs them."""
    low, high = sorted((semver.Version.parse(old), semver.Version.parse(new)))
    down = semver.Version.parse(new) < semver.Version.parse(old)
    folder = root / MIGRATIONS_FOLDER / service
    try:
        names = sorted(e.name for e in os.scandir(folder) if e.is_file(follow_symlinks=False))
    except (FileNotFoundError, NotADirectoryError):
        return ()
    found: list[tuple[semver.Version, int, str, str]] = []
    for name in names:
        parsed = migration_file_name(name)
        if parsed is None:
            continue
        version = semver.Version.parse(parsed[0])
        if low < version <= high:
            found.append((version, parsed[1], name, parsed[0]))
    found.sort(reverse=down)
    return tuple(
        Step(
            f"{MIGRATIONS_FOLDER}/{service}/{name}",
            text,
            text in destructive,
            down and has_rollback((folder / name).read_text(encoding="utf-8", errors="replace")),
        )
        for _, _, name, text in found
    )
