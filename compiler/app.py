"""The core's entry points: one function per command, each returning an exit code, and the one handler that
maps every error to an exit code and a message (never a traceback)."""

from __future__ import annotations

import difflib
import io
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from compiler.batch import paused_gc
from compiler.diagnostics import Diagnostic, EnvironmentFailure, ExitCode, InvalidInput, RelcError, UsageError
from compiler.diagnostics.report import OutputFormat, render
from compiler.fanout import EMIT_THRESHOLD, PARSE_THRESHOLD, SERIAL, Workers
from compiler.load.discover import FLEET_FOLDERS, read_fleet, read_settings_file
from compiler.load.migrations import read_shipped
from compiler.load.parallel import parse_all
from compiler.model.build import build_fleet, build_settings
from compiler.model.fleet import Fleet
from compiler.model.settings import Settings
from compiler.options import CompileOptions, GraphOptions, SchemaOptions, StatusFormat, StatusOptions, ValidateOptions
from compiler.progress import Progress, start
from compiler.resolve import Resolution, resolve
from compiler.validate import rules, run_rules
from compiler.validate.context import Context


@dataclass(frozen=True, slots=True)
class Console:
    """Where a command writes: injected so tests and callers choose the streams."""

    out: TextIO
    err: TextIO


def handle(command: Callable[[], ExitCode], console: Console, *, debug: bool = False) -> int:
    """Run ``command``; translate every failure into an exit code and a one-paragraph message."""
    try:
        with paused_gc():
            return int(command())
    except InvalidInput as exc:
        console.out.write(render(exc.diagnostics, OutputFormat.TEXT))
        return int(exc.exit_code)
    except UsageError as exc:
        return _error(console, exc.message, exc.hint, exc.exit_code)
    except EnvironmentFailure as exc:
        return _error(console, str(exc), exc.hint, exc.exit_code)
    except RelcError as exc:
        return _error(console, str(exc), "", exc.exit_code)
    except OSError as exc:  # one no edge translated: still the machine's failure, still naming what it can
        failure = EnvironmentFailure.of(exc, "access")
        return _error(console, str(failure), failure.hint, failure.exit_code)
    except Exception as exc:  # the last line of defence: report a bug, not a traceback
        console.err.write(f"relc: internal error (a bug in relc, please report it): {type(exc).__name__}: {exc}\n")
        if debug:
            traceback.print_exc(file=console.err)
        return int(ExitCode.INTERNAL)


def _error(console: Console, message: str, hint: str, code: ExitCode) -> int:
    console.err.write(f"relc: error: {message}\n" + (f"  hint: {hint}\n" if hint else ""))
    return int(code)


def check_root(root: Path) -> None:
    if not root.is_dir():
        raise UsageError(f"fleet folder '{root}' does not exist", "pass --root pointing at the fleet repository")
    if not any((root / f).is_dir() for f in FLEET_FOLDERS):
        raise UsageError(
            f"'{root}' holds none of {', '.join(f + '/' for f in FLEET_FOLDERS)}",
            "run relc at the top of the fleet repository or pass --root",
        )


def load_fleet(root: Path, workers: Workers = SERIAL) -> tuple[Fleet, list[Diagnostic]]:
    """Read (edge) and type (pure) the whole fleet, relc.yaml included (every command reports its errors), parsing
    on ``workers``."""
    check_root(root)
    try:
        sources, problems = read_fleet(root)
        settings, found = read_settings_file(root)
    except OSError as exc:  # an unreadable file or a failing disk: read_fleet names what it can, the root otherwise
        raise EnvironmentFailure.of(exc, "read", exc.filename or root) from exc
    threshold = workers.threshold(PARSE_THRESHOLD)
    fleet, typed = build_fleet(
        sources,
        parse_all=lambda s, limits: parse_all(s, limits, workers=workers.count, threshold=threshold),
        settings=settings,
    )
    return fleet, problems + found + typed


def load_settings(root: Path) -> tuple[Settings, list[Diagnostic]]:
    """relc.yaml alone, for the command that checks rendered/ rather than the fleet."""
    try:
        source, problems = read_settings_file(root)
    except OSError as exc:
        raise EnvironmentFailure.of(exc, "read", exc.filename or root) from exc
    settings, typed = build_settings(source)
    return settings, problems + typed


def analyse(root: Path, ctx_today: object, workers: Workers = SERIAL) -> tuple[Fleet, list[Diagnostic]]:
    fleet, problems, _ = analysis(root, ctx_today, workers)
    return fleet, problems


def analysis(
    root: Path, ctx_today: object, workers: Workers = SERIAL, progress: Progress | None = None
) -> tuple[Fleet, list[Diagnostic], Resolution]:
    """Load, resolve once, validate: the resolution is what the dependencies rule reported from, so a command
    that also needs it (graph, compile) reuses it instead of resolving again. Values templates are rendered
    too (RLC801, render's own check): a template typo must fail ``relc validate``, the pull request's first check.
    ``progress`` (a long run's line on stderr) is told each stage; the caller closes it."""
    from datetime import date

    from compiler.render.charts import template_problems

    assert isinstance(ctx_today, date)
    shown = progress or Progress(None)
    shown.stage("load")
    fleet, problems = load_fleet(root, workers)
    shown.stage(f"resolve {len(fleet.candidates):,} candidates")
    resolution = resolve(fleet)
    shipped, found = read_shipped(root, (component for component, _ in fleet.component_versions))
    problems += found
    shown.stage(f"validate {len(fleet.tenants):,} tenants", len(rules()), "rules")
    problems += run_rules(Context(fleet, ctx_today, resolution, shipped), shown.advance)
    shown.stage("check templates")
    problems += template_problems(fleet)
    return fleet, problems, resolution


def validate(opts: ValidateOptions, console: Console) -> ExitCode:
    progress = start(opts.progress, console.err)
    try:
        if opts.rendered:
            progress.stage("check rendered output")
            problems = validate_rendered(opts)
        else:
            problems = analysis(opts.root, opts.today, opts.workers, progress)[1]
    finally:
        progress.close()
    console.out.write(render(problems, opts.output))
    failed = any(d.is_error or opts.strict for d in problems)
    return ExitCode.INVALID if failed else ExitCode.OK


def validate_rendered(opts: ValidateOptions) -> list[Diagnostic]:
    """The output, not the fleet: ``make run`` validates the fleet before compiling, so it is not repeated here.
    relc.yaml is read (it says where rendered/ is) and its errors reported; with them, rendered/ is checked only
    where ``--rendered-dir`` says, since an invalid ``renderedPath`` cannot."""
    from compiler.outcheck.run import RenderedCheck, check_rendered

    settings, problems = load_settings(opts.root)
    rendered = opts.rendered_dir
    if rendered is None:  # where relc compile writes: relc.yaml's renderedPath
        if any(d.is_error for d in problems):
            return problems
        rendered = opts.root / settings.rendered_path
    try:
        shown = rendered.relative_to(opts.root).as_posix()
    except ValueError:
        shown = rendered.as_posix()
    return problems + check_rendered(RenderedCheck(rendered, shown, opts.kubeconform))


def compile(opts: CompileOptions, console: Console) -> ExitCode:
    """Validate, render, then write rendered/ atomically (or, with --check, compare)."""
    from compiler.emit import compile as emit
    from compiler.render.context import RenderContext
    from compiler.render.pipeline import render_all

    progress = start(opts.progress, console.err)
    try:
        fleet, problems, resolution = analysis(opts.root, opts.today, opts.workers, progress)
    finally:
        progress.close()  # reopened by the stages below: a warning or an error must start on a clean line
    settings = fleet.settings
    if any(d.is_error for d in problems):
        raise InvalidInput(problems)
    if problems:  # warnings do not stop a compile, but are never silent
        console.err.write(render(problems, OutputFormat.TEXT))
    target = emit.target_for(opts.root, opts.out, settings.rendered_path, writing=not opts.check)
    workers, threshold = opts.workers.count, opts.workers.threshold(EMIT_THRESHOLD)
    try:
        progress.stage(f"render {len(fleet.tenants):,} tenants")
        files = render_all(RenderContext(fleet, resolution, settings))  # before the disk is touched (tenants: later)
        progress.stage(f"{'compare' if opts.check else 'write'} {len(files):,} files")
        diffs = io.StringIO()  # the first stale files' diffs, printed once the progress line is gone
        if opts.check:
            delta, stale = emit.check(
                target, files, diffs, workers=workers, threshold=threshold, heartbeat=progress.tick
            )
        else:
            delta = emit.write(target, files, workers=workers, threshold=threshold, heartbeat=progress.tick)
    finally:
        progress.close()
    console.err.write(diffs.getvalue())
    if opts.check:
        if stale:
            console.out.write(render(stale, OutputFormat.TEXT))
            return ExitCode.INVALID
        console.out.write(f"{target.shown}/ is up to date ({delta.files} files)\n")
        return ExitCode.OK
    console.out.write(f"compiled {delta.files} files into {target.shown}/: {delta.summary()}\n")
    return ExitCode.OK


def schema(opts: SchemaOptions, console: Console) -> ExitCode:
    from compiler.emit.files import replace_files
    from compiler.model.schema import schema_texts

    texts = {name: text.encode("utf-8") for name, text in schema_texts().items()}
    for path in replace_files(opts.out_dir, texts):
        console.out.write(f"wrote {path}\n")
    return ExitCode.OK


def graph(opts: GraphOptions, console: Console) -> ExitCode:
    """Print the dependency graph with migration orders; an invalid fleet prints its diagnostics instead."""
    from compiler.resolve.export import export

    fleet, problems, resolution = analysis(opts.root, opts.today, opts.workers)
    if any(d.is_error for d in problems):
        raise InvalidInput(problems)
    if opts.candidate is not None and opts.candidate not in fleet.candidates:
        close = difflib.get_close_matches(opts.candidate, sorted(fleet.candidates), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(sorted(fleet.candidates))}"
        raise UsageError(f"release candidate '{opts.candidate}' does not exist", hint)
    console.out.write(export(resolution, opts.format, opts.candidate))
    return ExitCode.OK


def status(opts: StatusOptions, console: Console) -> ExitCode:
    """The fleet at a glance (text or JSON); shown even when the fleet has errors (it says how many), exit 1 then,
    so a script can tell a fleet that would not compile."""
    import json

    from compiler.status.summary import summarise
    from compiler.status.table import text

    fleet, problems, _ = analysis(opts.root, opts.today, opts.workers)
    found = summarise(fleet, problems, opts.today, opts.near_days)
    if opts.format is StatusFormat.JSON:
        console.out.write(json.dumps(found.as_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        console.out.write(text(found))
    return ExitCode.INVALID if found.errors else ExitCode.OK


def stdio() -> Console:
    return Console(sys.stdout, sys.stderr)
