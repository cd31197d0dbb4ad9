"""The plan: what a change does, per Instance, as plain data the formats print (pure but for the migrations
folder listing).

Per Instance: tenants added (what gets provisioned), removed (deletion policy, what is dropped and when), moved
(per schema-owning service the version change and the files relc-migrate runs); candidates deployed, undeployed
or retired; Argo CD Applications created or deleted; routing files and rendered files that change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from compiler.model.fleet import Entry, Fleet
from compiler.model.kinds import CandidateStatus, DeletionMode, Tenant
from compiler.plan.migrations import Step, steps
from compiler.plan.rendered import FLEET_WIDE, Changes
from compiler.render.fleetview import instance_views
from compiler.validate.policies import ALLOW_DOWNGRADE, schema_owners, version_key
from relc_contract import database_name, schema_name


@dataclass(frozen=True, slots=True)
class Where:
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class ServiceChange:
    service: str
    before: str
    after: str
    backup: bool
    steps: tuple[Step, ...]

    @property
    def downgrade(self) -> bool:
        return version_key(self.after) < version_key(self.before)

    @property
    def destructive(self) -> bool:
        return any(s.destructive for s in self.steps)


@dataclass(frozen=True, slots=True)
class Added:
    tenant: str
    at: Where
    candidate: str
    databases: tuple[str, ...]
    schemas: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Removed:
    tenant: str
    at: Where
    """the file at the base commit (the working tree no longer has it)"""
    candidate: str
    mode: str
    grace_period: str
    databases: tuple[str, ...]
    when: str


@dataclass(frozen=True, slots=True)
class Moved:
    tenant: str
    at: Where
    before: str
    after: str
    services: tuple[ServiceChange, ...]
    downgrade_allowed: bool


@dataclass(frozen=True, slots=True)
class Undeployed:
    candidate: str
    warm_elsewhere: tuple[str, ...]
    """other Instances that keep the candidate warm: its Applications there keep running"""
    at: Where | None
    """the tenant file of the last tenant that left it (for the annotation)"""


@dataclass(slots=True)
class InstancePlan:
    name: str
    added: list[Added] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    deployed: list[str] = field(default_factory=list)
    undeployed: list[Undeployed] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    rendered: Changes = field(default_factory=Changes)

    def empty(self) -> bool:
        return (
            not (self.added or self.removed or self.moved or self.deployed or self.undeployed or self.retired)
            and not self.rendered.files
        )


@dataclass(slots=True)
class Plan:
    base: str
    """the base commit's id"""
    base_label: str
    instances: list[InstancePlan]
    fleet_wide: Changes
    compared: bool
    """the rendered files were compared (False when the base commit does not validate, so cannot be rendered)"""

    @property
    def files(self) -> int | None:
        return self.fleet_wide.files + sum(i.rendered.files for i in self.instances) if self.compared else None


def where(entry: Entry[Tenant]) -> Where:
    return Where(entry.doc.path, entry.doc.position(("spec", "releaseCandidate"))[0])


def build(root: Path, base: Fleet, head: Fleet, compared: dict[str, Changes] | None, commit: str, label: str) -> Plan:
    """``compared``: the rendered changes by Instance (rendered.compare), None when the base could not be rendered."""
    rendered = compared if compared is not None else {}
    names = sorted(base.instances.keys() | head.instances.keys())
    plans = {name: InstancePlan(name, rendered=rendered.get(name, Changes())) for name in names}
    for key in sorted(base.tenants.keys() | head.tenants.keys()):
        was, now = base.tenants.get(key), head.tenants.get(key)
        plan = plans.setdefault(key[0], InstancePlan(key[0]))
        if was is None and now is not None:
            plan.added.append(_added(head, now))
        elif was is not None and not was.obj.spec.removed and (now is None or now.obj.spec.removed):
            plan.removed.append(_removed(now or was))  # a tombstone (or a deleted file, which RLC907 refuses)
        elif now is None or was is None or was.obj.spec.removed:
            continue  # a tombstone's file deleted: nothing left to plan
        elif was.obj.spec.release_candidate != now.obj.spec.release_candidate:
            plan.moved.append(_moved(root, base, head, was, now))
    _candidates(base, head, plans)
    fleet_wide = rendered.get(FLEET_WIDE, Changes())
    return Plan(commit, label, [plans[n] for n in sorted(plans)], fleet_wide, compared is not None)


def _added(head: Fleet, entry: Entry[Tenant]) -> Added:
    """What provisioning creates, named as relc-migrate names it (relc_contract): the tenant database, one per
    country of a country-scoped app; a schema per schema-owning service, and per app using one."""
    tenant = entry.obj
    name = tenant.metadata.name
    candidate = head.candidates.get(tenant.spec.release_candidate)
    owners = schema_owners(head, candidate.obj) & set(candidate.obj.spec.components) if candidate else set()
    databases = {database_name(name)}
    schemas = {schema_name(service) for service in owners}
    for app in tenant.spec.apps:
        for country in app.countries if app.country_scoped else [None]:
            databases.add(database_name(name, country))
        schemas.update(schema_name(service, app.name) for service in app.services if service in owners)
    return Added(name, where(entry), tenant.spec.release_candidate, tuple(sorted(databases)), tuple(sorted(schemas)))


def _removed(entry: Entry[Tenant]) -> Removed:
    tenant = entry.obj
    deletion = tenant.spec.policies.deletion
    name = tenant.metadata.name
    databases = {database_name(name)} | {
        database_name(name, c) for app in tenant.spec.apps if app.country_scoped for c in app.countries
    }
    when = {
        DeletionMode.RETAINED: f"kept {deletion.grace_period}, then dropped by the daily deprovision CronJob",
        DeletionMode.IMMEDIATE: "dropped when Argo CD syncs the removal",
        DeletionMode.MANUAL: "kept until someone starts the suspended deprovision CronJob (--finalize)",
    }[deletion.mode]
    return Removed(
        name,
        Where(entry.doc.path, entry.doc.position(("metadata", "name"))[0]),
        tenant.spec.release_candidate,
        deletion.mode.value,
        deletion.grace_period,
        tuple(sorted(databases)),
        when,
    )


def _moved(root: Path, base: Fleet, head: Fleet, was: Entry[Tenant], now: Entry[Tenant]) -> Moved:
    before, after = was.obj.spec.release_candidate, now.obj.spec.release_candidate
    old, new = base.candidates.get(before), head.candidates.get(after)
    services: list[ServiceChange] = []
    if old is not None and new is not None:
        owners = schema_owners(head, new.obj)
        backup = now.obj.spec.policies.backup_before_migration
        pins = new.obj.spec.components
        for service in sorted(owners):
            a, b = old.obj.spec.components.get(service), pins.get(service)
            if a is None or b is None or a == b:
                continue
            destructive = frozenset(
                v for (c, v), e in head.component_versions.items() if c == service and e.obj.spec.migrations.destructive
            )
            change = steps(root, service, a, b, destructive)
            services.append(ServiceChange(service, a, b, backup or any(s.destructive for s in change), change))
    allowed = now.obj.metadata.annotations.get(ALLOW_DOWNGRADE) == after
    return Moved(now.obj.metadata.name, where(now), before, after, tuple(services), allowed)


def _candidates(base: Fleet, head: Fleet, plans: dict[str, InstancePlan]) -> None:
    old = {v.name: {b.name for b in v.candidates} for v in instance_views(base)}
    new = {v.name: {b.name for b in v.candidates} for v in instance_views(head)}
    warm = {n: set(e.obj.spec.warm_candidates) for n, e in head.instances.items()}
    for name, plan in plans.items():
        before, after = old.get(name, set()), new.get(name, set())
        plan.deployed = sorted(after - before)
        for candidate in sorted(before - after):
            elsewhere = tuple(sorted(i for i, w in warm.items() if i != name and candidate in w))
            left = [m.at for m in plan.moved if m.before == candidate] + [
                r.at for r in plan.removed if r.candidate == candidate
            ]
            plan.undeployed.append(Undeployed(candidate, elsewhere, left[-1] if left else None))
        offered = after | before
        plan.retired = sorted(
            c
            for c in offered
            if (e := head.candidates.get(c)) is not None
            and e.obj.spec.status is CandidateStatus.RETIRED
            and ((b := base.candidates.get(c)) is None or b.obj.spec.status is not CandidateStatus.RETIRED)
        )
