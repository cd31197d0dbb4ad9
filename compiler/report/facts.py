"""Fleet + resolution (+ status) → :class:`Report`: the one data model the JSON, Markdown and HTML formats render.

Why one model: the three formats must never disagree about who is behind or what blocks a retirement, and the
JSON format (documented and versioned in the README) is this model as it is, field for field.

Definitions (the README's "relc report" section says the same):

- a candidate in an Instance is *offered* when the Instance's global release lists it, *deployed* when a tenant
  pins it or the Instance keeps it warm (render's ``fleetview``, so exactly what rendered/ deploys), *warm* when
  in ``warmCandidates``, *retired* (only with ``--today``) when past its end of life and no longer deployed;
- what *blocks retiring* a candidate in an Instance: the tenants still pinned to it, and its warm listing;
- a tenant is *behind by N* on a component when N distinct newer versions of it are pinned by the published
  candidates its Instance offers (0: it runs the newest offered);
- without ``--today`` nothing depends on the date (days left, past notify date and retired are left out), so
  the report of a commit is the same whenever it is made.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import semver

from compiler.diagnostics import CycleError
from compiler.model.fleet import Fleet
from compiler.model.kinds import BlueprintType, CandidateStatus, Deprecation, Tenant, TenantRole
from compiler.render.fleetview import InstanceView, instance_views
from compiler.render.tenantplan import Plans, tenant_layout
from compiler.report.status import TROUBLE, DatabaseState, StatusFile
from compiler.resolve import Resolution
from relc_contract import database_name

REPORT_VERSION = 1
"""The JSON format's version: bumped when a field changes meaning or goes away (new fields do not bump it)."""


@dataclass(frozen=True, slots=True)
class Timeline:
    notify_date: str | None
    end_of_life: str
    days_left: int | None
    """days from --today to end of life (negative: past it); None without --today"""
    past_notify: bool | None


@dataclass(frozen=True, slots=True)
class CandidateUse:
    """One candidate as one Instance uses it."""

    name: str
    offered: bool
    deployed: bool
    warm: bool
    retired: bool | None
    tenants: int
    blockers: tuple[str, ...]
    """what keeps it deployed: the tenants pinned to it, then ``(warm)`` when the Instance keeps it warm"""


@dataclass(frozen=True, slots=True)
class InstanceFacts:
    name: str
    display_name: str
    environment: str
    cluster: str
    global_release: str
    tenants: int
    operators: int
    agents: int
    components: tuple[str, ...]
    """the components its tenants' candidates pin, by name: the columns of its matrix"""
    candidates: tuple[CandidateUse, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Node:
    component: str
    version: str
    candidate: str
    """the bundle pinning it: the candidate itself or a shared bundle serving it"""
    owns_schema: bool
    destructive: bool
    migration_step: int | None
    """1-based place in its bundle's migration order; None for components without a schema"""


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    """``component@version`` of the requirer and the required"""
    constraint: str
    satisfied: bool


@dataclass(frozen=True, slots=True)
class CandidateFacts:
    name: str
    blueprint: str
    role: str
    status: str
    components: Mapping[str, str]
    migration_order: tuple[str, ...]
    destructive: tuple[str, ...]
    """components whose pinned version ships a destructive migration"""
    deprecation: Timeline | None
    served_by: tuple[str, ...]
    instances: tuple[str, ...]
    """the Instances deploying it"""
    tenants: int
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


@dataclass(frozen=True, slots=True)
class AppFacts:
    name: str
    services: tuple[str, ...]
    countries: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SchemaFacts:
    """One schema of a tenant: where it lives, the version its candidate pins, and (with --status) what runs."""

    database: str
    schema: str
    service: str
    pinned: str
    actual: str | None
    status: str | None
    """relc-migrate's status of the schema; ``missing``: the database or schema is not in the status file"""
    reason: str | None


@dataclass(frozen=True, slots=True)
class Policies:
    backup_before_migration: bool
    dry_run: bool
    auto_upgrade: bool
    deletion: str
    grace_period: str


@dataclass(frozen=True, slots=True)
class TenantFacts:
    instance: str
    name: str
    display_name: str
    role: str
    operator: str | None
    candidate: str
    apps: tuple[AppFacts, ...]
    databases: tuple[str, ...]
    policies: Policies
    versions: Mapping[str, str]
    behind: Mapping[str, int]
    schemas: tuple[SchemaFacts, ...]
    trouble: int
    """schemas failed, blocked or missing per --status (0 without it)"""


@dataclass(frozen=True, slots=True)
class Report:
    version: int
    today: str | None
    status_given: bool
    components: tuple[str, ...]
    instances: tuple[InstanceFacts, ...]
    candidates: tuple[CandidateFacts, ...]
    tenants: tuple[TenantFacts, ...]
    """grouped by Instance (by name), each Operator followed by its Agents"""


def build_report(
    fleet: Fleet, resolution: Resolution, today: date | None, statuses: Sequence[StatusFile] = ()
) -> Report:
    """The report of a fleet ``relc validate`` accepted (dangling names are skipped, never raised on)."""
    views = instance_views(fleet)
    plans = Plans(fleet, resolution)
    tenants: list[TenantFacts] = []
    instances: list[InstanceFacts] = []
    for view in views:
        offered = _offered_versions(view)
        databases = _status_for(view.name, statuses)
        ordered = _operators_first(view.tenants)
        pins = _Pins(fleet, offered)
        tenants += [
            _tenant(view, tenant, pins, plans, databases)
            for tenant in ordered
            if tenant.spec.release_candidate in fleet.candidates
        ]
        instances.append(_instance(fleet, view, today))
    deployed_in: dict[str, list[str]] = {}
    pinned_by: dict[str, int] = {}
    for facts in instances:
        for use in facts.candidates:
            if use.deployed:
                deployed_in.setdefault(use.name, []).append(facts.name)
            pinned_by[use.name] = pinned_by.get(use.name, 0) + use.tenants
    candidates = tuple(
        _candidate(fleet, resolution, name, today, tuple(deployed_in.get(name, ())), pinned_by.get(name, 0))
        for name in sorted(resolution.bundles)
    )
    components = sorted({c for t in tenants for c in t.versions})
    return Report(
        REPORT_VERSION,
        today.isoformat() if today else None,
        bool(statuses),
        tuple(components),
        tuple(instances),
        candidates,
        tuple(tenants),
    )


def _operators_first(tenants: Iterable[Tenant]) -> list[Tenant]:
    """Each Operator (by name) followed by its Agents (by name); Agents of an unknown Operator last."""
    agents: dict[str, list[Tenant]] = {}
    operators: list[Tenant] = []
    for tenant in sorted(tenants, key=lambda t: t.metadata.name):
        if tenant.spec.role is TenantRole.OPERATOR:
            operators.append(tenant)
        else:
            agents.setdefault(tenant.spec.operator or "", []).append(tenant)
    ordered: list[Tenant] = []
    for operator in operators:
        ordered += [operator, *agents.pop(operator.metadata.name, [])]
    for rest in sorted(agents):
        ordered += agents[rest]
    return ordered


def _offered_versions(view: InstanceView) -> dict[str, set[str]]:
    """component → the versions the published product candidates the Instance offers pin: what "behind" counts."""
    versions: dict[str, set[str]] = {}
    for bundle in view.offered:
        if bundle.candidate.spec.status is not CandidateStatus.PUBLISHED:
            continue
        if bundle.blueprint.spec.type is not BlueprintType.PRODUCT:
            continue
        for component, version in bundle.candidate.spec.components.items():
            versions.setdefault(component, set()).add(version)
    return versions


def _behind(version: str, offered: Collection[str]) -> int:
    parsed = semver.Version.parse(version)
    return sum(1 for v in offered if parsed.compare(v) < 0)


def _status_for(instance: str, statuses: Sequence[StatusFile]) -> dict[str, DatabaseState] | None:
    """The databases the status files say ``instance``'s server holds; None when no file is about it."""
    mine = [s for s in statuses if s.instance in (None, instance)]
    if not mine:
        return None
    merged: dict[str, DatabaseState] = {}
    for status in mine:
        merged.update(status.databases)
    return merged


class _Pins:
    """A candidate's versions and, in one Instance, how far each lags: per candidate, not per tenant (comparing
    semver strings for 10,000 tenants by 20 components took 8 s; per candidate it is a few hundred comparisons)."""

    def __init__(self, fleet: Fleet, offered: Mapping[str, Collection[str]]) -> None:
        self._fleet = fleet
        self._offered = offered
        self._known: dict[str, tuple[dict[str, str], dict[str, int]]] = {}

    def of(self, candidate: str) -> tuple[dict[str, str], dict[str, int]]:
        known = self._known.get(candidate)
        if known is None:
            versions = dict(sorted(self._fleet.candidates[candidate].obj.spec.components.items()))
            behind = {c: _behind(v, self._offered.get(c, ())) for c, v in versions.items()}
            known = self._known[candidate] = (versions, behind)
        return known


def _tenant(
    view: InstanceView,
    tenant: Tenant,
    pins: _Pins,
    plans: Plans,
    databases: Mapping[str, DatabaseState] | None,
) -> TenantFacts:
    spec = tenant.spec
    versions, behind = pins.of(spec.release_candidate)
    schemas = _schemas(view, tenant, plans, databases) if databases is not None else ()
    trouble = sum(1 for s in schemas if s.status in TROUBLE or s.status == "missing")
    policies = spec.policies
    name = tenant.metadata.name
    countries = (c for app in spec.apps if app.country_scoped for c in app.countries)
    return TenantFacts(
        instance=view.name,
        name=name,
        display_name=spec.display_name,
        role=spec.role.value,
        operator=spec.operator,
        candidate=spec.release_candidate,
        apps=tuple(AppFacts(a.name, tuple(a.services), tuple(a.countries)) for a in spec.apps),
        databases=tuple(dict.fromkeys([database_name(name), *(database_name(name, c) for c in countries)])),
        policies=Policies(
            policies.backup_before_migration,
            policies.dry_run,
            policies.auto_upgrade,
            policies.deletion.mode.value,
            policies.deletion.grace_period,
        ),
        versions=versions,
        behind=behind,
        schemas=schemas,
        trouble=trouble,
    )


def _schemas(
    view: InstanceView, tenant: Tenant, plans: Plans, databases: Mapping[str, DatabaseState]
) -> tuple[SchemaFacts, ...]:
    """Every schema of the tenant (render's layout: the databases and schemas its Jobs migrate) beside what the
    status file says it runs. Only with --status: at 10,000 tenants the layout alone is 200,000 schemas."""
    layout = tenant_layout(tenant, plans.get(view.instance, tenant.spec.release_candidate))
    schemas: list[SchemaFacts] = []
    for slot in layout.slots():
        state = databases.get(slot.database)
        row = state.schemas.get(slot.schema) if state is not None else None
        actual, status, reason = (
            (None, "missing", None) if row is None else (row.current_version, row.status, row.reason)
        )
        schemas.append(
            SchemaFacts(slot.database, slot.schema, slot.pin.service, slot.pin.version, actual, status, reason)
        )
    return tuple(schemas)


def timeline(deprecation: Deprecation | None, today: date | None) -> Timeline | None:
    if deprecation is None:
        return None
    notify = deprecation.notify_date
    return Timeline(
        notify.isoformat() if notify else None,
        deprecation.end_of_life.isoformat(),
        (deprecation.end_of_life - today).days if today else None,
        (notify is not None and today >= notify) if today else None,
    )


def _instance(fleet: Fleet, view: InstanceView, today: date | None) -> InstanceFacts:
    pinned: dict[str, list[str]] = {}
    for tenant in _operators_first(view.tenants):
        pinned.setdefault(tenant.spec.release_candidate, []).append(tenant.metadata.name)
    warm = set(view.instance.spec.warm_candidates)
    deployed = {b.name for b in view.candidates}
    listed = set(view.release.spec.candidates) if view.release else set()
    uses: list[CandidateUse] = []
    warnings: list[str] = []
    for name in sorted(listed | deployed):
        entry = fleet.candidates.get(name)
        if entry is None:
            continue
        line = timeline(entry.obj.spec.deprecation, today)
        past_eol = line is not None and line.days_left is not None and line.days_left < 0
        on_it = pinned.get(name, [])
        uses.append(
            CandidateUse(
                name=name,
                offered=name in listed,
                deployed=name in deployed,
                warm=name in warm,
                retired=(past_eol and name not in deployed) if today else None,
                tenants=len(on_it),
                blockers=(*on_it, *(["(warm)"] if name in warm else [])),
            )
        )
        if line is not None and on_it:
            if line.days_left is not None and line.days_left < 0:
                warnings.append(f"{name}: past end of life ({line.end_of_life}), {len(on_it)} tenant(s) still on it")
            elif line.past_notify:
                warnings.append(
                    f"{name}: past notify date, end of life in {line.days_left} day(s), {len(on_it)} tenant(s)"
                )
        if entry.obj.spec.status is CandidateStatus.DRAFT and name in deployed:
            warnings.append(f"{name}: draft, deployed")
    components = sorted(
        {c for name in pinned if name in fleet.candidates for c in fleet.candidates[name].obj.spec.components}
    )
    roles = [t.spec.role for t in view.tenants]
    return InstanceFacts(
        name=view.name,
        display_name=view.instance.spec.display_name,
        environment=view.instance.spec.environment.value,
        cluster=view.cluster,
        global_release=view.instance.spec.global_release,
        tenants=len(view.tenants),
        operators=roles.count(TenantRole.OPERATOR),
        agents=roles.count(TenantRole.AGENT),
        components=tuple(components),
        candidates=tuple(uses),
        warnings=tuple(warnings),
    )


def _candidate(
    fleet: Fleet, resolution: Resolution, name: str, today: date | None, instances: tuple[str, ...], tenants: int
) -> CandidateFacts:
    bundle = resolution.bundles[name]
    spec = bundle.entry.obj.spec
    try:
        order = resolution.migration_order(name)
    except CycleError:  # only an invalid fleet has one; reported by validate
        order = ()
    shown = (name, *resolution.served_by.get(name, ()))
    nodes: list[Node] = []
    for bundle_name in shown:
        other = resolution.bundles.get(bundle_name)
        if other is None:
            continue
        try:
            steps = resolution.migration_order(bundle_name)
        except CycleError:
            steps = ()
        for component, version in sorted(other.pins.items()):
            entry = fleet.component_versions.get((component, version))
            nodes.append(
                Node(
                    component,
                    version,
                    bundle_name,
                    bool(other.schema.get(component, False)),
                    entry is not None and entry.obj.spec.migrations.destructive,
                    steps.index(component) + 1 if component in steps else None,
                )
            )
    ids = {f"{n.component}@{n.version}" for n in nodes}
    edges = tuple(
        Edge(lk.source_node, lk.target_node, lk.constraint, lk.satisfied)
        for lk in resolution.links
        if lk.source_bundle in shown and lk.source_node in ids and lk.target_node in ids
    )
    return CandidateFacts(
        name=name,
        blueprint=spec.blueprint,
        role=bundle.role.value if bundle.role else "unknown",
        status=spec.status.value,
        components=dict(sorted(spec.components.items())),
        migration_order=order,
        destructive=tuple(n.component for n in nodes if n.candidate == name and n.destructive),
        deprecation=timeline(spec.deprecation, today),
        served_by=tuple(resolution.served_by.get(name, ())),
        instances=instances,
        tenants=tenants,
        nodes=tuple(nodes),
        edges=tuple(dict.fromkeys(edges)),
    )
