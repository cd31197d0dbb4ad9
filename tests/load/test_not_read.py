"""Files relc does not read are named, not silently skipped (RLC110, a warning: the run still passes).

A tenant saved as ``acme.YAML`` or ``acme.json`` looked deployed to its author and was never compiled. Hidden
entries (``.gitkeep``, editor swap files) and Markdown notes (``README.md``) are skipped without a word.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.load.cli import ACME, diagnostics, run

MESSAGE = "this file is not read: relc reads only files ending in .yaml or .yml (and skips README.md-style .md files)"
FOLDER = "tenants/arematics-prod"


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("bob.YAML", "rename it to bob.yaml: the extension must be lower-case"),
        ("bob.Yml", "rename it to bob.yml: the extension must be lower-case"),
        ("bob.yml~", "a backup or editor copy? delete it, or move it out of the fleet folders"),
        ("bob.yaml.bak", "a backup or editor copy? delete it, or move it out of the fleet folders"),
        ("bob.json", "rename it to bob.yaml if it holds a fleet object (JSON is YAML), or move it elsewhere"),
        ("notes.txt", "move it out of the fleet folders, or rename it to .yaml if it holds a fleet object"),
    ],
)
def test_a_file_with_another_extension_is_a_warning_naming_it(base_fleet: Path, name: str, hint: str) -> None:
    (base_fleet / FOLDER / name).write_text("kind: Tenant\n", encoding="utf-8")
    result = run(base_fleet)
    assert result.exit_code == 0
    assert result.output == (
        f"{FOLDER}/{name}: warning RLC110 not-read: {MESSAGE}\n"
        f"    hint: {hint}\n"
        "0 error(s), 1 warning(s) in 1 file(s)\n"
    )
    assert run(base_fleet, "--strict").exit_code == 1


@pytest.mark.parametrize("name", [".gitkeep", ".bob.yaml.swp", "README.md", "CHANGES.md"])
def test_hidden_files_and_markdown_notes_are_skipped_quietly(base_fleet: Path, name: str) -> None:
    (base_fleet / FOLDER / name).write_text("notes\n", encoding="utf-8")
    result = run(base_fleet, "--strict")
    assert result.exit_code == 0, result.output


def test_the_warning_does_not_hide_errors(base_fleet: Path) -> None:
    (base_fleet / FOLDER / "bob.json").write_text("{}\n", encoding="utf-8")
    text = (base_fleet / ACME).read_text(encoding="utf-8")
    (base_fleet / ACME).write_text(text.replace("role: Operator", "role: Owner"), encoding="utf-8")
    code, found = diagnostics(base_fleet)
    assert code == 1
    assert [(d["file"], d["line"], d["code"], d["severity"]) for d in found] == [
        (f"{FOLDER}/acme.yaml", 8, "RLC203", "error"),
        (f"{FOLDER}/bob.json", 0, "RLC110", "warning"),
    ]


def test_folders_and_files_outside_the_fleet_folders_are_not_warned_about(base_fleet: Path) -> None:
    (base_fleet / "notes.txt").write_text("top-level files are the repository's business\n", encoding="utf-8")
    (base_fleet / FOLDER / "archive").mkdir()
    result = run(base_fleet, "--strict")
    assert result.exit_code == 0, result.output
