"""Which folder ``relc compile`` (and ``relc report``) may write into: never one of the fleet's inputs, never one
relc did not write.

Why: compile replaces its output folder whole and prunes every file it no longer produces, so the output
folder is the one place relc deletes. ``--out releases`` once deleted every release; ``--out DIR`` on a
folder of notes deleted the notes. So before anything is written:

- the output folder may not be, contain, or lie inside an input (the fleet root, blueprints/, releases/,
  instances/, tenants/, migrations/, relc.yaml), compared after resolving symbolic links, so a link to
  releases/ is releases/;
- it must be absent, empty, or marked as relc's own by :data:`MARKER`, a file every compile writes into it
  (so ``--check`` reports a tree without it as stale, like any missing file). Anything else is refused with
  the first few names in the way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from compiler.diagnostics import EnvironmentFailure, UsageError
from compiler.load.discover import FLEET_FOLDERS
from compiler.model.settings import SETTINGS_FILE
from compiler.render.output import RenderedFile

MIGRATIONS_FOLDER = "migrations"
"""The example fleet's migration files (read by relc-migrate's images and by checks of the fleet)."""
INPUTS = (*FLEET_FOLDERS, MIGRATIONS_FOLDER, SETTINGS_FILE)

MARKER = "RELC-OUTPUT.md"
"""Visible (rendered paths may not be hidden) and not YAML, so Argo CD and ``validate --rendered`` skip it."""
SIGNATURE = b"<!-- relc-output: written by relc compile, which owns this folder. -->\n"
"""The marker's first line: what makes a folder relc's, whatever else the file says."""
MARKER_TEXT = SIGNATURE + (
    b"# Written by relc: do not edit\n"
    b"\n"
    b"This folder is the output of `relc compile`. Every compile replaces its whole content with what the fleet\n"
    b"(blueprints/, releases/, instances/, tenants/ and relc.yaml) compiles to, and deletes every file it no\n"
    b"longer produces: what is edited or added here by hand is lost on the next compile. Change the fleet, run\n"
    b"`relc compile` and commit this folder instead (CI's `relc compile --check` fails while it is stale).\n"
    b"\n"
    b"This file is how relc knows the folder is its own. relc writes only into an absent or empty folder or one\n"
    b"holding this file, so that it never deletes what it did not write. Every compile writes it again.\n"
)
SHOWN_NAMES = 5
"""How many of the names in the way a refusal lists."""


@dataclass(frozen=True, slots=True)
class Purpose:
    """What replaces the folder, for the refusals' wording: ``relc compile`` (the default) or ``relc report``."""

    doing: str
    """what would delete the files, as the refusals say it: 'compiling', 'writing the report'"""
    example: str
    """a folder to suggest instead"""


COMPILE = Purpose("compiling", "the default rendered/")
REPORT = Purpose("writing the report", "report/")


@dataclass(frozen=True, slots=True)
class Target:
    """Where rendered/ lives (``path``) and how reports name it (``shown``, relative to the fleet root)."""

    path: Path
    shown: str


def marker_file() -> RenderedFile:
    """The marker, written with every compile like any other rendered file."""
    return RenderedFile(MARKER, raw=MARKER_TEXT)


def target_for(
    root: Path, out: Path | None, rendered_path: str, *, writing: bool, purpose: Purpose = COMPILE
) -> Target:
    """``--out`` or the settings' renderedPath under ``root``, once it is known to be safe to compare with and,
    when ``writing``, to replace (see the module's docstring); a :class:`UsageError` saying why not otherwise."""
    path = out if out is not None else root / rendered_path
    option = "--out" if out is not None else f"renderedPath in {SETTINGS_FILE}"
    resolved, fleet = path.resolve(), root.resolve()
    _refuse_inputs(path, resolved, root, option, purpose)
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise UsageError(f"output folder '{path}' is not a directory", f"remove it or change {option}")
    if (path / ".git").exists():
        raise UsageError(
            f"output folder '{path}' holds .git, which relc never writes",
            f"change {option} to name the rendered folder: relc replaces its whole content",
        )
    if writing:
        _refuse_foreign(path, option, purpose)
    try:
        shown = resolved.relative_to(fleet).as_posix()
    except ValueError:
        shown = path.as_posix()
    return Target(path, shown)


def _refuse_inputs(path: Path, resolved: Path, root: Path, option: str, purpose: Purpose) -> None:
    """The fleet root, its inputs, anything above them or inside an input folder: refused (links resolved)."""
    fleet = root.resolve()
    why = f"{purpose.doing} would replace it"
    if resolved == fleet:
        problem = "is the fleet folder itself"
    elif fleet.is_relative_to(resolved):
        problem = f"contains the fleet '{root}'"
    else:
        problem = ""
        for name in INPUTS:
            real = (root / name).resolve()
            shown = f"{name}/" if name != SETTINGS_FILE else name
            if resolved == real:
                problem = f"is the fleet's input {shown}"
            elif real.is_relative_to(resolved):
                problem = f"contains the fleet's input {shown} ('{real}')"
            elif resolved.is_relative_to(real):
                problem, why = f"is inside the fleet's input {shown}", "relc would read its own output as input"
            if problem:
                break
    if problem:
        via = "" if Path(os.path.abspath(path)) == resolved else f" (a link to '{resolved}')"
        raise UsageError(
            f"output folder '{path}'{via} {problem}: {why}",
            f"change {option} to a folder of its own outside the fleet's inputs, such as {purpose.example}",
        )


def _refuse_foreign(path: Path, option: str, purpose: Purpose) -> None:
    """A non-empty folder without relc's marker holds someone else's files, which a compile would delete."""
    try:
        with os.scandir(path) as listing:
            names = sorted(e.name + ("/" if e.is_dir(follow_symlinks=False) else "") for e in listing)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise EnvironmentFailure.of(exc, "list", path) from exc
    if not names or (MARKER in names and _marked(path / MARKER)):
        return
    shown = ", ".join(names[:SHOWN_NAMES]) + (
        f" and {len(names) - SHOWN_NAMES} more" if len(names) > SHOWN_NAMES else ""
    )
    legacy = f" (a folder an older relc wrote, before {MARKER} existed: delete it and compile again)"
    raise UsageError(
        f"output folder '{path}' holds files relc did not write ({shown}) and no {MARKER} of relc's",
        f"{purpose.doing} replaces the whole folder, deleting them: move them away, or change {option} to an empty"
        " or new folder" + (legacy if purpose is COMPILE else ""),
    )


def _marked(marker: Path) -> bool:
    """Whether ``marker`` is relc's: a regular file (not a link) starting with :data:`SIGNATURE`."""
    try:
        if marker.is_symlink() or not marker.is_file():
            return False
        with open(marker, "rb") as f:
            return f.read(len(SIGNATURE)) == SIGNATURE
    except OSError as exc:
        raise EnvironmentFailure.of(exc, "read", marker) from exc
