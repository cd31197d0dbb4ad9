"""Frozen option objects: what the CLI hands to the core. The core never reads flags, env or the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from compiler.diagnostics.report import OutputFormat
from compiler.fanout import SERIAL, Workers
from compiler.model.kinds import DeletionMode, TenantRole
from compiler.plan.formats import PlanFormat
from compiler.progress import OFF, ProgressSettings
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
    base: str | None = None  # a git ref: also check the policies a change must keep against it (RLC9xx)
    progress: ProgressSettings = OFF  # a long run's progress on stderr (the CLI decides: terminal, CI, flags)


@dataclass(frozen=True, slots=True)
class PlanOptions:
    root: Path
    today: date
    base: str | None = None  # a git ref; None: the merge base of HEAD with origin/main (else main)
    format: PlanFormat = PlanFormat.TEXT
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
    output: OutputFormat = OutputFormat.TEXT  # how diagnostics (invalid fleet, stale files) are printed
    workers: Workers = SERIAL  # processes parsing the fleet and emitting rendered/ (the CLI's --jobs)
    progress: ProgressSettings = OFF  # a long run's progress on stderr (the CLI decides: terminal, CI, flags)


@dataclass(frozen=True, slots=True)
class ReportOptions:
    root: Path
    today: date  # what validation checks end of life against (the CLI's --today, else the clock's)
    out: Path
    format: ReportFormat = ReportFormat.HTML
    as_of: date | None = None  # the date the report shows days left against: --today only, so it is reproducible
    statuses: tuple[tuple[str | None, Path], ...] = ()  # --status [INSTANCE=]FILE: relc-migrate status JSON
    workers: Workers = SERIAL  # processes parsing the fleet (the CLI's --jobs)
    progress: ProgressSettings = OFF  # a long run's progress on stderr (the CLI decides: terminal, CI, flags)


class EditFormat(StrEnum):
    """What ``relc pin``, ``promote`` and ``tenant`` print: text for people, json for a platform backend."""

    TEXT = "text"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class EditOptions:
    """What every edit command shares: the fleet, the date its validation uses, the output, the workers."""

    root: Path
    today: date
    output: EditFormat = EditFormat.TEXT
    workers: Workers = SERIAL


@dataclass(frozen=True, slots=True)
class PinOptions:
    edit: EditOptions
    tenants: tuple[str, ...]
    to: str
    instance: str | None = None  # needed when a tenant name exists in more than one Instance


@dataclass(frozen=True, slots=True)
class Selector:
    """``--selector role=Agent`` / ``operator=droneup``: which tenants a promote wave is taken from."""

    role: TenantRole | None = None
    operator: str | None = None


@dataclass(frozen=True, slots=True)
class PromoteOptions:
    edit: EditOptions
    source: str  # --from
    to: str
    instance: str | None = None  # None: every Instance
    percent: float = 100.0  # --wave
    tenants: tuple[str, ...] = ()  # --tenants: exactly these (instead of a wave)
    selector: Selector = Selector()
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class TenantAddOptions:
    edit: EditOptions
    name: str
    instance: str
    candidate: str
    role: TenantRole
    operator: str | None = None
    display_name: str | None = None  # default: the name
    backup_before_migration: bool = True
    deletion: DeletionMode = DeletionMode.RETAINED
    grace_period: str = "30d"


@dataclass(frozen=True, slots=True)
class TenantRemoveOptions:
    edit: EditOptions
    name: str
    instance: str | None = None
    deletion: DeletionMode | None = None  # must be given and equal the tenant's declared policies.deletion.mode


class StatusFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class StatusOptions:
    root: Path
    today: date
    format: StatusFormat = StatusFormat.TEXT
    near_days: int = 90  # warn of an end of life this many days ahead (compiler.status.summary)
    workers: Workers = SERIAL  # processes parsing the fleet (the CLI's --jobs)
