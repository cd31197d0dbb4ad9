"""Neither program imports the other; what both must agree on is relc_contract, whose modules import only the stdlib.

The compiler runs in CI and on laptops without psycopg or pglast; relc-migrate runs in a Job image without the
compiler. A ``from relc_migrate...`` in the compiler (even one inside a function, imported "on use") makes the
compiler need relc-migrate's dependencies and ties the two programs together again; so does a contract module
that imports either program or a third-party package (its modules may import one another). Every import
counts, as in test_package_order: module level, inside functions, under ``if TYPE_CHECKING:``, relative ones
resolved.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.test_package_order import imported_modules


def imports_of(base: Path, package: str) -> list[str]:
    """``file:line: module`` for every module every import statement of ``base/package`` names, at any depth."""
    found = []
    for path in sorted((base / package).rglob("*.py")):
        rel = path.relative_to(base).with_suffix("")
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(base).as_posix()}:{getattr(node, 'lineno', 0)}"
            found += [f"{where}: {m}" for m in imported_modules(node, module, path.name == "__init__.py")]
    return found


def top(found: str) -> str:
    return found.rsplit(": ", 1)[1].split(".")[0]


def importing(base: Path, package: str, forbidden: str) -> list[str]:
    return [line for line in imports_of(base, package) if top(line) == forbidden]


def non_stdlib(base: Path, package: str) -> list[str]:
    """Imports of anything but the standard library and the package itself."""
    return [line for line in imports_of(base, package) if top(line) not in sys.stdlib_module_names | {package}]


def test_the_compiler_never_imports_relc_migrate() -> None:
    assert importing(REPO, "compiler", "relc_migrate") == []


def test_relc_migrate_never_imports_the_compiler() -> None:
    assert importing(REPO, "relc_migrate", "compiler") == []


def test_the_contract_imports_only_the_standard_library() -> None:
    """Every module of the package is walked (each has at least ``from __future__``) and none imports more."""
    modules = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "relc_contract").rglob("*.py"))
    assert len(modules) > 1, "relc_contract is split into modules by topic"
    assert sorted({line.split(":")[0] for line in imports_of(REPO, "relc_contract")}) == modules
    assert non_stdlib(REPO, "relc_contract") == []


def test_the_checks_see_lazy_relative_and_type_checking_imports(tmp_path: Path) -> None:
    """The checks above can fail: each kind of import a boundary could hide behind is found."""
    (tmp_path / "compiler/load").mkdir(parents=True)
    (tmp_path / "compiler/load/__init__.py").write_text("")
    (tmp_path / "compiler/load/m.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import relc_migrate.db\n"
        "def f():\n    from relc_migrate.folder import parse_dependencies\n"
    )
    (tmp_path / "relc_contract").mkdir()
    (tmp_path / "relc_contract/__init__.py").write_text("import re\nfrom . import x\ndef g():\n    import yaml\n")
    (tmp_path / "relc_contract/names.py").write_text(
        "from relc_contract.jobs import x\nfrom .runtime import y\nimport click\n"
    )
    assert importing(tmp_path, "compiler", "relc_migrate") == [
        "compiler/load/m.py:3: relc_migrate.db",
        "compiler/load/m.py:5: relc_migrate.folder",
        "compiler/load/m.py:5: relc_migrate.folder.parse_dependencies",
    ]
    assert non_stdlib(tmp_path, "relc_contract") == [
        "relc_contract/__init__.py:4: yaml",
        "relc_contract/names.py:3: click",
    ]
