"""Frozen option objects: what the CLI hands to the core. The core never reads flags, env or the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from compiler.diagnostics.report import OutputFormat
from compiler.fanout import SERIAL, Workers
from compiler.report.files import ReportFormat
from compiler.resolve.export import GraphFormat


@dataclass(frozen=True, slots=True)
class ValidateOptions:
    root: Path
    today: date
    output: OutputFormat = OutputFormat.TEXT
    rendered: bool = False  # validate rendered/ (the output) instead of the fleet
    strict: bool = False  # warnings fail the run too
    rendered_dir: Path | None = None  # default: <root>/rendered
    kubeconform: Path | None = None  # the kubeconform executable the CLI resolved; None: the embedded validator
    workers: Workers = SERIAL  # processes parsing the fleet (the CLI's --jobs)


@dataclass(frozen=True, slots=True)
class SchemaOptions:
    out_dir: Path


@dataclass(frozen=True, slots=True)
class GraphOptions:
    root: Path
    today: date
    format: GraphFormat = GraphFormat.MERMAID
    candidate: str | None = None  # one candidate and the shared bundles serving it; None: the whole fleet
    workers: Workers = SERIAL  # processes parsing the fleet (the CLI's --jobs)


@dataclass(frozen=True, slots=True)
class CompileOptions:
    root: Path
    today: date
    out: Path | None = None  # default: <root>/<settings.renderedPath>
    check: bool = False  # compare rendered/ with what the inputs compile to; write nothing
    workers: Workers = SERIAL  # processes parsing the fleet and emitting rendered/ (the CLI's --jobs)


@dataclass(frozen=True, slots=True)
class ReportOptions:
    root: Path
    today: date  # what validation checks end of life against (the CLI's --today, else the clock's)
    out: Path
    format: ReportFormat = ReportFormat.HTML
    as_of: date | None = None  # the date the report shows days left against: --today only, so it is reproducible
    statuses: tuple[tuple[str | None, Path], ...] = ()  # --status [INSTANCE=]FILE: relc-migrate status JSON
    workers: Workers = SERIAL  # processes parsing the fleet (the CLI's --jobs)
