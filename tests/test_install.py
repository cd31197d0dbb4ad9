"""Installs are reproducible: constraints.txt pins everything relc needs, and every install path goes through it.

A fresh clone once failed because the day's PyYAML differed from the one the tests were written against; these
tests fail when a dependency (or a dependency of one) is missing from the lock, when the running environment is
not the locked one, or when the Makefile or an image (relc-migrate's, relc's own) bypass the lock or repeat
versions of their own.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

LOCK = REPO / "constraints.txt"
IMAGES = {"relc-migrate": ("relc_migrate", "relc_contract"), "relc": ("compiler", "relc_contract", "relc_migrate")}
"""Each image (images/<name>/Dockerfile, ENTRYPOINT the console script <name>) and the packages its program runs."""
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


def _dockerfile(image: str) -> Path:
    return REPO / "images" / image / "Dockerfile"


def _docker_run_lines(image: str) -> list[str]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = _dockerfile(image).read_text(encoding="utf-8")
    return [line.strip() for line in re.sub(r"\\\n", " ", text).splitlines() if line and not line.startswith("#")]


def _image_requirements(image: str) -> list[Requirement]:
    """What the image installs with its dependencies: every `pip install -c constraints.txt ...` argument, the
    repository itself (``.``) standing for relc's own requirements."""
    found: list[Requirement] = []
    for line in _docker_run_lines(image):
        for command in line.split("&&"):
            words = command.split()
            if "pip" not in words or "install" not in words or "--no-deps" in words:
                continue
            assert "-c" in words and words[words.index("-c") + 1] == "constraints.txt", command
            args = [w.strip('"') for w in words[words.index("install") + 1 :] if not w.startswith("-")]
            for arg in (a for a in args if a != "constraints.txt"):
                assert not re.search(r"[=<>~!]", arg), f"{image}: a version of its own: {arg}"
                found.extend(relc_requirements() if arg == "." else [Requirement(arg)])
    return found


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_the_image_copies_the_lock_and_installs_through_it_without_versions_of_its_own(image: str) -> None:
    copies = [line.split()[1:-1] for line in _docker_run_lines(image) if line.startswith("COPY ")]
    assert ["constraints.txt", "pyproject.toml", "README.md"] in copies
    assert all((REPO / src).exists() for sources in copies for src in sources)  # the context is the repo root
    assert set(IMAGES[image]) <= {sources[0] for sources in copies}  # the program's packages are in the image
    assert not (REPO / ".dockerignore").exists() or "constraints" not in (REPO / ".dockerignore").read_text()
    requirements = _image_requirements(image)
    assert requirements, "the image installs nothing through the lock"
    locked = pins()
    assert [str(r) for r in requirements if canonicalize_name(r.name) not in locked] == []
    assert {"pip", "setuptools"} <= {canonicalize_name(r.name) for r in requirements}  # the installers, pinned


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_the_image_installs_every_third_party_module_its_program_imports(image: str) -> None:
    """relc-migrate's image leaves out the compiler's dependencies: each of relc_migrate's imports must still be
    there; relc's installs the whole distribution, and the same walk checks that too."""
    providers = metadata.packages_distributions()
    imported: set[str] = set()
    for package in IMAGES[image]:
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    imported.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    imported.add(node.module.split(".")[0])
    first_party = {"compiler", "relc_migrate", "relc_contract"}  # copied into the images
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m not in first_party}
    assert "psycopg" in third_party  # the walk found the imports
    installed = closure(_image_requirements(image))
    missing = {m for m in third_party if not {canonicalize_name(d) for d in providers.get(m, [])} & installed}
    assert sorted(missing) == []


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_the_image_runs_its_program_as_a_non_root_user(image: str) -> None:
    lines = _docker_run_lines(image)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users, f"{image} runs as root"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0 and gid.isdigit() and int(gid) != 0  # numeric: runAsNonRoot can check it
    (useradd,) = [line for line in lines if line.startswith("RUN ") and "useradd" in line]
    assert f"--uid {uid}" in useradd and f"--gid {gid}" in useradd
    entrypoints = [json.loads(line.removeprefix("ENTRYPOINT ")) for line in lines if line.startswith("ENTRYPOINT ")]
    assert entrypoints == [[image]]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert image in scripts  # the console script the install creates
