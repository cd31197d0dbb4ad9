"""What every edit command shares: finding tenants by name, analysing the would-be fleet, refusing or writing,
and printing the outcome as text or JSON.

An edit is an overlay (fleet-relative path → new text, None: deleted) analysed by ``compiler.app.analysis``: the
rules ``relc validate`` runs, on the fleet as the edit would leave it, nothing written first. Any error refuses
the edit whole (exit 1, every file untouched), whether the edit caused it or the fleet already had it: a pull
request with that edit would fail its first check either way. Warnings are printed and do not stop it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from compiler.app import Console, analysis, unknown
from compiler.diagnostics import Diagnostic, EnvironmentFailure, ExitCode, UsageError
from compiler.diagnostics.report import OutputFormat, render
from compiler.emit.files import replace_paths
from compiler.load.parallel import ParseCache
from compiler.model.fleet import Entry, Fleet
from compiler.model.kinds import Tenant
from compiler.options import EditFormat, EditOptions

TENANTS = "tenants"
BOM = "\ufeff"


@dataclass(slots=True)
class Outcome:
    """What a command reports: its text lines and its JSON object (``written``, ``diagnostics`` added here)."""

    command: str
    lines: list[str] = field(default_factory=list)
    data: dict[str, object] = field(default_factory=dict)


def find_tenant(fleet: Fleet, name: str, instance: str | None) -> Entry[Tenant]:
    """The tenant ``name`` (in ``instance``, needed when the name is in several); a usage error otherwise."""
    if instance is not None and instance not in fleet.instances:
        raise unknown("Instance", instance, fleet.instances)
    found = [e for (i, n), e in sorted(fleet.tenants.items()) if n == name and instance in (None, i)]
    if not found:
        where = f" in Instance '{instance}'" if instance is not None else ""
        known = {n for (i, n) in fleet.tenants if instance in (None, i)}
        error = unknown("tenant", name, known)
        raise UsageError(f"tenant '{name}' does not exist{where}", error.hint)
    if len(found) > 1:
        places = ", ".join(e.obj.spec.instance for e in found)
        raise UsageError(
            f"tenant '{name}' is in {len(found)} Instances: {places}", "pass --instance with the one you mean"
        )
    return found[0]


def finish(
    opts: EditOptions,
    console: Console,
    overlay: Mapping[str, str | None],
    outcome: Outcome,
    *,
    write: bool,
    parses: ParseCache | None = None,
) -> ExitCode:
    """Analyse the fleet with ``overlay`` (``parses``: the command's own load, so only the edited files are parsed
    again); refuse on any error, else write it (unless ``write`` is False)."""
    for path in overlay:
        checked_path(opts.root, path)
    if not overlay:  # nothing to change (every tenant already there): nothing to validate or write
        _print(opts, console, outcome, [], ([], []), refused=False)
        return ExitCode.OK
    _, problems, _ = analysis(opts.root, opts.today, opts.workers, overlay, parses)
    refused = any(d.is_error for d in problems)
    done: list[str] = []
    if not refused and write:
        _make_folders(opts.root, [path for path, text in overlay.items() if text is not None])
        replace_paths(opts.root, {path: _on_disk(opts.root, path, text) for path, text in overlay.items()})
        done = list(overlay)
    written = [path for path in done if overlay[path] is not None]
    deleted = [path for path in done if overlay[path] is None]
    _print(opts, console, outcome, problems, (written, deleted), refused)
    return ExitCode.INVALID if refused else ExitCode.OK


def checked_path(root: Path, rel: str) -> Path:
    """``root``/``rel``, refused unless it is a YAML file inside ``root``/tenants/ (links not followed out)."""
    parts = rel.split("/")
    target = root / rel
    inside = parts[0] == TENANTS and len(parts) > 1 and not {"", ".", ".."} & set(parts)
    real_tenants = os.path.realpath(root / TENANTS)
    real_parent = os.path.realpath(target.parent)
    if not inside or os.path.commonpath([real_tenants, real_parent]) != real_tenants or target.is_symlink():
        raise UsageError(f"relc edits files in {TENANTS}/ only, not '{rel}'", "edit that file by hand")
    return target


def _make_folders(root: Path, paths: list[str]) -> None:
    """The folders of new files (the first tenant of an Instance), made only once the edit is accepted."""
    for path in paths:
        try:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EnvironmentFailure.of(exc, "create", exc.filename or root / path, "No file was changed.") from exc


def _on_disk(root: Path, rel: str, text: str | None) -> bytes | None:
    """The bytes to write for ``text``, keeping a byte-order mark the file had (the loader drops it, and the diff
    must stay one line)."""
    if text is None:
        return None
    path = root / rel
    try:
        before = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return text.encode("utf-8")
    return (BOM + text if before.startswith(BOM) else text).encode("utf-8")


def _print(
    opts: EditOptions,
    console: Console,
    outcome: Outcome,
    problems: list[Diagnostic],
    done: tuple[list[str], list[str]],
    refused: bool,
) -> None:
    written, deleted = done
    if opts.output is EditFormat.JSON:
        payload = {
            "command": outcome.command,
            **outcome.data,
            "refused": refused,
            "written": written,
            "deleted": deleted,
            "diagnostics": json.loads(render(problems, OutputFormat.JSON))["diagnostics"],
        }
        console.out.write(json.dumps(payload, indent=2, sort_keys=True) + "\n")
        return
    console.out.write("".join(f"{line}\n" for line in outcome.lines))
    if refused:
        console.out.write(render(problems, OutputFormat.TEXT))
        console.out.write("refused: the fleet would not validate after this change; no file was written\n")
        return
    if problems:  # warnings: never silent, never a refusal
        console.err.write(render(problems, OutputFormat.TEXT))
    console.out.write("".join(f"wrote {path}\n" for path in written) + "".join(f"deleted {path}\n" for path in deleted))
