"""RLC505/RLC509: every Argo CD Application, ApplicationSet and AppProject relc derives has a name of its own.

Why: they all live in Argo CD's one namespace, and their names join parts with '-', which the parts may contain.
A tenant named ``routing`` derives the Application ``<instance>-routing``, the name of its Instance's routing
Application; the tenants' ApplicationSet would then adopt and rewrite the root's Application of that name
(applicationset controller ``createOrUpdateInCluster``) and the two controllers would fight over it. Tenant
``b-c`` of Instance ``a`` and tenant ``c`` of Instance ``a-b`` derive the same ``a-b-c``; an Instance named
after a cluster takes that cluster's ``<cluster>-crds``. Renaming would be no fix (Argo CD deletes an
Application whose name changes), so a collision is refused before anything is rendered.

Names come from compiler.model.names, the functions compiler.render.argocd names the objects with. Candidates
count once their Instance's global release offers them (or keeps them warm), not only once deployed: a later pin
must not turn a valid fleet into a colliding one. Argo CD's own ``default`` project and relc's bootstrap
project ``relc`` are reserved (RLC509): an Instance of either name would rewrite them.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import NamedTuple

from compiler.diagnostics import Diagnostic
from compiler.load.documents import Document
from compiler.load.yamlread import FieldPath
from compiler.model import names
from compiler.model.fleet import Entry
from compiler.model.kinds import Instance
from compiler.validate.context import Context

HINT = "rename the tenant or the Instance: Argo CD object names must differ, and '-' joins their parts"
RESERVED_HINT = "rename the Instance: its AppProject takes the Instance's name"


class ArgoName(NamedTuple):
    kind: str  # Application, ApplicationSet, AppProject
    name: str
    origin: str  # for people
    identity: Hashable  # the same object derived twice (a cluster's, from each of its Instances) is one
    doc: Document | None  # None: a name Argo CD itself holds
    path: FieldPath


RESERVED = (
    ArgoName("AppProject", names.ARGOCD_DEFAULT_PROJECT, "Argo CD's own default project", "argocd", None, ()),
    ArgoName("AppProject", names.ROOT_PROJECT, "relc's bootstrap project", "relc", None, ()),
)


def check(ctx: Context) -> Iterator[Diagnostic]:
    first: dict[tuple[str, str], ArgoName] = {(r.kind, r.name): r for r in RESERVED}
    for derived in _derived(ctx):
        other = first.setdefault((derived.kind, derived.name), derived)
        if other.identity == derived.identity or derived.doc is None:
            continue
        if other.doc is None:
            yield derived.doc.diagnostic(
                derived.path,
                "RLC509",
                f"{derived.kind} '{derived.name}' of {derived.origin} is {other.origin}",
                RESERVED_HINT,
            )
            continue
        yield derived.doc.diagnostic(
            derived.path,
            "RLC505",
            f"{derived.kind} '{derived.name}' of {derived.origin} ({derived.doc.path}) is also the name derived for "
            f"{other.origin} ({other.doc.path})",
            HINT,
        )


def _derived(ctx: Context) -> Iterator[ArgoName]:
    """Fleet and Instance objects first, tenants last: a collision is reported at the tenant that joins it."""
    instances = sorted(ctx.fleet.instances.items())
    for _, entry in instances:
        yield from _cluster(ctx, entry)
    for name, entry in instances:
        yield from _instance(ctx, name, entry)
    for (instance, tenant), found in sorted(ctx.fleet.tenants.items()):
        if instance in ctx.fleet.instances:
            who = f"tenant '{tenant}' of instance '{instance}'"
            app = names.tenant_application(instance, tenant)
            yield ArgoName("Application", app, who, ("tenant", instance, tenant), found.doc, ("metadata", "name"))


def _cluster(ctx: Context, entry: Entry[Instance]) -> Iterator[ArgoName]:
    cluster, doc, at = entry.obj.spec.cluster, entry.doc, ("spec", "cluster")
    who = f"cluster '{cluster}'"
    yield ArgoName("AppProject", names.cluster_project(cluster), who, ("cluster", cluster), doc, at)
    for part in ("crds", "cluster-config"):
        yield ArgoName("Application", names.argo_child(cluster, part), who, ("cluster", cluster, part), doc, at)
    if ctx.fleet.settings.monitoring_namespace is not None:
        project = names.monitoring_project(cluster)
        yield ArgoName("AppProject", project, f"the dashboard of {who}", ("monitoring", cluster), doc, at)
        app = names.argo_child(cluster, "monitoring")
        yield ArgoName("Application", app, f"the dashboard of {who}", ("monitoring", cluster, "app"), doc, at)


def _instance(ctx: Context, name: str, entry: Entry[Instance]) -> Iterator[ArgoName]:
    doc, at = entry.doc, ("metadata", "name")
    who = f"instance '{name}'"
    yield ArgoName("AppProject", name, who, ("project", name), doc, at)
    yield ArgoName("Application", name, f"the root of {who}", ("root", name), doc, at)
    yield ArgoName("ApplicationSet", names.argo_child(name, "tenants"), f"the tenants of {who}", ("set", name), doc, at)
    for part in ("platform", "registry", "routing"):
        yield ArgoName("Application", names.argo_child(name, part), f"the {part} of {who}", (part, name), doc, at)
    for candidate in _bundles(ctx, entry.obj):
        app = names.argo_child(name, candidate)
        who_c = f"candidate '{candidate}' of {who}"
        yield ArgoName("Application", app, who_c, ("candidate", name, candidate), doc, ("spec", "globalRelease"))


def _bundles(ctx: Context, instance: Instance) -> list[str]:
    """Every candidate the Instance may deploy: offered by its global release (shared bundles included) or warm."""
    found = set(instance.spec.warm_candidates)
    release = ctx.fleet.global_releases.get(instance.spec.global_release)
    if release is not None:
        spec = release.obj.spec
        found.update(spec.candidates)
        found.update(c for c in (spec.shared_services, spec.shared_infrastructure) if c)
    return sorted(found)
