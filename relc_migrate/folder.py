"""A service's migrations folder as a whole: its files in order, init_data.sql, dependencies.yml, lint.

``load_folder`` is what every command calls before touching a database: it refuses the whole folder when any
file is malformed or breaks an un-allowed lint rule, so a half-valid folder never half-migrates a tenant.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import semver

import relc_contract as contract
from relc_migrate.files import (
    IGNORED_FILES,
    INIT_DATA_FILE,
    NAMING_HELP,
    InitData,
    MigrationFile,
    parse_init_data,
    parse_migration,
)
from relc_migrate.findings import Finding, MigrationFilesError
from relc_migrate.lint import lint_file
from relc_migrate.yamlfile import YamlFileError, read_text


@dataclass(frozen=True, slots=True)
class Requirement:
    """``requires: - service: auth, minVersion: v1.2.0`` from dependencies.yml."""

    service: str
    min_version: semver.Version


@dataclass(frozen=True, slots=True)
class MigrationSet:
    """A service's migrations, sorted by (version, NN)."""

    service: str
    files: tuple[MigrationFile, ...]
    init_data: InitData | None
    requires: tuple[Requirement, ...]

    def by_name(self) -> dict[str, MigrationFile]:
        return {f.name: f for f in self.files}


def parse_version(text: str) -> semver.Version:
    """Semver with an optional leading ``v`` (dependencies.yml writes ``v1.2.0``, the registry ``1.2.0``)."""
    return semver.Version.parse(text.removeprefix("v"))


def parse_dependencies(path: Path, service: str) -> tuple[tuple[Requirement, ...], list[Finding]]:
    """Read dependencies.yml with the bounded reader (yamlfile.py); what it means (and every way it can be wrong)
    is the contract's, shared with relc. Each problem names its line."""
    display = f"{service}/{path.name}"
    try:
        read = read_text(path.read_text(encoding="utf-8"))
    except YamlFileError as err:
        return (), [Finding(display, err.line, "dependencies", str(err), contract.DEPENDENCIES_HINT)]
    except UnicodeDecodeError:
        return (), [Finding(display, 0, "dependencies", "not UTF-8 text", contract.DEPENDENCIES_HINT)]
    requirements, problems = contract.read_dependencies(read.data)
    if problems:
        hint = contract.DEPENDENCIES_HINT
        return (), [Finding(display, read.line_of(p.path, at_key=p.at_key), "dependencies", p.message, hint)
                    for p in problems]  # fmt: skip
    return tuple(Requirement(r.service, parse_version(r.min_version)) for r in requirements), []


def collect_folder(directory: Path, service: str) -> tuple[MigrationSet | None, list[Finding]]:
    """Parse and lint a folder; the set is None when any error-severity finding exists."""
    if not directory.is_dir():
        return None, [
            Finding(
                service,
                0,
                "missing-folder",
                f"no migrations folder at {directory}",
                f"ship the migrations under /migrations/{service}/ in the service image",
            )
        ]
    findings: list[Finding] = []
    files: list[MigrationFile] = []
    init_data: InitData | None = None
    requires: tuple[Requirement, ...] = ()
    for path in sorted(directory.iterdir()):
        if path.name in IGNORED_FILES:
            continue
        if path.name == contract.DEPENDENCIES_FILE:
            requires, found = parse_dependencies(path, service)
        elif path.name == INIT_DATA_FILE:
            init_data, found = parse_init_data(path, service)
        elif path.is_file() and path.suffix == ".sql":
            parsed, found = parse_migration(path, service)
            if parsed is not None:
                files.append(parsed)
                found += lint_file(parsed)
        else:
            found = [
                Finding(
                    f"{service}/{path.name}",
                    0,
                    "unexpected-file",
                    "not a migration file, init_data.sql or dependencies.yml",
                    "remove it from the folder or " + NAMING_HELP,
                )
            ]
        findings += found
    files.sort(key=lambda f: f.key)
    findings += _duplicate_keys(files)
    if any(f.severity == "error" for f in findings):
        return None, findings
    return MigrationSet(service, tuple(files), init_data, requires), findings


def _duplicate_keys(files: list[MigrationFile]) -> list[Finding]:
    findings = []
    for before, after in itertools.pairwise(files):
        if before.key == after.key:
            findings.append(
                Finding(
                    after.display,
                    0,
                    "duplicate-order",
                    f"same version and order as {before.name}",
                    "give each file of one version its own NN",
                )
            )
    return findings


def load_folder(directory: Path, service: str) -> MigrationSet:
    """The folder's migrations, or MigrationFilesError with every error finding."""
    migration_set, findings = collect_folder(directory, service)
    if migration_set is None:
        raise MigrationFilesError(f for f in findings if f.severity == "error")
    return migration_set
