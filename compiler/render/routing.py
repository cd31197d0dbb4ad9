"""Routing: which candidate serves each tenant, as data (a ConfigMap table) and as Gateway API HTTPRoutes.

Moving a tenant's pin switches it without redeploying anything: candidates keep running; only the tenant's
HTTPRoutes (``instances/<i>/tenants/<t>/routes.yaml``, synced by the tenant's own Application after its migration
Jobs) and the two table shards (``instances/<i>/routing/<candidate>.yaml`` of the candidates it left and joined)
change. Layout for locality: the table is sharded per candidate — one ConfigMap per deployed candidate in the
shared namespace, a key per tenant plus ``services.json`` (component → Service host, one per line) — and each
shard carries the ReferenceGrant that lets HTTPRoutes in the tenancy namespace point at Services in the
candidate's namespace. A candidate with more tenants than one ConfigMap holds gets several, split by
compiler.render.shards (each with ``services.json`` and its own tenants, labelled with the shard).

A request reaches ``/<component>/…`` on the Gateway with header ``x-relc-tenant: <tenant>``; the tenant's HTTPRoute
sends it to Service ``<component>`` (port 80) in its candidate's namespace. A Gateway API HTTPRoute holds at most
16 rules, so a tenant's routes are split into HTTPRoutes of 16 components each.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from compiler.model import names
from compiler.model.kinds import Tenant
from compiler.model.settings import Settings
from compiler.render.context import RenderContext
from compiler.render.conventions import (
    LABEL_CANDIDATE,
    LABEL_INSTANCE,
    LABEL_TENANT,
    MANAGED_BY,
    SYNC_WAVE,
    WAVE_RELEASES,
    routing_dir,
    tenant_dir,
)
from compiler.render.fleetview import Bundle, InstanceView, instance_views
from compiler.render.output import Manifest, RenderedFile, Templated
from compiler.render.shards import shard_suffix, split

TENANT_HEADER = "x-relc-tenant"
SERVICE_PORT = 80
MAX_RULES = 16  # Gateway API: HTTPRoute spec.rules maxItems
LABEL_ROUTING_TABLE = "relc.dev/routing-table"
SERVICES_KEY = "services.json"  # never a tenant name: those are DNS labels, without '.'
ROUTES_FILE = "routes.yaml"
LABEL_SHARD = "relc.dev/shard"


GATEWAY_GROUP = "gateway.networking.k8s.io"


def render(ctx: RenderContext) -> Iterator[RenderedFile]:
    for view in instance_views(ctx.fleet):
        for bundle in view.candidates:
            yield RenderedFile(f"{routing_dir(view.name)}/{bundle.name}.yaml", shard(view, bundle))
            routes = CandidateRoutes(view, bundle, ctx.settings)
            if not routes.chunks:
                continue
            for tenant in bundle.tenants:
                path = f"{tenant_dir(view.name, tenant.metadata.name)}/{ROUTES_FILE}"
                yield RenderedFile(path, tuple(routes.for_tenant(tenant)))


def service_host(instance: str, candidate: str, component: str) -> str:
    return f"{component}.{names.candidate_namespace(instance, candidate)}.svc.cluster.local"


def _labels(view: InstanceView, bundle: Bundle, **more: str) -> dict[str, str]:
    return {**MANAGED_BY, LABEL_INSTANCE: view.name, LABEL_CANDIDATE: bundle.name, **more}


def shard(view: InstanceView, bundle: Bundle) -> tuple[Manifest, ...]:
    """The candidate's part of the routing table (one ConfigMap, or several when it would not fit in one) and
    its ReferenceGrant."""
    services = {c: service_host(view.name, bundle.name, c) for c in bundle.routed_components()}
    services_json = json.dumps(services, sort_keys=True, indent=2) + "\n"
    tenants = sorted(t.metadata.name for t in bundle.tenants)

    def table(index: int, count: int, mine: list[str]) -> Manifest:
        data = {SERVICES_KEY: services_json, **dict.fromkeys(mine, bundle.name)}
        suffix = shard_suffix(index, count)
        labels = {LABEL_ROUTING_TABLE: "true", **({LABEL_SHARD: suffix} if suffix else {})}
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": names.k8s_name("relc-routes", bundle.name, suffix),
                "namespace": names.shared_namespace(view.name),
                "labels": _labels(view, bundle, **labels),
                "annotations": {SYNC_WAVE: WAVE_RELEASES},
            },
            "data": data,
        }

    what = f"Instance {view.name}: the routing table of candidate {bundle.name}"
    tables = split(tenants, table, _data_size, what=what)
    grant: Manifest = {
        "apiVersion": f"{GATEWAY_GROUP}/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {
            "name": "relc-tenant-routes",
            "namespace": names.candidate_namespace(view.name, bundle.name),
            "labels": _labels(view, bundle),
            "annotations": {SYNC_WAVE: WAVE_RELEASES},
        },
        "spec": {
            "from": [{"group": GATEWAY_GROUP, "kind": "HTTPRoute", "namespace": names.tenancy_namespace(view.name)}],
            "to": [{"group": "", "kind": "Service"}],
        },
    }
    return (*tables, grant)


def _data_size(configmap: Manifest) -> int:
    data: dict[str, str] = configmap["data"]
    return sum(len(key.encode()) + len(value.encode()) for key, value in data.items())


class CandidateRoutes:
    """What every tenant's HTTPRoutes to one candidate share, built once per candidate (10,000 tenants pinned to
    one candidate share its backends and parent reference; only names and the header value differ)."""

    def __init__(self, view: InstanceView, bundle: Bundle, settings: Settings) -> None:
        self.view = view
        self.bundle = bundle
        namespace = names.candidate_namespace(view.name, bundle.name)
        components = bundle.routed_components()
        backends = {
            c: [{"group": "", "kind": "Service", "name": c, "namespace": namespace, "port": SERVICE_PORT}]
            for c in components
        }
        self.paths = {c: {"type": "PathPrefix", "value": f"/{c}"} for c in components}
        self.backends = backends
        self.chunks = [components[n : n + MAX_RULES] for n in range(0, len(components), MAX_RULES)]
        self.parents = [
            {
                "group": GATEWAY_GROUP,
                "kind": "Gateway",
                "name": settings.gateway_name,
                "namespace": settings.gateway_namespace,
            }
        ]
        self.namespace = names.tenancy_namespace(view.name)

    def for_tenant(self, tenant: Tenant) -> Iterator[Templated[RouteShape]]:
        name = tenant.metadata.name
        for number in range(1, len(self.chunks) + 1):
            route = names.k8s_name(name, "routes") if number == 1 else names.k8s_name(name, "routes", str(number))
            yield Templated(_route, RouteShape(self, number), (route, name))


@dataclass(frozen=True, slots=True)
class RouteShape:
    routes: CandidateRoutes
    number: int
    """which chunk of MAX_RULES components (1-based)"""


def _route(shape: RouteShape, texts: tuple[str, ...]) -> Manifest:
    name, tenant = texts
    routes = shape.routes
    header = [{"type": "Exact", "name": TENANT_HEADER, "value": tenant}]
    rules = [
        {"matches": [{"path": routes.paths[c], "headers": header}], "backendRefs": routes.backends[c]}
        for c in routes.chunks[shape.number - 1]
    ]
    return {
        "apiVersion": f"{GATEWAY_GROUP}/v1",
        "kind": "HTTPRoute",
        "metadata": {
            "name": name,
            "namespace": routes.namespace,
            "labels": _labels(routes.view, routes.bundle, **{LABEL_TENANT: tenant}),
            "annotations": {SYNC_WAVE: WAVE_RELEASES},
        },
        "spec": {"parentRefs": routes.parents, "rules": rules},
    }
