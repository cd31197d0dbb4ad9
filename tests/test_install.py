"""Installs are reproducible: constraints.txt pins everything relc needs, and every install path goes through it.

A fresh clone once failed because the day's PyYAML differed from the one the tests were written against; these
tests fail when a dependency (or a dependency of one) is missing from the lock, when the running environment is
not the locked one, or when the Makefile or the relc-migrate image bypass the lock or repeat versions of their own.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

LOCK = REPO / "constraints.txt"
DOCKERFILE = REPO / "images" / "relc-migrate" / "Dockerfile"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][0-9A-Za-z.+!-]*)$")


def pins() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"not an exact pin: {line!r}"
        name = canonicalize_name(match[1])
        assert name not in found, f"{name} pinned twice"
        found[name] = match[2]
    return found


def closure(roots: list[Requirement], extras: tuple[str, ...] = ("",)) -> set[str]:
    """The installed distributions ``roots`` need, transitively (markers evaluated for this interpreter)."""
    seen: set[str] = set()
    todo = [r for r in roots if r.marker is None or any(r.marker.evaluate({"extra": e}) for e in extras)]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        wanted = ("", *req.extras)
        for text in metadata.requires(name) or []:
            sub = Requirement(text)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in wanted):
                todo.append(sub)
    return seen


def relc_requirements() -> list[Requirement]:
    return [Requirement(text) for text in metadata.requires("relc") or []]


def test_the_lock_pins_every_dependency_transitively_and_this_environment_is_the_locked_one() -> None:
    locked = pins()
    needed = closure(relc_requirements(), extras=("", "dev"))
    assert sorted(needed - locked.keys()) == []
    installed = {name: metadata.version(name) for name in needed}
    assert {n: v for n, v in installed.items() if locked[n] != v} == {}


def test_the_lock_pins_the_installers_and_holds_nothing_relc_does_not_need() -> None:
    locked = pins()
    assert {"pip", "setuptools"} <= locked.keys()
    needed = closure(relc_requirements(), extras=("", "dev"))
    assert sorted(locked.keys() - needed - {"pip", "setuptools"}) == []


def test_the_lock_says_how_it_was_made() -> None:
    header = [line for line in LOCK.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    assert any("make lock" in line for line in header)


def test_make_install_goes_through_the_lock_and_reruns_when_it_changes() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    rule = re.search(r"^\$\(BIN\)/relc:(.*)\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert rule, "no $(BIN)/relc rule"
    assert "constraints.txt" in rule[1].split()
    installs = [line for line in rule[2].splitlines() if "pip install" in line]
    assert installs and all("-c constraints.txt" in line for line in installs)


def _docker_run_lines() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    return [line.strip() for line in re.sub(r"\\\n", " ", text).splitlines() if line and not line.startswith("#")]


def _image_packages() -> list[str]:
    """The distributions the image installs by name (every `pip install -c constraints.txt ...` argument)."""
    names: list[str] = []
    for line in _docker_run_lines():
        for command in line.split("&&"):
            words = command.split()
            if "pip" not in words or "install" not in words or "--no-deps" in words:
                continue
            assert "-c" in words and words[words.index("-c") + 1] == "constraints.txt", command
            args = [w.strip('"') for w in words[words.index("install") + 1 :] if not w.startswith("-")]
            names.extend(a for a in args if a != "constraints.txt")
    return names


def test_the_image_copies_the_lock_and_installs_through_it_without_versions_of_its_own() -> None:
    copies = [line.split()[1:-1] for line in _docker_run_lines() if line.startswith("COPY ")]
    assert ["constraints.txt", "pyproject.toml", "README.md"] in copies
    assert all((REPO / src).exists() for sources in copies for src in sources)  # the context is the repo root
    assert not (REPO / ".dockerignore").exists() or "constraints" not in (REPO / ".dockerignore").read_text()
    names = _image_packages()
    assert names, "the image installs nothing through the lock"
    assert [n for n in names if re.search(r"[=<>~!]", n)] == []
    locked = pins()
    assert [n for n in names if canonicalize_name(Requirement(n).name) not in locked] == []


def test_the_image_installs_every_third_party_module_relc_migrate_imports() -> None:
    """The image leaves out the compiler's dependencies: each of relc_migrate's imports must still be there."""
    providers = metadata.packages_distributions()
    imported: set[str] = set()
    for path in sorted((REPO / "relc_migrate").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    # relc_contract is copied into the image beside relc_migrate (test_shared_contract checks the COPY)
    third_party = {
        m for m in imported if m not in sys.stdlib_module_names and m not in {"relc_migrate", "relc_contract"}
    }
    assert "psycopg" in third_party  # the walk found the imports
    image = closure([Requirement(n) for n in _image_packages()])
    missing = {m for m in third_party if not {canonicalize_name(d) for d in providers.get(m, [])} & image}
    assert sorted(missing) == []
