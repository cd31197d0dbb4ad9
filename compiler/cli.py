"""The command line: click options → a frozen options object → one core call. Nothing else lives here."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import NoReturn, TypeVar

import click

from compiler import app
from compiler.diagnostics import ExitCode
from compiler.diagnostics.report import OutputFormat
from compiler.fanout import Workers
from compiler.model.kinds import DeletionMode, TenantRole
from compiler.options import (
    CompileOptions,
    EditFormat,
    EditOptions,
    GraphOptions,
    PinOptions,
    PlanOptions,
    PromoteOptions,
    ReportOptions,
    SchemaOptions,
    Selector,
    StatusFormat,
    StatusOptions,
    TenantAddOptions,
    TenantRemoveOptions,
    ValidateOptions,
)
from compiler.plan.formats import PlanFormat
from compiler.progress import DEFAULT_DELAY, ProgressSettings, wanted
from compiler.report.files import ReportFormat
from compiler.resolve.export import GraphFormat

Opts = TypeVar("Opts")

_ROOT = click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="Top of the fleet repository (holding blueprints/, releases/, instances/, tenants/).",
)
_TODAY = click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The date end-of-life checks use (default: today; set it for reproducible CI runs).",
)


def _kubeconform(choice: str) -> Path | None:
    """Resolve --kubeconform here, at the edge: the core never searches PATH."""
    if choice == "off":
        return None
    if choice == "auto":
        found = shutil.which("kubeconform")
        return Path(found) if found else None
    return Path(choice)


MAX_DEFAULT_JOBS = 8


def _jobs(value: int | None, fork_threshold: int | None = None) -> Workers:
    """Resolve --jobs here, at the edge: the core never asks how many cores there are. One setting for every
    stage that forks (parsing the fleet, emitting rendered/); each stage forks only above its measured threshold
    (compiler.fanout) unless the hidden --fork-threshold says otherwise.

    Capped at 8: each worker may come to copy part of the rendered fleet's memory as it reads it (copy-on-write
    pages), and all of them share one disk, so more workers than that rarely pay.
    """
    count = value if value is not None else min(os.cpu_count() or 1, MAX_DEFAULT_JOBS)
    return Workers(count, fork_threshold)


def _parallel(what: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """--jobs and the hidden --fork-threshold, for every command that forks (``what``: what its workers do)."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        jobs = click.option(
            "--jobs",
            "-j",
            type=click.IntRange(min=1),
            default=None,
            help=f"Processes that {what} (default: the cores, at most {MAX_DEFAULT_JOBS}; 1: no fork).",
        )
        threshold = click.option(
            "--fork-threshold",
            type=click.IntRange(min=0),
            default=None,
            hidden=True,
            help="Fork from this many files on whatever the measured thresholds say (tests set 0 to force it).",
        )
        return jobs(threshold(command))

    return decorate


def _format(
    choices: type[StrEnum], help: str, dest: str = "output", default: StrEnum | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """--format: one of ``choices``' values; ``default``, else the first."""
    values = [c.value for c in choices]
    chosen = default.value if default is not None else values[0]
    return click.option("--format", dest, type=click.Choice(values), default=chosen, show_default=True, help=help)


def _deletion(default: DeletionMode | None, help: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """--deletion: a tenant's policies.deletion.mode."""
    values = [m.value for m in DeletionMode]
    chosen = default.value if default is not None else None
    return click.option(
        "--deletion", type=click.Choice(values), default=chosen, show_default=default is not None, help=help
    )


def _progress_options(command: Callable[..., None]) -> Callable[..., None]:
    """--progress/--no-progress and the hidden --progress-delay, for every command that can run for seconds."""
    flag = click.option(
        "--progress/--no-progress",
        default=None,
        help="Show stages and counts on stderr during a long run (default: only on a terminal, never with CI set).",
    )
    delay = click.option(
        "--progress-delay",
        type=click.FloatRange(min=0),
        default=DEFAULT_DELAY,
        hidden=True,
        help="Seconds a run lasts before progress shows (tests set 0).",
    )
    return flag(delay(command))


def _progress(flag: bool | None, delay: float) -> ProgressSettings:
    """Resolve --progress here, at the edge: the core never asks whether it writes to a terminal or reads env."""
    enabled = wanted(flag, stdout_tty=sys.stdout.isatty(), stderr_tty=sys.stderr.isatty(), env=os.environ)
    return ProgressSettings(enabled, delay)


def _today(value: object) -> date:
    return value.date() if hasattr(value, "date") else date.today()


def _run(ctx: click.Context, command: Callable[[Opts, app.Console], ExitCode], opts: Opts) -> NoReturn:
    """The one way a command runs: its options into the core, every failure through app.handle, its code out."""
    console = app.stdio()
    ctx.exit(app.handle(lambda: command(opts, console), console, debug=bool(ctx.obj)))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="relc")
@click.option("--debug", is_flag=True, hidden=True, envvar="RELC_DEBUG")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """relc compiles a multi-tenant, multi-version fleet (YAML in git) into rendered/ for Argo CD.

    \b
    Exit codes (every command):
      0  done: clean, compiled, or up to date
      1  invalid input, or compile --check found stale output
      2  usage error: bad option, missing folder, an --out relc may not write into
      3  a bug in relc (reported as such; RELC_DEBUG=1 adds the traceback)
      4  environment failure: a read or write the machine refused (disk full, read-only, permissions, I/O)
    """
    ctx.obj = debug


@main.command()
@_ROOT
@_TODAY
@_format(OutputFormat, "text for people, json for tools, github for workflow annotations.")
@click.option("--strict", is_flag=True, help="Warnings fail the run too.")
@click.option("--rendered", is_flag=True, help="Validate the compiled output (rendered/) instead of the fleet.")
@click.option(
    "--rendered-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The compiled output to validate with --rendered (default: ROOT/rendered).",
)
@click.option(
    "--kubeconform",
    "kubeconform",
    default="auto",
    show_default=True,
    help="With --rendered: kubeconform to run (a PATH), 'auto' (the one on PATH, if any) or 'off' (embedded only).",
)
@click.option(
    "--base",
    "base",
    default=None,
    metavar="REF",
    help="Also check the policies a change must keep against this git ref (published candidates, downgrades, "
    "shared persistence, retired candidates: RLC901-RLC905).",
)
@_parallel("parse the fleet")
@_progress_options
@click.pass_context
def validate(
    ctx: click.Context,
    root: Path,
    today: object,
    output: str,
    strict: bool,
    rendered: bool,
    rendered_dir: Path | None,
    kubeconform: str,
    base: str | None,
    jobs: int | None,
    fork_threshold: int | None,
    progress: bool | None,
    progress_delay: float,
) -> None:
    """Validate the fleet (or, with --rendered, the output); exit 0 when clean, 1 when invalid, 2 on usage errors."""
    opts = ValidateOptions(
        root=root,
        today=_today(today),
        output=OutputFormat(output),
        strict=strict,
        rendered=rendered,
        rendered_dir=rendered_dir,
        kubeconform=_kubeconform(kubeconform),
        workers=_jobs(jobs, fork_threshold),
        base=base,
        progress=_progress(progress, progress_delay),
    )
    _run(ctx, app.validate, opts)


@main.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("schemas"),
    show_default=True,
    help="Folder to write one JSON Schema per kind into.",
)
@click.pass_context
def schema(ctx: click.Context, out_dir: Path) -> None:
    """Write a JSON Schema per kind (editors validate and complete fields with them)."""
    opts = SchemaOptions(out_dir=out_dir)
    _run(ctx, app.schema, opts)


@main.command()
@_ROOT
@_TODAY
@_format(GraphFormat, "mermaid renders in a pull request; dot is for Graphviz.", dest="fmt")
@click.option("--candidate", default=None, help="Only this candidate and the shared bundles serving it.")
@_parallel("parse the fleet")
@click.pass_context
def graph(
    ctx: click.Context,
    root: Path,
    today: object,
    fmt: str,
    candidate: str | None,
    jobs: int | None,
    fork_threshold: int | None,
) -> None:
    """Print the dependency graph of the candidates with their migration orders (exit 1 if the fleet is invalid)."""
    workers = _jobs(jobs, fork_threshold)
    opts = GraphOptions(root=root, today=_today(today), format=GraphFormat(fmt), candidate=candidate, workers=workers)
    _run(ctx, app.graph, opts)


@main.command()
@_ROOT
@_TODAY
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The rendered folder (default: ROOT/<renderedPath from relc.yaml>, i.e. ROOT/rendered). Replaced whole:"
    " it must be absent, empty or marked as relc's.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 listing stale, missing or extra files (for CI).")
@_format(OutputFormat, "text for people, json for tools, github for workflow annotations (stale files too).")
@_parallel("parse the fleet and emit, compare and write files")
@_progress_options
@click.pass_context
def compile(
    ctx: click.Context,
    root: Path,
    today: object,
    out: Path | None,
    check: bool,
    output: str,
    jobs: int | None,
    fork_threshold: int | None,
    progress: bool | None,
    progress_delay: float,
) -> None:
    """Compile the fleet into rendered/ for Argo CD; exit 0 when done (or up to date), 1 when invalid or stale.

    relc writes only into an absent or empty folder or one it wrote before (marked by its RELC-OUTPUT.md), never
    into or above the fleet's inputs: it replaces the folder whole, deleting what it no longer produces.
    """
    opts = CompileOptions(
        root=root,
        today=_today(today),
        out=out,
        check=check,
        output=OutputFormat(output),
        workers=_jobs(jobs, fork_threshold),
        progress=_progress(progress, progress_delay),
    )
    _run(ctx, app.compile, opts)


@main.command()
@_ROOT
@_TODAY
@click.option(
    "--base",
    default=None,
    metavar="REF",
    help="The git ref to compare with (default: the merge base of HEAD with origin/main, else main).",
)
@_format(
    PlanFormat,
    "markdown for a PR comment, json for tools, github adds workflow annotations on the risky lines.",
    "fmt",
    default=PlanFormat.TEXT,
)
@_parallel("parse the fleet")
@click.pass_context
def plan(
    ctx: click.Context,
    root: Path,
    today: object,
    base: str | None,
    fmt: str,
    jobs: int | None,
    fork_threshold: int | None,
) -> None:
    """Say what the change does against the base branch, per Instance; exit 0 when fine, 1 when a policy fails."""
    opts = PlanOptions(
        root=root, today=_today(today), base=base, format=PlanFormat(fmt), workers=_jobs(jobs, fork_threshold)
    )
    _run(ctx, app.plan, opts)


def _status_file(value: str) -> tuple[str | None, Path]:
    """--status [INSTANCE=]FILE: a status file is one Instance's server; without INSTANCE= it applies to all."""
    instance, sep, path = value.partition("=")
    if sep and instance and "/" not in instance:
        return instance, Path(path)
    return None, Path(value)


@main.command()
@_ROOT
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The date the report counts days left against (and validation checks end of life against). Without it"
    " the report shows no date-dependent facts, so the same commit gives the same report on any day.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="The report folder. Replaced whole: it must be absent, empty or marked as relc's, and not rendered/.",
)
@_format(
    ReportFormat,
    "html: a static site (index, a page per Instance and candidate); markdown: a summary; json: for tools.",
    "fmt",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="[INSTANCE=]FILE",
    help="The JSON of 'relc-migrate status --all --json' on INSTANCE's server (no INSTANCE=: every Instance):"
    " shows the versions the schemas actually run and failed or blocked migrations. Repeatable.",
)
@_parallel("parse the fleet")
@_progress_options
@click.pass_context
def report(
    ctx: click.Context,
    root: Path,
    today: object,
    out: Path,
    fmt: str,
    statuses: tuple[str, ...],
    jobs: int | None,
    fork_threshold: int | None,
    progress: bool | None,
    progress_delay: float,
) -> None:
    """Write the fleet report: who runs which version, who is behind, what blocks retiring a candidate."""
    opts = ReportOptions(
        root=root,
        today=_today(today),
        out=out,
        format=ReportFormat(fmt),
        as_of=_today(today) if today is not None else None,
        statuses=tuple(_status_file(s) for s in statuses),
        workers=_jobs(jobs, fork_threshold),
        progress=_progress(progress, progress_delay),
    )
    _run(ctx, app.report, opts)


def _edit_options(command: Callable[..., None]) -> Callable[..., None]:
    """--root, --today, --format text|json and --jobs: what every edit command (pin, promote, tenant) takes."""
    output = _format(EditFormat, "text for people, json for a platform backend.")
    return _ROOT(_TODAY(output(_parallel("parse the fleet")(command))))


def _edit(root: Path, today: object, output: str, jobs: int | None, fork_threshold: int | None) -> EditOptions:
    return EditOptions(root, _today(today), EditFormat(output), _jobs(jobs, fork_threshold))


@main.command()
@click.argument("tenants", nargs=-1, required=True)
@click.option("--to", "to", required=True, help="The release candidate the tenants move to.")
@click.option("--instance", default=None, help="The tenants' Instance (needed when a name is in several).")
@_edit_options
@click.pass_context
def pin(
    ctx: click.Context,
    tenants: tuple[str, ...],
    to: str,
    instance: str | None,
    root: Path,
    today: object,
    output: str,
    jobs: int | None,
    fork_threshold: int | None,
) -> None:
    """Pin TENANTS to a candidate: one changed line per tenant file, written only if the fleet still validates."""
    from compiler.edit import commands

    opts = PinOptions(_edit(root, today, output, jobs, fork_threshold), tuple(tenants), to, instance)
    _run(ctx, commands.pin, opts)


def _percent(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    number = value.removesuffix("%")
    try:
        percent = float(number)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a percentage such as 10%") from None
    if not 0 < percent <= 100:
        raise click.BadParameter(f"'{value}' is not a percentage above 0% and at most 100%")
    return percent


def _selector(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> Selector:
    fields: dict[str, str] = {}
    for value in values:
        key, _, wanted = value.partition("=")
        if key not in ("role", "operator") or not wanted:
            raise click.BadParameter(f"'{value}' is not role=Operator|Agent or operator=NAME")
        fields[key] = wanted
    role = fields.get("role")
    if role is not None and role not in {r.value for r in TenantRole}:
        raise click.BadParameter(f"role '{role}' is not one of {', '.join(r.value for r in TenantRole)}")
    return Selector(TenantRole(role) if role else None, fields.get("operator"))


@main.command()
@click.option("--from", "source", required=True, help="The candidate the tenants move off.")
@click.option("--to", "to", required=True, help="The candidate they move to.")
@click.option("--instance", default=None, help="Only this Instance's tenants (default: every Instance).")
@click.option("--wave", "wave", callback=_percent, default=None, help="The share of the tenants to be on --to: 10%.")
@click.option("--tenants", "names", default=None, help="Exactly these tenants instead of a wave (comma-separated).")
@click.option(
    "--selector",
    "selector",
    multiple=True,
    callback=_selector,
    help="Take the wave from these tenants only: role=Agent, operator=NAME (repeatable, all must match).",
)
@click.option("--dry-run", is_flag=True, help="Print the plan and whether it would validate; write nothing.")
@_edit_options
@click.pass_context
def promote(
    ctx: click.Context,
    source: str,
    to: str,
    instance: str | None,
    wave: float | None,
    names: str | None,
    selector: Selector,
    dry_run: bool,
    root: Path,
    today: object,
    output: str,
    jobs: int | None,
    fork_threshold: int | None,
) -> None:
    """Move a wave of the tenants on --from to --to, the same tenants on every machine (README: relc promote)."""
    from compiler.edit import commands

    tenants = tuple(n.strip() for n in names.split(",") if n.strip()) if names is not None else ()
    if names is not None and (wave is not None or selector != Selector()):
        raise click.UsageError("--tenants names the tenants: it cannot be combined with --wave or --selector")
    if names is not None and not tenants:
        raise click.BadParameter("name at least one tenant", param_hint="--tenants")
    opts = PromoteOptions(
        _edit(root, today, output, jobs, fork_threshold),
        source,
        to,
        instance,
        wave if wave is not None else 100.0,
        tenants,
        selector,
        dry_run,
    )
    _run(ctx, commands.promote, opts)


@main.group()
def tenant() -> None:
    """Add or remove a tenant file (what a platform backend opens a pull request with)."""


@tenant.command("add")
@click.argument("name")
@click.option("--instance", required=True, help="The Instance the tenant joins (its folder under tenants/).")
@click.option("--candidate", required=True, help="The release candidate it is pinned to.")
@click.option("--role", type=click.Choice([r.value for r in TenantRole]), required=True, help="Operator or Agent.")
@click.option("--operator", default=None, help="An Agent's Operator (a tenant of the same Instance).")
@click.option("--display-name", default=None, help="spec.displayName (default: NAME).")
@click.option("--backup/--no-backup", default=True, show_default=True, help="policies.backupBeforeMigration.")
@_deletion(DeletionMode.RETAINED, "policies.deletion.mode: what happens to its data once the tenant is removed.")
@click.option("--grace-period", default="30d", show_default=True, help="policies.deletion.gracePeriod.")
@_edit_options
@click.pass_context
def tenant_add(
    ctx: click.Context,
    name: str,
    instance: str,
    candidate: str,
    role: str,
    operator: str | None,
    display_name: str | None,
    backup: bool,
    deletion: str,
    grace_period: str,
    root: Path,
    today: object,
    output: str,
    jobs: int | None,
    fork_threshold: int | None,
) -> None:
    """Write tenants/INSTANCE/NAME.yaml, validated with the whole fleet first."""
    from compiler.edit import commands

    opts = TenantAddOptions(
        _edit(root, today, output, jobs, fork_threshold),
        name,
        instance,
        candidate,
        TenantRole(role),
        operator,
        display_name,
        backup,
        DeletionMode(deletion),
        grace_period,
    )
    _run(ctx, commands.tenant_add, opts)


@tenant.command("remove")
@click.argument("name")
@click.option("--instance", default=None, help="The tenant's Instance (needed when the name is in several).")
@_deletion(None, "The deletion mode the tenant declares, stated to confirm what will happen to its data (required).")
@_edit_options
@click.pass_context
def tenant_remove(
    ctx: click.Context,
    name: str,
    instance: str | None,
    deletion: str | None,
    root: Path,
    today: object,
    output: str,
    jobs: int | None,
    fork_threshold: int | None,
) -> None:
    """Delete the tenant's file; its data then follows its declared deletion policy (printed)."""
    from compiler.edit import commands

    mode = DeletionMode(deletion) if deletion is not None else None
    opts = TenantRemoveOptions(_edit(root, today, output, jobs, fork_threshold), name, instance, mode)
    _run(ctx, commands.tenant_remove, opts)


@main.command()
@_ROOT
@_TODAY
@_format(StatusFormat, "text: a table in 100 columns; json: the same facts for tools (README: relc status).", "fmt")
@click.option(
    "--near-days",
    type=click.IntRange(min=0, max=3650),
    default=90,
    show_default=True,
    help="Warn of a candidate's end of life this many days ahead (tenants still on it).",
)
@_parallel("parse the fleet")
@click.pass_context
def status(
    ctx: click.Context,
    root: Path,
    today: object,
    fmt: str,
    near_days: int,
    jobs: int | None,
    fork_threshold: int | None,
) -> None:
    """Summarise the fleet: per Instance, its candidates and their tenant counts; deprecations, ends of life and
    drafts to act on (exit 1 if the fleet has errors)."""
    opts = StatusOptions(
        root=root,
        today=_today(today),
        format=StatusFormat(fmt),
        near_days=near_days,
        workers=_jobs(jobs, fork_threshold),
    )
    _run(ctx, app.status, opts)


def run() -> None:  # pragma: no cover - console-script shim
    main(prog_name=os.path.basename("relc"))
