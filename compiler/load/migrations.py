"""The ``dependencies.yml`` files of the migrations folders kept in the fleet repository (``migrations/<service>/``).

Why relc reads them: relc-migrate checks a folder's ``dependencies.yml`` against the tenant's schema registry and
blocks the migration when it is not met (exit 3), while relc resolves candidates from the ComponentVersions'
``requires``. When the two disagree, relc accepts a candidate that relc-migrate then blocks in the cluster. What
the file means is :func:`relc_contract.read_dependencies`, which relc-migrate calls too, so both read it alike;
the file itself is read here like any fleet file (the hardened YAML reader, its limits, its codes and positions),
so a hostile or broken one is reported at its line:column rather than handed to another program's loader.
A fleet repository without a ``migrations/`` folder (its images ship the migrations) reads nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from compiler.diagnostics import Diagnostic
from compiler.load.discover import read_named
from compiler.load.documents import SourceFile, field_path
from compiler.load.yamlread import DEFAULT_LIMITS, YamlProblem, parse, position_in
from relc_contract import DEPENDENCIES_FILE, DEPENDENCIES_HINT, DependencyRequirement, read_dependencies

MIGRATIONS_FOLDER = "migrations"


@dataclass(frozen=True, slots=True)
class Shipped:
    """What one service's migrations folder requires (an absent dependencies.yml requires nothing)."""

    path: str
    """fleet-relative path of the dependencies.yml (or of the folder when the file is absent)"""
    requires: tuple[DependencyRequirement, ...]


def read_shipped(root: Path, components: Iterable[str]) -> tuple[dict[str, Shipped], list[Diagnostic]]:
    """``component`` → its folder's requirements, for every component with a folder under ``migrations/``."""
    shipped: dict[str, Shipped] = {}
    problems: list[Diagnostic] = []
    for component in sorted(set(components)):
        folder = root / MIGRATIONS_FOLDER / component
        if not folder.is_dir() or folder.is_symlink():
            continue
        rel = f"{MIGRATIONS_FOLDER}/{component}/{DEPENDENCIES_FILE}"
        source = read_named(folder, DEPENDENCIES_FILE, rel, DEFAULT_LIMITS)
        if source is None:
            shipped[component] = Shipped(f"{MIGRATIONS_FOLDER}/{component}/", ())
            continue
        if isinstance(source, Diagnostic):
            problems.append(source)
            continue
        requires, found = parse_shipped(source)
        problems += found
        if not found:
            shipped[component] = Shipped(rel, requires)
    return shipped, problems


def parse_shipped(source: SourceFile) -> tuple[tuple[DependencyRequirement, ...], list[Diagnostic]]:
    """Pure: the requirements ``source`` states, or the diagnostics (with line:column) saying why it has none.

    YAML errors keep the reader's codes (RLC101-RLC103), more than one document is RLC104 (relc-migrate's loader
    refuses a stream of several as well), and every problem of the contract's reading is RLC406 at its field.
    """
    try:
        parsed = parse(source.text, limits=DEFAULT_LIMITS, record_marks=True)
    except YamlProblem as p:
        return (), [Diagnostic(source.path, p.line, p.column, p.code, p.message, p.hint)]
    if len(parsed.documents) > 1:
        message = f"the file holds {len(parsed.documents)} YAML documents"
        return (), [Diagnostic(source.path, 1, 1, "RLC104", message, "keep one 'requires:' mapping in the file")]
    data = parsed.documents[0] if parsed.documents else None
    requires, found = read_dependencies(data)
    diagnostics = []
    for problem in found:
        line, column = position_in(parsed, problem.path, key=problem.at_key) if parsed.documents else (0, 0)
        diagnostics.append(
            Diagnostic(
                source.path,
                line,
                column,
                "RLC406",
                f"relc-migrate cannot read it: {problem.message}",
                DEPENDENCIES_HINT,
                field_path(problem.path),
            )
        )
    return requires, diagnostics
