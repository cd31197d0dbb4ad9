"""Per-Instance facts the Argo CD, platform, chart and routing sections share, computed in one pass.

Why one place: "which candidates does this Instance deploy" must be answered identically by the AppProject,
the namespaces, the charts and the routing table, or Argo CD would sync an Application whose namespace does
not exist. A candidate is deployed when a live tenant of the Instance pins it or is served by it (a dry-run
tenant's ``servingCandidate``), or the Instance keeps it warm (:meth:`Fleet.deployed`). A removed tenant (a
tombstone) deploys nothing and is routed nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.model.fleet import Fleet
from compiler.model.kinds import (
    BlueprintType,
    GlobalProductionRelease,
    Instance,
    ReleaseBlueprint,
    ReleaseCandidate,
    Tenant,
)
from compiler.model.routes import routed_components


@dataclass(frozen=True, slots=True)
class Bundle:
    """A candidate deployed in an Instance: itself, its blueprint, and the tenants using it (pinned to it, or
    served by it while they rehearse another)."""

    candidate: ReleaseCandidate
    blueprint: ReleaseBlueprint
    tenants: tuple[Tenant, ...]
    rehearsing: tuple[Tenant, ...] = ()
    """dry-run tenants pinned here while another candidate serves them (``servingCandidate``): not routed here"""

    @property
    def routed(self) -> tuple[Tenant, ...]:
        """The tenants whose routes point at this candidate."""
        if not self.rehearsing:
            return self.tenants
        away = {id(t) for t in self.rehearsing}
        return tuple(t for t in self.tenants if id(t) not in away)

    @property
    def name(self) -> str:
        return self.candidate.metadata.name

    def routed_components(self) -> list[str]:
        """Components tenants reach through the gateway: services and frontends, not infrastructure."""
        return routed_components(self.blueprint, self.candidate)


@dataclass(frozen=True, slots=True)
class InstanceView:
    instance: Instance
    release: GlobalProductionRelease | None
    tenants: tuple[Tenant, ...]
    """the live tenants (removed ones are in ``removed``)"""
    candidates: tuple[Bundle, ...]
    """deployed product candidates, by name"""
    shared: dict[BlueprintType, Bundle] = field(default_factory=dict)
    """the shared services / shared infrastructure bundles of the Instance's global release"""
    offered: tuple[Bundle, ...] = ()
    """every product candidate the Instance's global release offers, deployed or not (tenants not filled in):
    the AppProject admits all of them, so a pin change that deploys or retires one never touches the project"""
    removed: tuple[Tenant, ...] = ()
    """tombstoned tenants (``spec.removed``): only their deprovision Jobs are rendered"""

    @property
    def name(self) -> str:
        return self.instance.metadata.name

    @property
    def cluster(self) -> str:
        return self.instance.spec.cluster


def instance_views(fleet: Fleet) -> list[InstanceView]:
    """One view per Instance, by name; objects a valid fleet would not have (dangling names) are skipped."""
    by_instance: dict[str, list[Tenant]] = {}
    for (instance, _), entry in sorted(fleet.tenants.items()):
        by_instance.setdefault(instance, []).append(entry.obj)
    return [_view(fleet, entry.obj, by_instance.get(name, [])) for name, entry in sorted(fleet.instances.items())]


def _view(fleet: Fleet, instance: Instance, everyone: list[Tenant]) -> InstanceView:
    tenants = [t for t in everyone if not t.spec.removed]
    using: dict[str, list[Tenant]] = {}
    rehearsing: dict[str, list[Tenant]] = {}
    for tenant in tenants:
        for used in dict.fromkeys((tenant.spec.release_candidate, tenant.serving)):
            using.setdefault(used, []).append(tenant)
        if tenant.serving != tenant.spec.release_candidate:
            rehearsing.setdefault(tenant.spec.release_candidate, []).append(tenant)
    wanted = fleet.deployed(instance.metadata.name)
    made = (_bundle(fleet, c, using.get(c, []), rehearsing.get(c, [])) for c in sorted(wanted))
    bundles = [b for b in made if b is not None]
    release_entry = fleet.global_releases.get(instance.spec.global_release)
    release = release_entry.obj if release_entry else None
    shared: dict[BlueprintType, Bundle] = {}
    if release is not None:
        for kind, name in (
            (BlueprintType.SHARED_SERVICES, release.spec.shared_services),
            (BlueprintType.SHARED_INFRASTRUCTURE, release.spec.shared_infrastructure),
        ):
            bundle = _bundle(fleet, name, tenants) if name else None
            if bundle is not None:
                shared[kind] = bundle
    names = sorted(set(release.spec.candidates if release else ()) | {b.name for b in bundles})
    offered = tuple(b for name in names if (b := _bundle(fleet, name, [])) is not None)
    removed = tuple(t for t in everyone if t.spec.removed)
    return InstanceView(instance, release, tuple(tenants), tuple(bundles), shared, offered, removed)


def _bundle(
    fleet: Fleet, candidate: str, tenants: list[Tenant], rehearsing: list[Tenant] | None = None
) -> Bundle | None:
    entry = fleet.candidates.get(candidate)
    if entry is None:
        return None
    blueprint = fleet.blueprints.get(entry.obj.spec.blueprint)
    if blueprint is None:
        return None
    return Bundle(entry.obj, blueprint.obj, tuple(tenants), tuple(rehearsing or ()))
