"""RLC504: no two Instances render the same HTTPRoute match on one Gateway.

Every Instance's tenant routes attach to the Gateway relc.yaml names, on the Instance's cluster, and match on
header ``x-relc-tenant`` and a path prefix per routed component. Two Instances on one cluster with a tenant of
the same name (droneup-production and droneup-staging, both with ``droneup``) therefore produce identical
matches unless their ``spec.gateway`` sets them apart. The Gateway API resolves identical matches across routes
by the oldest route, then by ``{namespace}/{name}`` (the HTTPRoute CRD's ``spec.rules[].matches`` documentation),
so the other Instance's requests silently go to the winner while the loser still reports Accepted.

A match is keyed by what the Gateway compares: (cluster, Gateway, hostname, tenant, path), on a listener
``sectionName``. Routes that name different listeners never meet; a route that names none attaches to every
listener, so it meets all of them. An Instance without hostnames matches every hostname of the listener and is
keyed as such: two of them collide; one beside an Instance with hostnames does not tie (the Gateway API prefers
the route with the longest matching hostname), which is why an Instance alone on its cluster may omit hostnames.
The routed components and paths come from compiler.model.routes, as in rendering; ``relc validate --rendered``
checks the rendered routes themselves (RLC805).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from compiler.diagnostics import Diagnostic
from compiler.model.fleet import Entry, Fleet
from compiler.model.kinds import Instance
from compiler.model.routes import route_path, routed_components
from compiler.validate.context import Context

ANY_HOSTNAME = "*"
"""How a route without hostnames is keyed (never a valid hostname: those are at least one label after ``*.``)."""

_SHOWN = 3

Owner = tuple[str, str, str]
"""(listener sectionName or "", instance, candidate) of a tenant's routes under one (cluster, hostname, tenant)."""


def check(ctx: Context) -> Iterator[Diagnostic]:
    fleet = ctx.fleet
    gateway = f"{fleet.settings.gateway_namespace}/{fleet.settings.gateway_name}"
    paths = _paths(fleet)
    # Keyed by (cluster, hostname, tenant), not by path: one entry per tenant and hostname keeps a 10,000-tenant
    # fleet at 10,000 entries; the paths are compared only where two Instances meet.
    owners: dict[tuple[str, str, str], list[Owner]] = {}
    for (name, tenant_name), tenant in sorted(fleet.tenants.items()):
        entry = fleet.instances.get(name)
        candidate = tenant.obj.spec.release_candidate
        if entry is None or not paths.get(candidate):
            continue  # RLC301, or nothing routed
        spec = entry.obj.spec
        mine: Owner = (spec.gateway.section_name or "", name, candidate)
        for hostname in spec.gateway.hostnames or [ANY_HOSTNAME]:
            found = owners.setdefault((spec.cluster, hostname, tenant_name), [])
            clash = _first_clash(found, mine, paths)
            found.append(mine)
            if clash is not None:
                listener, other, shared = clash
                where = Where(spec.cluster, gateway, listener, hostname)
                yield _collision(entry, fleet.instances[other], tenant_name, where, shared)
                break  # one diagnostic per tenant and Instance


def _first_clash(
    found: list[Owner], mine: Owner, paths: dict[str, frozenset[str]]
) -> tuple[str, str, frozenset[str]] | None:
    """(listener, instance, shared paths) of the first other Instance whose routes tie with ``mine``."""
    listener, name, candidate = mine
    for other_listener, other, other_candidate in found:
        shared = paths[candidate] & paths[other_candidate]
        if other != name and _meet(listener, other_listener) and shared:
            return listener or other_listener, other, shared
    return None


@dataclass(frozen=True, slots=True)
class Where:
    cluster: str
    gateway: str
    listener: str
    hostname: str


def _paths(fleet: Fleet) -> dict[str, frozenset[str]]:
    """candidate → the path prefixes its tenants are routed under (none for a dangling name: RLC301 says so)."""
    found: dict[str, frozenset[str]] = {}
    for name, entry in fleet.candidates.items():
        blueprint = fleet.blueprints.get(entry.obj.spec.blueprint)
        if blueprint is not None:
            found[name] = frozenset(route_path(c) for c in routed_components(blueprint.obj, entry.obj))
    return found


def _meet(listener: str, other: str) -> bool:
    """Whether routes on these listeners (sectionName, "" for every listener) can serve the same request."""
    return listener == other or not listener or not other


def _collision(
    entry: Entry[Instance], first: Entry[Instance], tenant: str, where: Where, shared: frozenset[str]
) -> Diagnostic:
    spec = entry.obj.spec
    place = f"Gateway {where.gateway} on cluster '{where.cluster}'" + (
        f", listener '{where.listener}'" if where.listener else ""
    )
    host = "any hostname" if where.hostname == ANY_HOSTNAME else f"hostname {where.hostname}"
    shown = sorted(shared)
    paths = ", ".join(shown[:_SHOWN]) + (f" and {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else "")
    hostnames = spec.gateway.hostnames
    field = ("spec", "gateway", "hostnames", hostnames.index(where.hostname)) if hostnames else ("spec", "cluster")
    return entry.doc.diagnostic(
        field,
        "RLC504",
        f"instance '{entry.obj.metadata.name}' routes tenant '{tenant}' on {place} ({host}, paths {paths}) with the "
        f"same matches as instance '{first.obj.metadata.name}' ({first.doc.path}): the Gateway sends each such "
        "request to the older route only",
        "give each Instance on a shared Gateway its own spec.gateway.hostnames (or listener sectionName)",
    )
