"""The packages of compiler/ import each other only in data order, so the folders read the way the data flows.

Data order: load (files → documents) → model (typed kinds) → resolve (version graph) → validate (rules) →
render (pure: fleet → files) → emit (write, check) → outcheck (``validate --rendered`` reads what emit wrote);
then the process layer: options (frozen options objects) → app (one entry point per command) → cli (click).
A package may import only the packages before it in ORDER. That rules out package-level cycles as well (a cycle
needs one import pointing backwards), but the cycle is reported on its own because it is the clearer message.

Every import counts: module level, inside functions (the lazy imports that keep start-up cheap) and under
``if TYPE_CHECKING:`` - a cycle hidden in a function is still a cycle in the design.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from tests.conftest import REPO

COMPILER = REPO / "compiler"

ORDER = (
    "diagnostics",
    "batch",
    "fanout",
    "progress",
    "load",
    "model",
    "resolve",
    "validate",
    "render",
    "report",
    "emit",
    "outcheck",
    "plan",
    "status",
    "options",
    "app",
    "edit",
    "cli",
)
"""Each unit may import only units earlier in this tuple (units: the sub-packages and top-level modules)."""

EXEMPT: dict[tuple[str, str], str] = {}
"""(file, imported unit) pairs allowed to point backwards for now, each with the reason; stale ones fail."""


@dataclass(frozen=True, slots=True)
class Edge:
    source: str  #: the importing unit
    target: str  #: the imported unit
    where: str  #: file:line of the import


def unit_of(module: str) -> str | None:
    """``compiler.render.jobs`` → ``render``; ``compiler`` itself, names it defines (``compiler.__version__``) and
    modules outside it → None."""
    parts = module.split(".")
    return parts[1] if parts[0] == "compiler" and len(parts) > 1 and parts[1] in units() else None


def module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imported_modules(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The absolute module names one import statement names (``from compiler import app`` names compiler.app)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1])
        target = f"{base}.{node.module}" if node.module else base
    else:
        target = node.module or ""
    return [target] + [f"{target}.{alias.name}" for alias in node.names]


@functools.cache
def import_edges() -> list[Edge]:
    edges: list[Edge] = []
    for path in sorted(COMPILER.rglob("*.py")):
        module = module_name(path)
        source = unit_of(module)
        if source is None:  # compiler/__init__.py: the package's docstring and version only
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            targets = {unit_of(m) for m in imported_modules(node, module, path.name == "__init__.py")}
            where = f"{path.relative_to(REPO).as_posix()}:{getattr(node, 'lineno', 0)}"
            edges += [Edge(source, t, where) for t in sorted(t for t in targets if t is not None and t != source)]
    return edges


@functools.cache
def units() -> frozenset[str]:
    return frozenset(
        {p.stem for p in COMPILER.glob("*.py") if p.stem != "__init__"}
        | {p.parent.name for p in COMPILER.glob("*/__init__.py")}
    )


def test_every_unit_has_a_place_in_the_order() -> None:
    assert sorted(units() - set(ORDER)) == [], "a new package or module of compiler/: add it to ORDER"
    assert sorted(set(ORDER) - units()) == [], "ORDER names a unit that no longer exists"


def test_the_package_graph_has_no_cycles() -> None:
    edges = [e for e in import_edges() if (e.where.rsplit(":", 1)[0], e.target) not in EXEMPT]
    graph = nx.DiGraph((e.source, e.target) for e in edges)
    cycles = sorted(" → ".join([*c, c[0]]) for c in nx.simple_cycles(graph))
    assert cycles == [], "package import cycles (break them: move the shared code down to the lower package)"


def test_packages_import_only_earlier_packages() -> None:
    rank = {unit: i for i, unit in enumerate(ORDER)}
    backwards = [
        f"{e.where}: {e.source} imports {e.target}, which comes after it in the data order"
        for e in import_edges()
        if rank[e.target] > rank[e.source] and (e.where.rsplit(":", 1)[0], e.target) not in EXEMPT
    ]
    assert backwards == []


def test_exemptions_are_still_needed() -> None:
    used = {(e.where.rsplit(":", 1)[0], e.target) for e in import_edges()}
    assert sorted(set(EXEMPT) - used) == [], "this import is gone: delete its line from EXEMPT"


def test_the_walker_sees_function_level_and_relative_imports() -> None:
    """The checks above can fail: a lazy import inside a function and a relative import are both edges."""
    source = "def f():\n    from compiler.render import jobs\nfrom ..emit import tree\n"
    tree = ast.parse(source)
    found = [m for node in ast.walk(tree) for m in imported_modules(node, "compiler.validate.rule", False)]
    assert sorted({u for m in found if (u := unit_of(m))}) == ["emit", "render"]
