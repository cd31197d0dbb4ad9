"""The core's entry points: one function per command, each returning an exit code, and the one handler that
maps every error to an exit code and a message (never a traceback)."""

from __future__ import annotations

import difflib
import io
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from compiler.batch import paused_gc
from compiler.diagnostics import Diagnostic, EnvironmentFailure, ExitCode, InvalidInput, RelcError, UsageError
from compiler.diagnostics.report import OutputFormat, render
from compiler.fanout import EMIT_THRESHOLD, PARSE_THRESHOLD, SERIAL, Workers
from compiler.load.discover import FLEET_FOLDERS, read_fleet, read_settings_file
from compiler.load.documents import SourceFile
from compiler.load.migrations import read_shipped
from compiler.load.parallel import ParseCache, parse_all
from compiler.model.build import build_fleet, build_settings
from compiler.model.fleet import Fleet
from compiler.model.settings import Settings
from compiler.options import (
    CompileOptions,
    GraphOptions,
    PlanOptions,
    ReportOptions,
    SchemaOptions,
    StatusFormat,
    StatusOptions,
    ValidateOptions,
)
from compiler.progress import Progress, start
from compiler.report.status import StatusFile
from compiler.resolve import Resolution, resolve
from compiler.validate import rules, run_rules
from compiler.validate.context import Context

if TYPE_CHECKING:
    from compiler.plan.base import Base


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


Overlay = Mapping[str, str | None]
"""Fleet-relative path → the text a command would write there (None: the file deleted): the would-be fleet an edit
(relc pin, promote, tenant) is analysed as before anything is written."""


def load_fleet(
    root: Path, workers: Workers = SERIAL, overlay: Overlay | None = None, parses: ParseCache | None = None
) -> tuple[Fleet, list[Diagnostic]]:
    """Read (edge) and type (pure) the whole fleet, relc.yaml included (every command reports its errors), parsing
    on ``workers``; ``overlay`` replaces, adds or removes files after reading, before typing; ``parses``: outcomes
    an earlier load of the same fleet kept (an edit command loads it twice)."""
    check_root(root)
    try:
        sources, problems = read_fleet(root)
        if overlay:
            sources = with_overlay(sources, overlay)
        settings, found = read_settings_file(root)
    except OSError as exc:  # an unreadable file or a failing disk: read_fleet names what it can, the root otherwise
        raise EnvironmentFailure.of(exc, "read", exc.filename or root) from exc
    threshold = workers.threshold(PARSE_THRESHOLD)
    fleet, typed = build_fleet(
        sources,
        parse_all=lambda s, limits: parse_all(s, limits, workers=workers.count, threshold=threshold, cache=parses),
        settings=settings,
    )
    return fleet, problems + found + typed


def with_overlay(sources: list[SourceFile], overlay: Overlay) -> list[SourceFile]:
    """``sources`` as they would be once ``overlay`` is written, in the loader's order (by path)."""
    kept = [s for s in sources if s.path not in overlay]
    added = [SourceFile(path, text) for path, text in overlay.items() if text is not None]
    return sorted(kept + added, key=lambda s: s.path)


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
    root: Path,
    ctx_today: object,
    workers: Workers = SERIAL,
    overlay: Overlay | None = None,
    parses: ParseCache | None = None,
    progress: Progress | None = None,
) -> tuple[Fleet, list[Diagnostic], Resolution]:
    """Load, resolve once, validate: the resolution is what the dependencies rule reported from, so a command
    that also needs it (graph, compile) reuses it instead of resolving again. Values templates are rendered
    too (RLC801, render's own check): a template typo must fail ``relc validate``, the pull request's first check.
    ``overlay``: analyse the fleet as an edit would leave it (see :data:`Overlay`).
    ``progress`` (a long run's line on stderr) is told each stage; the caller closes it."""

    from compiler.render.charts import template_problems

    assert isinstance(ctx_today, date)
    shown = progress or Progress(None)
    shown.stage("load")
    fleet, problems = load_fleet(root, workers, overlay, parses)
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
    if opts.rendered and opts.base is not None:
        raise UsageError(
            "--base judges a change to the fleet, --rendered checks the output: give one of them",
            "run relc validate --base REF and relc validate --rendered as two steps",
        )
    progress = start(opts.progress, console.err)
    try:
        if opts.rendered:
            progress.stage("check rendered output")
            problems = validate_rendered(opts)
        else:
            fleet, problems, _ = analysis(opts.root, opts.today, opts.workers, progress=progress)
            if opts.base is not None:
                progress.stage(f"policies against {opts.base}")
                problems += against_base(opts.root, opts.base, fleet, opts.today)[1]
    finally:
        progress.close()
    console.out.write(render(problems, opts.output))
    failed = any(d.is_error or opts.strict for d in problems)
    return ExitCode.INVALID if failed else ExitCode.OK


def against_base(root: Path, ref: str | None, fleet: Fleet, today: date) -> tuple[Base, list[Diagnostic]]:
    """The base commit's fleet and the policies the working tree's ``fleet`` breaks against it (RLC9xx)."""
    from compiler.plan.base import load_base
    from compiler.validate import policies

    base = load_base(root, ref, fleet, today)
    return base, policies.check(base.fleet, fleet)


def plan(opts: PlanOptions, console: Console) -> ExitCode:
    """What the change does per Instance, and the policies it breaks: exit 1 when one fails (an invalid working
    tree prints its diagnostics instead, as compile does)."""
    from compiler.plan.diff import build
    from compiler.plan.formats import render_plan
    from compiler.plan.rendered import compare

    fleet, problems, resolution = analysis(opts.root, opts.today, opts.workers)
    if any(d.is_error for d in problems):
        raise InvalidInput(problems)
    base, broken = against_base(opts.root, opts.base, fleet, opts.today)
    problems += broken
    # a base that does not validate cannot be rendered: the plan says so instead of comparing files
    changes = None if base.problems else compare(base.fleet, resolve(base.fleet), fleet, resolution, base.changed)
    result = build(opts.root, base.fleet, fleet, changes, base.tree.commit, base.tree.label)
    console.out.write(render_plan(result, problems, opts.format))
    return ExitCode.INVALID if any(d.is_error for d in problems) else ExitCode.OK


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
        fleet, problems, resolution = analysis(opts.root, opts.today, opts.workers, progress=progress)
    finally:
        progress.close()  # reopened by the stages below: a warning or an error must start on a clean line
    settings = fleet.settings
    if any(d.is_error for d in problems):
        console.out.write(render(problems, opts.output))  # in the format CI asked for (annotations, JSON)
        return ExitCode.INVALID
    if problems:  # warnings do not stop a compile, but are never silent
        console.err.write(render(problems, opts.output))
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
    for line in emit.undeployed(delta):  # two-step retirement: say what Argo CD will delete (README: Removing)
        _status(console, opts.output, line + "\n")
    if opts.check:
        if stale or opts.output is OutputFormat.JSON:  # JSON: stdout is always one report, even an empty one
            console.out.write(render(stale, opts.output))
        if stale:
            return ExitCode.INVALID
        _status(console, opts.output, f"{target.shown}/ is up to date ({delta.files} files)\n")
        return ExitCode.OK
    _status(console, opts.output, f"compiled {delta.files} files into {target.shown}/: {delta.summary()}\n")
    return ExitCode.OK


def _status(console: Console, output: OutputFormat, line: str) -> None:
    """The one-line outcome: on stdout for people and for annotations (a workflow log shows it), on stderr with
    --format json, so that stdout is only the JSON a tool parses."""
    (console.err if output is OutputFormat.JSON else console.out).write(line)


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
        raise unknown("release candidate", opts.candidate, fleet.candidates)
    console.out.write(export(resolution, opts.format, opts.candidate))
    return ExitCode.OK


def report(opts: ReportOptions, console: Console) -> ExitCode:
    """Analyse (an invalid fleet prints its diagnostics instead), read the status files, build the report and
    write it into ``--out`` through emit's atomic writer and its output-folder rules."""
    from compiler.emit import compile as emit
    from compiler.emit.outdir import REPORT
    from compiler.report.facts import build_report
    from compiler.report.files import report_files

    progress = start(opts.progress, console.err)
    try:
        fleet, problems, resolution = analysis(opts.root, opts.today, opts.workers, progress=progress)
    finally:
        progress.close()
    statuses, found = read_statuses(opts.statuses, fleet)
    problems += found
    if any(d.is_error for d in problems):
        raise InvalidInput(problems)
    if problems:  # warnings do not stop a report, but are never silent
        console.err.write(render(problems, OutputFormat.TEXT))
    target = emit.target_for(opts.root, opts.out, fleet.settings.rendered_path, writing=True, purpose=REPORT)
    compiled = (opts.root / fleet.settings.rendered_path).resolve()
    if target.path.resolve() == compiled:
        raise UsageError(
            f"output folder '{opts.out}' is where relc compile writes: the report would replace rendered/",
            "pass --out a folder of its own, such as report/",
        )
    try:
        progress.stage(f"report on {len(fleet.tenants):,} tenants")
        files = report_files(build_report(fleet, resolution, opts.as_of, statuses), opts.format)
        progress.stage(f"write {len(files):,} files")
        delta = emit.write(target, files, workers=1, heartbeat=progress.tick)
    finally:
        progress.close()
    console.out.write(f"wrote the {opts.format.value} report into {target.shown}/: {delta.summary()}\n")
    return ExitCode.OK


def read_statuses(given: Sequence[tuple[str | None, Path]], fleet: Fleet) -> tuple[list[StatusFile], list[Diagnostic]]:
    """--status files (edge: reads them), each parsed strictly (RLC804 where one is not relc-migrate's JSON)."""
    from compiler.report.status import parse_status

    statuses: list[StatusFile] = []
    problems: list[Diagnostic] = []
    for instance, path in given:
        if instance is not None and instance not in fleet.instances:
            raise unknown("--status: Instance", instance, fleet.instances)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise EnvironmentFailure.of(exc, "read", path) from exc
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(
                Diagnostic(
                    path.as_posix(), 0, 0, "RLC804", f"not a relc-migrate status file: not UTF-8 ({exc.reason})",
                    "pass the output of 'relc-migrate status --all --json' unchanged",
                )
            )  # fmt: skip
            continue
        status, found = parse_status(path.as_posix(), text, instance)
        problems += found
        if status is not None:
            statuses.append(status)
    return statuses, problems


def unknown(what: str, name: str, known: Iterable[str]) -> UsageError:
    """A name on the command line that the fleet does not have, with the closest one (or all) as the hint."""
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(names)}"
    return UsageError(f"{what} '{name}' does not exist", hint)


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
