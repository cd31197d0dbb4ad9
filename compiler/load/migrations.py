"""The ``dependencies.yml`` files of the migrations folders kept in the fleet repository (``migrations/<service>/``).

Why relc reads them: relc-migrate checks a folder's ``dependencies.yml`` against the tenant's schema registry and
blocks the migration when it is not met (exit 3), while relc resolves candidates from the ComponentVersions'
``requires``. When the two disagree, relc accepts a candidate that relc-migrate then blocks in the cluster. The
file is parsed by relc-migrate's own parser (``relc_migrate.folder.parse_dependencies``), so both read it alike.
A fleet repository without a ``migrations/`` folder (its images ship the migrations) reads nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from compiler.diagnostics import Diagnostic
from compiler.load.yamlread import DEFAULT_LIMITS

MIGRATIONS_FOLDER = "migrations"
DEPENDENCIES_FILE = "dependencies.yml"


@dataclass(frozen=True, slots=True)
class ShippedRequirement:
    service: str
    min_version: str
    """As relc-migrate normalised it: semantic version without the leading ``v``."""


@dataclass(frozen=True, slots=True)
class Shipped:
    """What one service's migrations folder requires (an absent dependencies.yml requires nothing)."""

    path: str
    """fleet-relative path of the dependencies.yml (or of the folder when the file is absent)"""
    requires: tuple[ShippedRequirement, ...]


def read_shipped(root: Path, components: Iterable[str]) -> tuple[dict[str, Shipped], list[Diagnostic]]:
    """``component`` → its folder's requirements, for every component with a folder under ``migrations/``."""
    shipped: dict[str, Shipped] = {}
    problems: list[Diagnostic] = []
    for component in sorted(set(components)):
        folder = root / MIGRATIONS_FOLDER / component
        if not folder.is_dir() or folder.is_symlink():
            continue
        rel = f"{MIGRATIONS_FOLDER}/{component}/{DEPENDENCIES_FILE}"
        path = folder / DEPENDENCIES_FILE
        if not path.exists():
            shipped[component] = Shipped(f"{MIGRATIONS_FOLDER}/{component}/", ())
            continue
        found = _read(path, component, rel)
        if isinstance(found, Diagnostic):
            problems.append(found)
        else:
            shipped[component] = Shipped(rel, found)
    return shipped, problems


def _read(path: Path, component: str, rel: str) -> tuple[ShippedRequirement, ...] | Diagnostic:
    if path.is_symlink() or not path.is_file():
        return Diagnostic(rel, 0, 0, "RLC103", "not a regular file", "replace the link by the file")
    size = path.stat().st_size
    if size > DEFAULT_LIMITS.max_bytes:
        return Diagnostic(
            rel,
            0,
            0,
            "RLC103",
            f"file is {size} bytes, over the {DEFAULT_LIMITS.max_bytes}-byte limit",
            "a dependencies.yml lists a few requirements",
        )
    from relc_migrate.folder import parse_dependencies  # imported on use: it brings relc-migrate's SQL linter

    requires, findings = parse_dependencies(path, component)
    if findings:
        first = findings[0]
        return Diagnostic(rel, first.line, 0, "RLC406", f"relc-migrate cannot read it: {first.message}", first.fix)
    return tuple(ShippedRequirement(r.service, str(r.min_version)) for r in requires)
