"""The facts ``relc status`` shows, computed once from the fleet, its diagnostics and the day.

Why the Instance views of :mod:`compiler.render.fleetview`: "which candidates does an Instance deploy, warm or
merely offer" must be answered here exactly as the rendered Argo CD objects answer it, or the status would
describe a fleet other than the one that syncs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from compiler.diagnostics import Diagnostic
from compiler.model.fleet import Fleet
from compiler.model.kinds import CandidateStatus, ReleaseCandidate, Tenant, TenantRole
from compiler.render.fleetview import Bundle, InstanceView, instance_views

NEAR_END_OF_LIFE_DAYS = 90
"""Default of ``--near-days``: a quarter, the usual planning horizon for moving tenants to a newer candidate."""


class State(StrEnum):
    """Why a candidate appears under an Instance (the README's table)."""

    DEPLOYED = "deployed"  # tenants pin it
    WARM = "warm"  # deployed for no tenant: the Instance keeps it warm
    OFFERED = "offered"  # the global release offers it; nothing deploys it
    SHARED = "shared"  # the shared services or shared infrastructure bundle: every tenant uses it


class WarningKind(StrEnum):
    DEPRECATED = "deprecated"  # tenants on a candidate past its notify date
    NEAR_END_OF_LIFE = "nearEndOfLife"  # tenants on a candidate whose end of life is within the horizon
    PAST_END_OF_LIFE = "pastEndOfLife"  # tenants on a candidate past its end of life (RLC602)
    DRAFT = "draft"  # a draft candidate offered to the Instance


@dataclass(frozen=True, slots=True)
class CandidateRow:
    name: str
    blueprint: str
    status: CandidateStatus
    state: State
    tenants: tuple[str, ...]
    notify_date: date | None
    end_of_life: date | None
    days_left: int | None  # to the end of life; negative past it

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "blueprint": self.blueprint,
            "status": self.status.value,
            "state": self.state.value,
            "tenants": len(self.tenants),
            "notifyDate": self.notify_date.isoformat() if self.notify_date else None,
            "endOfLife": self.end_of_life.isoformat() if self.end_of_life else None,
            "daysLeft": self.days_left,
        }


@dataclass(frozen=True, slots=True)
class Attention:
    """One warning of the status (not a diagnostic: nothing is wrong in a file, a person should act)."""

    kind: WarningKind
    instance: str
    candidate: str
    tenants: tuple[str, ...]
    message: str

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "instance": self.instance,
            "candidate": self.candidate,
            "tenants": list(self.tenants),
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class InstanceRow:
    name: str
    cluster: str
    environment: str
    global_release: str
    operators: int
    agents: int
    candidates: tuple[CandidateRow, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "cluster": self.cluster,
            "environment": self.environment,
            "globalRelease": self.global_release,
            "tenants": {"total": self.operators + self.agents, "operators": self.operators, "agents": self.agents},
            "candidates": [c.as_json() for c in self.candidates],
        }


@dataclass(frozen=True, slots=True)
class Status:
    today: date
    near_days: int
    instances: tuple[InstanceRow, ...]
    warnings: tuple[Attention, ...]
    tenants: int
    candidates: int
    errors: int
    diagnostics_warnings: int

    def as_json(self) -> dict[str, object]:
        """The stable JSON of ``relc status --format json`` (README: relc status)."""
        return {
            "today": self.today.isoformat(),
            "nearDays": self.near_days,
            "summary": {
                "instances": len(self.instances),
                "tenants": self.tenants,
                "candidates": self.candidates,
                "warnings": len(self.warnings),
                "diagnostics": {"errors": self.errors, "warnings": self.diagnostics_warnings},
            },
            "instances": [i.as_json() for i in self.instances],
            "warnings": [w.as_json() for w in self.warnings],
        }


def summarise(fleet: Fleet, problems: Sequence[Diagnostic], today: date, near_days: int) -> Status:
    rows: list[InstanceRow] = []
    warnings: list[Attention] = []
    for view in instance_views(fleet):
        candidates = _candidates(view, today)
        rows.append(_instance(view, candidates))
        warnings += [w for c in candidates if (w := _attention(view.name, c, today, near_days)) is not None]
        warnings += [_draft(view.name, c) for c in candidates if c.status is CandidateStatus.DRAFT]
    errors = sum(1 for d in problems if d.is_error)
    return Status(
        today=today,
        near_days=near_days,
        instances=tuple(rows),
        warnings=tuple(warnings),
        tenants=len(fleet.tenants),
        candidates=len(fleet.candidates),
        errors=errors,
        diagnostics_warnings=len(problems) - errors,
    )


def _instance(view: InstanceView, candidates: list[CandidateRow]) -> InstanceRow:
    operators = sum(1 for t in view.tenants if t.spec.role is TenantRole.OPERATOR)
    spec = view.instance.spec
    return InstanceRow(
        name=view.name,
        cluster=spec.cluster,
        environment=spec.environment.value,
        global_release=spec.global_release,
        operators=operators,
        agents=len(view.tenants) - operators,
        candidates=tuple(candidates),
    )


def _candidates(view: InstanceView, today: date) -> list[CandidateRow]:
    """Product candidates by name (deployed, warm or only offered), then the shared bundles."""
    deployed = {b.name: b for b in view.candidates}
    warm = set(view.instance.spec.warm_candidates)
    rows = []
    for offered in view.offered:
        bundle = deployed.get(offered.name, offered)
        state = State.DEPLOYED if bundle.tenants else State.WARM if bundle.name in warm else State.OFFERED
        rows.append(_row(bundle, state, bundle.tenants, today))
    rows += [_row(b, State.SHARED, view.tenants, today) for _, b in sorted(view.shared.items())]
    return rows


def _row(bundle: Bundle, state: State, tenants: Sequence[Tenant], today: date) -> CandidateRow:
    candidate: ReleaseCandidate = bundle.candidate
    deprecation = candidate.spec.deprecation
    return CandidateRow(
        name=bundle.name,
        blueprint=candidate.spec.blueprint,
        status=candidate.spec.status,
        state=state,
        tenants=tuple(sorted(t.metadata.name for t in tenants)),
        notify_date=deprecation.notify_date if deprecation else None,
        end_of_life=deprecation.end_of_life if deprecation else None,
        days_left=(deprecation.end_of_life - today).days if deprecation else None,
    )


def _attention(instance: str, row: CandidateRow, today: date, near_days: int) -> Attention | None:
    """The one deprecation warning a candidate with tenants earns, the most urgent that applies."""
    if row.end_of_life is None or row.days_left is None or not row.tenants:
        return None
    on_it = _tenants(row.tenants)
    eol = row.end_of_life.isoformat()
    if row.days_left < 0:
        kind, message = WarningKind.PAST_END_OF_LIFE, f"{row.name} reached its end of life on {eol}: {on_it} on it"
    elif row.notify_date is not None and today >= row.notify_date:
        kind = WarningKind.DEPRECATED
        message = (
            f"{row.name} is deprecated since {row.notify_date.isoformat()}, end of life {eol} "
            f"({_days(row.days_left)} left): {on_it} on it"
        )
    elif row.days_left <= near_days:
        kind = WarningKind.NEAR_END_OF_LIFE
        message = f"{row.name} reaches its end of life on {eol} ({_days(row.days_left)} left): {on_it} on it"
    else:
        return None
    return Attention(kind, instance, row.name, row.tenants, message)


def _draft(instance: str, row: CandidateRow) -> Attention:
    on_it = f", {_tenants(row.tenants)} on it" if row.tenants else ""
    message = f"{row.name} is a draft offered to this instance{on_it}"
    return Attention(WarningKind.DRAFT, instance, row.name, row.tenants, message)


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _tenants(names: Sequence[str], shown: int = 3) -> str:
    """``2 tenants (acme, xyz)``; past ``shown`` names, ``and N more``: a line stays a line at 10,000 tenants."""
    count = "1 tenant" if len(names) == 1 else f"{len(names):,} tenants"
    listed = ", ".join(names[:shown]) + (f" and {len(names) - shown:,} more" if len(names) > shown else "")
    return f"{count} ({listed})"
