"""``relc compile`` never deletes what relc did not write: --out may not name the fleet or its inputs, nor a
folder holding someone else's files. Through the CLI, each refusal with its exact message, exit 2, and the
folder byte-for-byte unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.emit.outdir import MARKER, MARKER_TEXT, SIGNATURE
from tests.compile.util import compile_fleet, digest, siblings, snapshot
from tests.conftest import REPO

HINT = "  hint: change --out to a folder of its own outside the fleet's inputs, such as the default rendered/\n"
FOREIGN_HINT = (
    "  hint: compiling replaces the whole folder, deleting them: move them away, or change --out to an empty or new"
    f" folder (a folder an older relc wrote, before {MARKER} existed: delete it and compile again)\n"
)


def refused(fleet: Path, out: Path, watched: Path) -> str:
    """Compile into ``out``; assert exit 2 with nothing printed on stdout and ``watched`` unchanged; the stderr."""
    before = digest(watched)
    result = compile_fleet(fleet, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert digest(watched) == before
    return result.stderr


@pytest.mark.parametrize("folder", ["releases", "tenants", "blueprints", "instances"])
def test_an_input_folder_is_refused(example_fleet: Path, folder: str) -> None:
    out = example_fleet / folder
    assert refused(example_fleet, out, example_fleet) == (
        f"relc: error: output folder '{out}' is the fleet's input {folder}/: compiling would replace it\n{HINT}"
    )


def test_a_folder_inside_an_input_folder_is_refused(example_fleet: Path) -> None:
    out = example_fleet / "tenants" / "rendered"
    assert refused(example_fleet, out, example_fleet) == (
        f"relc: error: output folder '{out}' is inside the fleet's input tenants/: relc would read its own output as"
        f" input\n{HINT}"
    )
    assert not out.exists()


def test_the_fleet_root_is_refused(example_fleet: Path) -> None:
    assert refused(example_fleet, example_fleet, example_fleet) == (
        f"relc: error: output folder '{example_fleet}' is the fleet folder itself: compiling would replace it\n{HINT}"
    )


def test_a_parent_of_the_fleet_is_refused(example_fleet: Path) -> None:
    parent = example_fleet.parent
    assert refused(example_fleet, parent, parent) == (
        f"relc: error: output folder '{parent}' contains the fleet '{example_fleet}': compiling would replace"
        f" it\n{HINT}"
    )


def test_a_symlink_to_an_input_folder_is_refused(example_fleet: Path, tmp_path: Path) -> None:
    link = tmp_path / "looks-harmless"
    link.symlink_to(example_fleet / "releases", target_is_directory=True)
    real = (example_fleet / "releases").resolve()
    assert refused(example_fleet, link, tmp_path) == (
        f"relc: error: output folder '{link}' (a link to '{real}') is the fleet's input releases/: compiling would"
        f" replace it\n{HINT}"
    )


def test_a_folder_above_a_linked_input_folder_is_refused(example_fleet: Path, tmp_path: Path) -> None:
    """tenants/ kept elsewhere and linked in: its real parent is as much the fleet's as the fleet root."""
    elsewhere = tmp_path / "shared" / "tenants"
    elsewhere.parent.mkdir()
    (example_fleet / "tenants").rename(elsewhere)
    (example_fleet / "tenants").symlink_to(elsewhere, target_is_directory=True)
    out = elsewhere.parent
    assert refused(example_fleet, out, tmp_path) == (
        f"relc: error: output folder '{out}' contains the fleet's input tenants/ ('{elsewhere.resolve()}'):"
        f" compiling would replace it\n{HINT}"
    )


def test_rendered_path_naming_an_input_folder_is_refused(example_fleet: Path) -> None:
    (example_fleet / "relc.yaml").write_text(
        (REPO / "relc.yaml").read_text().replace("renderedPath: rendered", "renderedPath: releases")
    )
    before = digest(example_fleet)
    result = compile_fleet(example_fleet)
    assert result.exit_code == 2
    assert result.stderr == (
        f"relc: error: output folder '{example_fleet}/releases' is the fleet's input releases/: compiling would"
        " replace it\n  hint: change renderedPath in relc.yaml to a folder of its own outside the fleet's inputs,"
        " such as the default rendered/\n"
    )
    assert digest(example_fleet) == before


def test_a_folder_of_notes_is_refused_naming_what_is_in_the_way(example_fleet: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    (notes / "todo").mkdir(parents=True)
    (notes / "ideas.txt").write_text("keep me\n")
    (notes / "todo" / "monday.md").write_text("- call Bob\n")
    (notes / ".private").write_text("mine\n")
    assert refused(example_fleet, notes, notes) == (
        f"relc: error: output folder '{notes}' holds files relc did not write (.private, ideas.txt, todo/) and no"
        f" {MARKER} of relc's\n{FOREIGN_HINT}"
    )


def test_a_long_listing_shows_the_first_five_names(example_fleet: Path, tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    for n in range(8):
        (full / f"note-{n}.txt").write_text(f"{n}\n")
    assert refused(example_fleet, full, full) == (
        f"relc: error: output folder '{full}' holds files relc did not write (note-0.txt, note-1.txt, note-2.txt,"
        f" note-3.txt, note-4.txt and 3 more) and no {MARKER} of relc's\n{FOREIGN_HINT}"
    )


def test_a_marker_relc_did_not_write_does_not_make_the_folder_relcs(example_fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER).write_bytes(b"# my own notes on relc output\n")
    (out / "plan.txt").write_text("keep me\n")
    assert refused(example_fleet, out, out) == (
        f"relc: error: output folder '{out}' holds files relc did not write ({MARKER}, plan.txt) and no {MARKER} of"
        f" relc's\n{FOREIGN_HINT}"
    )


def test_a_marker_that_is_a_link_does_not_count(example_fleet: Path, tmp_path: Path) -> None:
    real = tmp_path / "real-marker"
    real.write_bytes(MARKER_TEXT)
    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER).symlink_to(real)
    assert "holds files relc did not write" in refused(example_fleet, out, tmp_path)


@pytest.mark.parametrize("state", ["absent", "empty"])
def test_an_absent_or_empty_folder_is_written_and_marked(example_fleet: Path, tmp_path: Path, state: str) -> None:
    out = tmp_path / "deploy" / "rendered"
    if state == "empty":
        out.mkdir(parents=True)
    result = compile_fleet(example_fleet, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / MARKER).read_bytes() == MARKER_TEXT
    assert siblings(out) == ["rendered"]  # no staging area left beside it


def test_a_marked_folder_is_relcs_and_what_it_no_longer_produces_is_pruned(example_fleet: Path) -> None:
    assert compile_fleet(example_fleet).exit_code == 0
    rendered = example_fleet / "rendered"
    (rendered / "hand-made.yaml").write_text("{}\n")
    result = compile_fleet(example_fleet)
    assert result.exit_code == 0
    assert result.stdout == "compiled 160 files into rendered/: 0 added, 0 changed, 1 removed\n"
    assert not (rendered / "hand-made.yaml").exists()


def test_the_marker_explains_itself_and_is_the_committed_one() -> None:
    text = (REPO / "rendered" / MARKER).read_bytes()
    assert text == MARKER_TEXT
    assert text.startswith(SIGNATURE)
    assert b"do not edit" in text and b"relc compile" in text and b"deletes every file it no" in text


def test_check_reports_a_tree_without_the_marker_as_stale(example_fleet: Path) -> None:
    assert compile_fleet(example_fleet).exit_code == 0
    rendered = example_fleet / "rendered"
    (rendered / MARKER).unlink()
    before = snapshot(rendered)
    result = compile_fleet(example_fleet, "--check")
    assert result.exit_code == 1
    assert result.stdout == (
        f"rendered/{MARKER}: error RLC803 stale-output: missing: the inputs compile to this file\n"
        "    hint: rendered/ lacks relc's mark, so 'relc compile' will refuse it: if relc wrote it, delete it, then"
        " run 'relc compile' and commit rendered/ (make golden)\n"
        "1 error(s), 0 warning(s) in 1 file(s)\n"
    )
    assert snapshot(rendered) == before
    # and a compile refuses the unmarked tree rather than guess it is relc's
    assert compile_fleet(example_fleet).exit_code == 2
    assert snapshot(rendered) == before


def test_check_may_compare_with_any_folder_outside_the_inputs(example_fleet: Path, tmp_path: Path) -> None:
    """--check writes nothing, so an unmarked folder is only reported (every file extra), never refused."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "ideas.txt").write_text("keep me\n")
    before = digest(notes)
    result = compile_fleet(example_fleet, "--out", str(notes), "--check")
    assert result.exit_code == 1
    assert (
        f"{notes}/ideas.txt: error RLC803 stale-output: extra: the inputs no longer produce this file\n"
        in result.stdout
    )
    assert digest(notes) == before


def test_check_refuses_an_input_folder_too(example_fleet: Path) -> None:
    result = compile_fleet(example_fleet, "--out", str(example_fleet / "tenants"), "--check")
    assert result.exit_code == 2
    assert "is the fleet's input tenants/" in result.stderr
