"""Helm umbrella charts: one per deployed candidate (``instances/<i>/candidates/<c>/``) and per shared bundle
(``instances/<i>/shared/`` for shared services, ``instances/<i>/infrastructure/`` for shared infrastructure).

``Chart.yaml`` pins every component chart at the version the candidate pins (the ComponentVersion's
``chartVersion``, else the component version); ``values.yaml`` is the blueprint's component values deep-merged
with the candidate's overrides, templates rendered (see :mod:`compiler.render.templating`). Each component's
values start with ``fullnameOverride: <component>``, so its Service is ``<component>`` in the candidate's
namespace: the routing section relies on that name. A shared service flagged ``routingTable`` gets the common
chart convention ``serviceAccount: {create: false, name: relc-router}`` last, over its own values: the
``relc-routing-reader`` Role is bound to that ServiceAccount only, so a chart-made one could not read the table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compiler.diagnostics import Diagnostic, InvalidInput
from compiler.model import names
from compiler.model.fleet import Fleet
from compiler.model.kinds import BlueprintType, Component, Instance, Tenant
from compiler.render.context import RenderContext
from compiler.render.conventions import (
    LABEL_CANDIDATE,
    LABEL_INSTANCE,
    candidate_chart_dir,
    infrastructure_chart_dir,
    shared_chart_dir,
)
from compiler.render.fleetview import Bundle, InstanceView, instance_views
from compiler.render.output import Manifest, RenderedFile
from compiler.render.platform import ROUTER_SERVICE_ACCOUNT
from compiler.render.templating import Templates, deep_merge

CHART_VERSION = "1.0.0"
"""Umbrella charts are rendered from git, never published: the version only has to be valid SemVer; the
candidate's name rides along as build metadata so ``helm list`` shows which candidate a release is."""


ROUTER_VALUES: Mapping[str, Any] = {"serviceAccount": {"create": False, "name": ROUTER_SERVICE_ACCOUNT}}


def chart_dir(view: InstanceView, bundle: Bundle) -> str:
    """Where a bundle's chart lives: the Argo CD section points Applications at the same paths."""
    if bundle.blueprint.spec.type is BlueprintType.SHARED_SERVICES:
        return shared_chart_dir(view.name)
    if bundle.blueprint.spec.type is BlueprintType.SHARED_INFRASTRUCTURE:
        return infrastructure_chart_dir(view.name)
    return candidate_chart_dir(view.name, bundle.name)


def bundle_namespace(view: InstanceView, bundle: Bundle) -> str:
    if bundle.blueprint.spec.type is BlueprintType.PRODUCT:
        return names.candidate_namespace(view.name, bundle.name)
    return names.shared_namespace(view.name)


def deployed_bundles(view: InstanceView) -> list[Bundle]:
    """Shared infrastructure, shared services, then the candidates."""
    shared = [
        view.shared[t] for t in (BlueprintType.SHARED_INFRASTRUCTURE, BlueprintType.SHARED_SERVICES) if t in view.shared
    ]
    return [*shared, *view.candidates]


def render(ctx: RenderContext) -> Iterator[RenderedFile]:
    """Every chart; a failing template raises InvalidInput with all RLC801 diagnostics (nothing is written)."""
    templates = Templates()
    files: list[RenderedFile] = []
    for view, bundle, values in all_values(ctx.fleet, templates):
        folder = chart_dir(view, bundle)
        files.append(RenderedFile(f"{folder}/Chart.yaml", (chart_yaml(ctx.fleet, view, bundle),)))
        files.append(RenderedFile(f"{folder}/values.yaml", (values,)))
    if templates.problems:
        raise InvalidInput(templates.problems)
    yield from files


def all_values(fleet: Fleet, templates: Templates) -> Iterator[tuple[InstanceView, Bundle, Manifest]]:
    for view in instance_views(fleet):
        instance_context = instance_fields(view.instance)
        for bundle in deployed_bundles(view):
            yield view, bundle, chart_values(fleet, view, bundle, instance_context, templates)


def template_problems(fleet: Fleet) -> list[Diagnostic]:
    """RLC801 for every values template that fails where it is deployed (``relc validate`` runs this too)."""
    templates = Templates()
    for _ in all_values(fleet, templates):
        pass
    return templates.problems


# --- Chart.yaml ---------------------------------------------------------------------------------------------


def component_facts(fleet: Fleet, component: str, version: str) -> dict[str, str]:
    """The ``component`` template variable: name, version, chartVersion, imageTag (defaults: the version)."""
    entry = fleet.component_versions.get((component, version))
    spec = entry.obj.spec if entry else None
    return {
        "name": component,
        "version": version,
        "chartVersion": (spec.chart_version if spec else None) or version,
        "imageTag": (spec.image_tag if spec else None) or version,
    }


def dependency(fleet: Fleet, component: Component, version: str) -> dict[str, str]:
    dep = {
        "name": component.chart_name,
        "version": component_facts(fleet, component.name, version)["chartVersion"],
        "repository": component.chart.repository,
    }
    if component.chart_name != component.name:
        dep["alias"] = component.name
    return dep


def pinned_components(bundle: Bundle) -> list[tuple[Component, str]]:
    pins = bundle.candidate.spec.components
    return [(c, pins[c.name]) for c in bundle.blueprint.spec.components if c.name in pins]


def chart_yaml(fleet: Fleet, view: InstanceView, bundle: Bundle) -> Manifest:
    description = bundle.blueprint.spec.description or f"{bundle.blueprint.metadata.name} as pinned by {bundle.name}"
    return {
        "apiVersion": "v2",
        "name": chart_dir(view, bundle).rsplit("/", 1)[-1],  # Helm's convention: a chart is named as its folder
        "description": description,
        "type": "application",
        "version": f"{CHART_VERSION}+{bundle.name}",
        "appVersion": bundle.name,
        "annotations": {
            LABEL_INSTANCE: view.name,
            LABEL_CANDIDATE: bundle.name,
            "relc.dev/blueprint": bundle.blueprint.metadata.name,
        },
        "dependencies": [dependency(fleet, c, v) for c, v in pinned_components(bundle)],
    }


# --- values.yaml --------------------------------------------------------------------------------------------


def instance_fields(instance: Instance) -> dict[str, Any]:
    """The ``instance`` template variable: its spec by YAML field name, plus ``name``."""
    fields: dict[str, Any] = instance.spec.model_dump(by_alias=True, mode="json")
    fields["name"] = instance.metadata.name
    return fields


def tenant_fields(tenant: Tenant) -> dict[str, Any]:
    apps = [a.model_dump(by_alias=True, mode="json") for a in tenant.spec.apps]
    return {"name": tenant.metadata.name, "role": tenant.spec.role.value, "apps": apps}


def chart_values(
    fleet: Fleet, view: InstanceView, bundle: Bundle, instance_context: Mapping[str, Any], templates: Templates
) -> Manifest:
    candidate = {
        "name": bundle.name,
        "blueprint": bundle.blueprint.metadata.name,
        "components": dict(bundle.candidate.spec.components),
    }
    pinned = pinned_components(bundle)
    overrides = bundle.candidate.spec.values
    needed = any(templates.uses([c.values, overrides.get(c.name, {})], "tenants") for c, _ in pinned)
    tenants = [tenant_fields(t) for t in bundle.tenants] if needed else []
    blueprint_doc = fleet.blueprints[bundle.blueprint.metadata.name].doc
    candidate_doc = fleet.candidates[bundle.name].doc
    index = {c.name: n for n, c in enumerate(bundle.blueprint.spec.components)}
    namespace = bundle_namespace(view, bundle)
    out: dict[str, Any] = {
        "global": {"relc": {"instance": view.name, "candidate": bundle.name, "namespace": namespace}},
    }
    for component, version in pinned:
        context = {
            "instance": instance_context,
            "candidate": candidate,
            "component": component_facts(fleet, component.name, version),
            "tenants": tenants,
        }
        base = templates.render(
            component.values, context, blueprint_doc, ("spec", "components", index[component.name], "values"), view.name
        )
        override = templates.render(
            bundle.candidate.spec.values.get(component.name, {}),
            context,
            candidate_doc,
            ("spec", "values", component.name),
            view.name,
        )
        values = deep_merge({"fullnameOverride": component.name}, deep_merge(base, override))
        out[component.name] = deep_merge(values, ROUTER_VALUES) if component.routing_table else values
    return out
