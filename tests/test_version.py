"""One version: compiler.__version__ is the only place it is written, and everything that shows it agrees.

pyproject.toml reads it (setuptools ``attr``), both console scripts print it, the default relc-migrate image is
tagged with it, and the example fleet's relc.yaml (which pins its image explicitly) runs that same release.
"""

from __future__ import annotations

import json
import re
import tomllib
from importlib import metadata

from click.testing import CliRunner

import compiler
from compiler.cli import main
from compiler.model.settings import Settings
from tests.conftest import REPO

VERSION = compiler.__version__
IMAGE = f"ghcr.io/relc-dev/relc-migrate:{VERSION}"


def test_pyproject_takes_the_version_from_the_compiler_package() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "compiler.__version__"}
    assert metadata.version("relc") == VERSION  # the installed metadata (make install re-runs on a bump)


def test_it_is_a_semantic_version() -> None:
    assert re.fullmatch(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?", VERSION)


def test_relc_version_prints_it() -> None:
    result = CliRunner().invoke(main, ["--version"], prog_name="relc")
    assert (result.exit_code, result.output) == (0, f"relc, version {VERSION}\n")


def test_the_default_migrate_image_is_tagged_with_it_and_so_is_the_published_schema() -> None:
    assert Settings().migrate_image == IMAGE
    schema = json.loads((REPO / "schemas" / "Settings.json").read_text(encoding="utf-8"))
    assert schema["properties"]["migrateImage"]["default"] == IMAGE


def test_the_example_fleet_pins_the_image_of_this_release() -> None:
    pinned = re.search(r"^migrateImage: (\S+)$", (REPO / "relc.yaml").read_text(encoding="utf-8"), re.MULTILINE)
    assert pinned and pinned[1] == IMAGE


def test_no_other_source_file_writes_the_version() -> None:
    sources = [*(REPO / "compiler").rglob("*.py"), *(REPO / "relc_migrate").rglob("*.py"), REPO / "pyproject.toml"]
    written = [p.relative_to(REPO).as_posix() for p in sources if VERSION in p.read_text(encoding="utf-8")]
    assert written == ["compiler/__init__.py"]
