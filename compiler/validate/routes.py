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

from compiler.diagnostics import Diagnostic
from compiler.model.fleet import Entry, Fleet
from compiler.model.kinds import Instance
from compiler.model.routes import route_path, routed_components
from compiler.validate.context import Context

ANY_HOSTNAME = "*"
"""How a route without hostnames is keyed (never a valid hostname: those are at least one label after ``*.``)."""

_SHOWN = 3

MatchKey = tuple[str, str, str, str]
"""(cluster, hostname or ANY_HOSTNAME, tenant, path): the Gateway is relc.yaml's; the listener is kept beside."""


def check(ctx: Context) -> Iterator[Diagnostic]:
    fleet = ctx.fleet
    gateway = f"{fleet.settings.gateway_namespace}/{fleet.settings.gateway_name}"
    owners: dict[MatchKey, list[tuple[str, str]]] = {}  # match -> (listener or "", instance) that render it
    clashes: dict[tuple[str, str, str], list[tuple[MatchKey, str]]] = {}  # (instance, other, tenant) -> matches
    paths = _paths(fleet)
    for (name, tenant_name), tenant in sorted(fleet.tenants.items()):
        entry = fleet.instances.get(name)
        if entry is None:
            continue  # RLC301
        spec = entry.obj.spec
        listener = spec.gateway.section_name or ""
        for path in paths.get(tenant.obj.spec.release_candidate, ()):
            for hostname in spec.gateway.hostnames or [ANY_HOSTNAME]:
                key = (spec.cluster, hostname, tenant_name, path)
                found = owners.setdefault(key, [])
                for other_listener, other in found:
                    if other != name and _meet(listener, other_listener):
                        clashes.setdefault((name, other, tenant_name), []).append((key, listener or other_listener))
                        break
                found.append((listener, name))
    for (name, first, tenant_name), keys in clashes.items():
        yield _collision(fleet.instances[name], fleet.instances[first], tenant_name, gateway, keys)


def _meet(listener: str, other: str) -> bool:
    """Whether routes on these listeners (sectionName, "" for every listener) can serve the same request."""
    return listener == other or not listener or not other


def _paths(fleet: Fleet) -> dict[str, list[str]]:
    """candidate → the path prefixes its tenants are routed under (none for a dangling name: RLC301 says so)."""
    found: dict[str, list[str]] = {}
    for name, entry in fleet.candidates.items():
        blueprint = fleet.blueprints.get(entry.obj.spec.blueprint)
        if blueprint is not None:
            found[name] = [route_path(c) for c in routed_components(blueprint.obj, entry.obj)]
    return found


def _collision(
    entry: Entry[Instance], first: Entry[Instance], tenant: str, gateway: str, keys: list[tuple[MatchKey, str]]
) -> Diagnostic:
    spec = entry.obj.spec
    (cluster, hostname, _, _), listener = keys[0]
    where = f"Gateway {gateway} on cluster '{cluster}'" + (f", listener '{listener}'" if listener else "")
    host = "any hostname" if hostname == ANY_HOSTNAME else f"hostname {hostname}"
    shown = sorted({key[3] for key, _ in keys})
    paths = ", ".join(shown[:_SHOWN]) + (f" and {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else "")
    hostnames = spec.gateway.hostnames
    field = ("spec", "gateway", "hostnames", hostnames.index(hostname)) if hostnames else ("spec", "cluster")
    return entry.doc.diagnostic(
        field,
        "RLC504",
        f"instance '{entry.obj.metadata.name}' routes tenant '{tenant}' on {where} ({host}, paths {paths}) with the "
        f"same matches as instance '{first.obj.metadata.name}' ({first.doc.path}): the Gateway sends each such "
        "request to the older route only",
        "give each Instance on a shared Gateway its own spec.gateway.hostnames (or listener sectionName)",
    )
