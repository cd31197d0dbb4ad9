"""Routing: which candidate serves each tenant, as data (a ConfigMap table) and as Gateway API HTTPRoutes.

Moving a tenant's pin switches it without redeploying anything: candidates keep running; only the tenant's
HTTPRoutes (``instances/<i>/tenants/<t>/routes.yaml``, synced by the tenant's own Application after its migration
Jobs) and the two table shards (``instances/<i>/routing/<candidate>.yaml`` of the candidates it left and joined)
change. Layout for locality: the table is sharded per candidate — one ConfigMap per deployed candidate in the
shared namespace, a key per tenant plus ``services.json`` (component → Service host) — and each shard carries the
ReferenceGrant that lets HTTPRoutes in the tenancy namespace point at Services in the candidate's namespace.

A request reaches ``/<component>/…`` on the Gateway with header ``x-relc-tenant: <tenant>``; the tenant's HTTPRoute
sends it to Service ``<component>`` (port 80) in its candidate's namespace. A Gateway API HTTPRoute holds at most
16 rules, so a tenant's routes are split into HTTPRoutes of 16 components each.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

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
from compiler.render.output import Manifest, RenderedFile

TENANT_HEADER = "x-relc-tenant"
SERVICE_PORT = 80
MAX_RULES = 16  # Gateway API: HTTPRoute spec.rules maxItems
LABEL_ROUTING_TABLE = "relc.dev/routing-table"
SERVICES_KEY = "services.json"  # never a tenant name: those are DNS labels, without '.'
ROUTES_FILE = "routes.yaml"
GATEWAY_GROUP = "gateway.networking.k8s.io"


def render(ctx: RenderContext) -> Iterator[RenderedFile]:
    for view in instance_views(ctx.fleet):
        for bundle in view.candidates:
            yield RenderedFile(f"{routing_dir(view.name)}/{bundle.name}.yaml", shard(view, bundle))
            for tenant in bundle.tenants:
                routes = tenant_routes(view, bundle, tenant, ctx.settings)
                if routes:
                    yield RenderedFile(f"{tenant_dir(view.name, tenant.metadata.name)}/{ROUTES_FILE}", tuple(routes))


def service_host(instance: str, candidate: str, component: str) -> str:
    return f"{component}.{names.candidate_namespace(instance, candidate)}.svc.cluster.local"


def _labels(view: InstanceView, bundle: Bundle, **more: str) -> dict[str, str]:
    return {**MANAGED_BY, LABEL_INSTANCE: view.name, LABEL_CANDIDATE: bundle.name, **more}


def shard(view: InstanceView, bundle: Bundle) -> tuple[Manifest, Manifest]:
    """The candidate's part of the routing table and its ReferenceGrant."""
    services = {c: service_host(view.name, bundle.name, c) for c in bundle.routed_components()}
    data = {SERVICES_KEY: json.dumps(services, sort_keys=True, separators=(",", ":"))}
    data.update({t.metadata.name: bundle.name for t in bundle.tenants})
    table: Manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": names.k8s_name("relc-routes", bundle.name),
            "namespace": names.shared_namespace(view.name),
            "labels": _labels(view, bundle, **{LABEL_ROUTING_TABLE: "true"}),
            "annotations": {SYNC_WAVE: WAVE_RELEASES},
        },
        "data": data,
    }
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
    return table, grant


def tenant_routes(view: InstanceView, bundle: Bundle, tenant: Tenant, settings: Settings) -> list[Manifest]:
    components = bundle.routed_components()
    chunks = [components[n : n + MAX_RULES] for n in range(0, len(components), MAX_RULES)]
    return [_route(view, bundle, tenant, settings, chunk, n) for n, chunk in enumerate(chunks, start=1)]


def _route(
    view: InstanceView, bundle: Bundle, tenant: Tenant, settings: Settings, components: list[str], number: int
) -> Manifest:
    name = tenant.metadata.name
    namespace = names.candidate_namespace(view.name, bundle.name)
    rules = [
        {
            "matches": [
                {
                    "path": {"type": "PathPrefix", "value": f"/{component}"},
                    "headers": [{"type": "Exact", "name": TENANT_HEADER, "value": name}],
                }
            ],
            "backendRefs": [
                {"group": "", "kind": "Service", "name": component, "namespace": namespace, "port": SERVICE_PORT}
            ],
        }
        for component in components
    ]
    return {
        "apiVersion": f"{GATEWAY_GROUP}/v1",
        "kind": "HTTPRoute",
        "metadata": {
            "name": names.k8s_name(name, "routes") if number == 1 else names.k8s_name(name, "routes", str(number)),
            "namespace": names.tenancy_namespace(view.name),
            "labels": _labels(view, bundle, **{LABEL_TENANT: name}),
            "annotations": {SYNC_WAVE: WAVE_RELEASES},
        },
        "spec": {
            "parentRefs": [
                {
                    "group": GATEWAY_GROUP,
                    "kind": "Gateway",
                    "name": settings.gateway_name,
                    "namespace": settings.gateway_namespace,
                }
            ],
            "rules": rules,
        },
    }
