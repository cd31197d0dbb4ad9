"""Argo CD objects: how the cluster learns about everything else in rendered/.

One bootstrap Application (README) syncs ``argocd/`` recursively:

- ``argocd/relc.yaml``: AppProject ``relc``, the home of the per-Instance root Applications (they may only create
  Applications and ApplicationSets in Argo CD's namespace);
- ``argocd/clusters/<cluster>.yaml``: AppProject ``relc-cluster-<cluster>`` (only CustomResourceDefinitions and
  relc's cluster-scoped config) with Applications for ``crds/`` (wave -30, never pruned: deleting a CRD deletes
  every custom resource of it) and for ``clusters/<cluster>/``; with relc.yaml's ``monitoringNamespace``, also
  AppProject ``relc-monitoring-<cluster>`` (ConfigMaps in that namespace only) and its Application for
  ``clusters/<cluster>/monitoring/``, the Grafana dashboard (:mod:`compiler.render.dashboard`);
- ``argocd/instances/<i>.yaml``: the Instance's AppProject — sources: the fleet repository and the chart
  repositories its bundles use; destinations: only its own namespaces on its cluster; cluster-scoped kinds: only
  Namespace — and its root Application (app of apps) over ``instances/<i>/argocd/``.

Under ``instances/<i>/argocd/`` the children carry sync waves: platform (-20) → shared bundles (-15) → tenancy:
the registry and the tenants' ApplicationSet (-10) → candidates and routing (10). Argo CD waits for a child
Application to be healthy before the next wave only if the Application health check is enabled (argocd-cm
``resource.customizations.health.argoproj.io_Application``; see README).
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.model import names
from compiler.model.settings import Settings
from compiler.render.charts import bundle_namespace, chart_dir, deployed_bundles, pinned_components
from compiler.render.context import RenderContext
from compiler.render.conventions import (
    CRD_GROUP,
    CRDS_DIR,
    LABEL_CANDIDATE,
    LABEL_INSTANCE,
    LABEL_TENANT,
    MANAGED_BY,
    SYNC_WAVE,
    WAVE_CRDS,
    WAVE_PLATFORM,
    WAVE_PROVISION,
    WAVE_RELEASES,
    WAVE_SHARED,
    argocd_dir,
    argocd_root_dir,
    cluster_dir,
    instance_dir,
    platform_dir,
    routing_dir,
)
from compiler.render.dashboard import monitoring_dir
from compiler.render.fleetview import InstanceView, instance_views
from compiler.render.output import Manifest, RenderedFile

API = "argoproj.io/v1alpha1"
ROOT_PROJECT = names.ROOT_PROJECT
WAVE_PROJECTS = "-40"
IN_CLUSTER = "in-cluster"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
SYNC_OPTIONS = (
    "ServerSideApply=true",  # large objects (CRDs, tables) exceed client-side apply's annotation limit
    "CreateNamespace=false",  # each namespace is an object of its own Application (platform, or the candidate chart)
    "PruneLast=true",
    "RespectIgnoreDifferences=true",
    "ApplyOutOfSyncOnly=true",  # a one-tenant change applies one tenant's objects, not the whole fleet's
)
GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths"
"""On every Application (and the tenants' ApplicationSet template): a commit that changes no file under these
paths (``;``-separated, relative to the source path) is not a change for the Application. The controller asks the
repo server (controller/state.go ``evaluateRevisionChanges`` → reposerver/repository ``UpdateRevisionForPaths``
→ util/app/path ``AppFilesHaveChanged``), which then moves the cached manifests to the new commit instead of
generating them, and auto-sync (controller/appcontroller.go ``alreadyAttemptedSync``) treats the commit as one
already synced: no new sync, so no hooks. Webhook refreshes filter the same way (util/webhook ``HandleEvent``)."""
OWN_FOLDER = "."
"""Every input of an Application's manifests is inside its source folder: directory Applications read only their
folder, and the umbrella charts' dependencies come from chart repositories at versions pinned in Chart.yaml (a
change of pin is a change of Chart.yaml). So a change elsewhere can never alter what an Application renders."""
COMPARE_OPTIONS = "argocd.argoproj.io/compare-options"
SERVER_SIDE_DIFF = "ServerSideDiff=true"
"""The API server computes the diff (a server-side apply dry run): it fills the defaults of custom resources,
which the structured-merge diff that ServerSideApply otherwise selects does not (argo-cd issue #22151); a
hook-bearing Application that showed OutOfSync forever would re-run its hooks on every self-heal."""
ARGO_RETRY_LIMIT = 5
"""Argo CD's own default (controller/appcontroller.go ``autoSync``), kept for Applications without hooks."""
REPLICAS_IGNORED = ({"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]},)
"""Autoscalers own replica counts; without this every HPA change would show the release out of sync."""


def render(ctx: RenderContext) -> Iterator[RenderedFile]:
    views = instance_views(ctx.fleet)
    s = ctx.settings
    yield RenderedFile(f"{argocd_root_dir()}/relc.yaml", (root_project(s),))
    for cluster in sorted({v.cluster for v in views}):
        objects = cluster_objects(s, cluster) + monitoring_objects(s, cluster)
        yield RenderedFile(f"{argocd_root_dir()}/clusters/{cluster}.yaml", objects)
    for view in views:
        yield RenderedFile(f"{argocd_root_dir()}/instances/{view.name}.yaml", (project(s, view), root_app(s, view)))
        yield from children(s, view)


# --- building blocks ------------------------------------------------------------------------------------------


def _meta(
    s: Settings, name: str, wave: str, labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None
) -> dict[str, object]:
    return {
        "name": name,
        "namespace": s.argocd_namespace,
        "labels": {**MANAGED_BY, **(labels or {})},
        "annotations": {SYNC_WAVE: wave, **(annotations or {})},
    }


def repo_path(s: Settings, rel: str) -> str:
    """A rendered/-relative path as Argo CD sees it in the fleet repository."""
    return f"{s.rendered_path.strip('/')}/{rel}"


def source(s: Settings, rel: str) -> dict[str, object]:
    return {"repoURL": s.repo_url, "targetRevision": s.target_revision, "path": repo_path(s, rel)}


def sync_policy(*, prune: bool = True, retries: int = ARGO_RETRY_LIMIT) -> dict[str, object]:
    """``retries``: Argo CD's retry limit, the only retry layer (relc-migrate's Jobs have ``backoffLimit: 0``):
    a retry is a whole new sync, PreSync hooks included (gitops-engine pkg/sync/sync_context.go ``Sync``: a
    failed hook fails the operation; controller/appcontroller.go ``processRequestedAppOperation`` retries it)."""
    return {
        "automated": {"prune": prune, "selfHeal": True},
        "syncOptions": list(SYNC_OPTIONS),
        "retry": {"limit": retries, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
    }


def sync_annotations() -> dict[str, str]:
    """What every Application carries so that a commit syncs only the Applications whose folder changed, and a
    sync status that is only OutOfSync when the cluster really differs."""
    return {GENERATE_PATHS: OWN_FOLDER, COMPARE_OPTIONS: SERVER_SIDE_DIFF}


def application(
    s: Settings,
    name: str,
    *,
    project: str,
    wave: str,
    rel: str,
    destination: dict[str, str],
    labels: dict[str, str] | None = None,
    prune: bool = True,
    cascade: bool = True,
    retries: int = ARGO_RETRY_LIMIT,
    extra: dict[str, object] | None = None,
) -> Manifest:
    """An Application; ``cascade`` adds the finalizer that deletes its resources when it is deleted."""
    meta = _meta(s, name, wave, labels, sync_annotations())
    if cascade:
        meta["finalizers"] = [FINALIZER]
    spec: dict[str, object] = {
        "project": project,
        "source": source(s, rel),
        "destination": destination,
        "syncPolicy": sync_policy(prune=prune, retries=retries),
        "revisionHistoryLimit": 5,
        **(extra or {}),
    }
    return {"apiVersion": API, "kind": "Application", "metadata": meta, "spec": spec}


# --- bootstrap level: projects, clusters, root applications -------------------------------------------------------


def root_project(s: Settings) -> Manifest:
    return {
        "apiVersion": API,
        "kind": "AppProject",
        "metadata": _meta(s, ROOT_PROJECT, WAVE_PROJECTS),
        "spec": {
            # What a root may create: Applications and ApplicationSets in Argo CD's namespace, from the fleet
            # repository, nothing cluster-scoped; never AppProjects (the bootstrap Application creates those).
            # Which project those Applications name is not something an AppProject can restrict: relc names
            # each child's project <instance> itself (README: "Who may create what").
            "description": "relc root Applications: each may only create Argo CD Applications in Argo CD's namespace",
            "sourceRepos": [s.repo_url],
            "destinations": [{"name": IN_CLUSTER, "namespace": s.argocd_namespace}],
            "clusterResourceWhitelist": [],
            "namespaceResourceWhitelist": [
                {"group": "argoproj.io", "kind": "Application"},
                {"group": "argoproj.io", "kind": "ApplicationSet"},
            ],
        },
    }


def cluster_objects(s: Settings, cluster: str) -> tuple[Manifest, ...]:
    project_name = names.cluster_project(cluster)
    proj: Manifest = {
        "apiVersion": API,
        "kind": "AppProject",
        "metadata": _meta(s, project_name, WAVE_PROJECTS),
        "spec": {
            "description": f"relc's cluster-wide objects on {cluster}: CustomResourceDefinitions and controller config",
            "sourceRepos": [s.repo_url],
            "destinations": [{"name": cluster, "namespace": "*"}],
            "clusterResourceWhitelist": [
                {"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition"},
                {"group": CRD_GROUP, "kind": "*"},
            ],
            "namespaceResourceBlacklist": [{"group": "*", "kind": "*"}],
        },
    }
    destination = {"name": cluster}
    crds = application(
        s,
        names.argo_child(cluster, "crds"),
        project=project_name,
        wave=WAVE_CRDS,
        rel=CRDS_DIR,
        destination=destination,
        prune=False,
        cascade=False,
    )
    config = application(
        s,
        names.argo_child(cluster, "cluster-config"),
        project=project_name,
        wave=WAVE_PLATFORM,
        rel=cluster_dir(cluster),
        destination=destination,
    )
    return proj, crds, config


def monitoring_objects(s: Settings, cluster: str) -> tuple[Manifest, ...]:
    """The Grafana dashboard's project and Application (``clusters/<cluster>/monitoring/``), when relc.yaml names
    the monitoring namespace. A project of its own: it may create only ConfigMaps, only in that namespace, where
    the cluster project may create no namespaced object and an Instance's project only its own namespaces."""
    namespace = s.monitoring_namespace
    if namespace is None:
        return ()
    project_name = names.monitoring_project(cluster)
    proj: Manifest = {
        "apiVersion": API,
        "kind": "AppProject",
        "metadata": _meta(s, project_name, WAVE_PROJECTS),
        "spec": {
            "description": f"relc's Grafana dashboard on {cluster}: ConfigMaps in {namespace} only",
            "sourceRepos": [s.repo_url],
            "destinations": [{"name": cluster, "namespace": namespace}],
            "clusterResourceWhitelist": [],
            "namespaceResourceWhitelist": [{"group": "", "kind": "ConfigMap"}],
        },
    }
    app = application(
        s,
        names.argo_child(cluster, "monitoring"),
        project=project_name,
        wave=WAVE_PLATFORM,
        rel=monitoring_dir(cluster),
        destination={"name": cluster, "namespace": namespace},
    )
    return proj, app


def instance_namespaces(view: InstanceView) -> list[str]:
    found = {names.shared_namespace(view.name), names.tenancy_namespace(view.name)}
    found.update(names.candidate_namespace(view.name, b.name) for b in view.offered)
    return sorted(found)


def chart_repositories(view: InstanceView) -> list[str]:
    bundles = [*view.shared.values(), *view.offered]
    return sorted({c.chart.repository for b in bundles for c, _ in pinned_components(b)})


def project(s: Settings, view: InstanceView) -> Manifest:
    """The Instance's confinement: its sources, its namespaces on its cluster, no cluster-scoped kind but Namespace.

    Candidates count once offered (not only once deployed), so pin changes leave the project alone."""
    meta = _meta(s, view.name, WAVE_PROJECTS, {LABEL_INSTANCE: view.name})
    meta["finalizers"] = [FINALIZER]  # Argo CD keeps a project with this finalizer while Applications use it
    return {
        "apiVersion": API,
        "kind": "AppProject",
        "metadata": meta,
        "spec": {
            "description": f"Instance {view.name}: only its own namespaces on cluster {view.cluster}",
            "sourceRepos": [s.repo_url, *chart_repositories(view)],
            "destinations": [{"name": view.cluster, "namespace": ns} for ns in instance_namespaces(view)],
            "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
        },
    }


def root_app(s: Settings, view: InstanceView) -> Manifest:
    return application(
        s,
        view.name,
        project=ROOT_PROJECT,
        wave=WAVE_PLATFORM,
        rel=argocd_dir(view.name),
        destination={"name": IN_CLUSTER, "namespace": s.argocd_namespace},
        labels={LABEL_INSTANCE: view.name},
        # Removing an Instance cascades: its children Applications go, each with its resources (their own
        # finalizers), before the project does. RLC907 makes that safe: an Instance is removed only once the
        # base has no tenant of it, so there is no data behind it (databases are never touched by a cascade).
        cascade=True,
        extra={"source": {**source(s, argocd_dir(view.name)), "directory": {"recurse": True}}},
    )


# --- an Instance's children ---------------------------------------------------------------------------------------


def children(s: Settings, view: InstanceView) -> Iterator[RenderedFile]:
    i = view.name
    labels = {LABEL_INSTANCE: i}
    folder = argocd_dir(i)

    def dest(ns: str) -> dict[str, str]:
        return {"name": view.cluster, "namespace": ns}

    platform = application(
        s,
        names.argo_child(i, "platform"),
        project=i,
        wave=WAVE_PLATFORM,
        rel=platform_dir(i),
        destination=dest(names.shared_namespace(i)),
        labels=labels,
        extra={"source": {**source(s, platform_dir(i)), "directory": {"recurse": True}}},
    )
    yield RenderedFile(f"{folder}/platform.yaml", (platform,))
    helm_extra = {"ignoreDifferences": list(REPLICAS_IGNORED)}
    shared = []
    for bundle in deployed_bundles(view):
        rel = chart_dir(view, bundle)
        app = application(
            s,
            names.argo_child(i, bundle.name),
            project=i,
            wave=WAVE_RELEASES if bundle in view.candidates else WAVE_SHARED,
            rel=rel,
            destination=dest(bundle_namespace(view, bundle)),
            labels={**labels, LABEL_CANDIDATE: bundle.name},
            extra={
                **helm_extra,
                "source": {**source(s, rel), "helm": {"releaseName": bundle.name, "valueFiles": ["values.yaml"]}},
            },
        )
        if bundle in view.candidates:
            yield RenderedFile(f"{folder}/candidates/{bundle.name}.yaml", (app,))
        else:
            shared.append(app)
    if shared:
        yield RenderedFile(f"{folder}/shared.yaml", tuple(shared))
    registry = application(
        s,
        names.argo_child(i, "registry"),
        project=i,
        wave=WAVE_PROVISION,
        rel=f"{instance_dir(i)}/registry",
        destination=dest(names.tenancy_namespace(i)),
        labels=labels,
        retries=view.instance.spec.migration.retries,  # its registry-sync Job is a hook
    )
    yield RenderedFile(f"{folder}/tenancy.yaml", (registry, tenants_appset(s, view)))
    routing = application(
        s,
        names.argo_child(i, "routing"),
        project=i,
        wave=WAVE_RELEASES,
        rel=routing_dir(i),
        destination=dest(names.shared_namespace(i)),
        labels=labels,
    )
    yield RenderedFile(f"{folder}/routing.yaml", (routing,))


def tenants_appset(s: Settings, view: InstanceView) -> Manifest:
    """One Application per tenant folder (git directory generator): a tenant's change syncs only its own app.

    A tenant is removed in two changes: its tombstone (``spec.removed``) leaves the folder holding only the
    deprovision Jobs, so the tenant's own sync prunes its routes and custom resources and runs them; deleting the
    file later deletes the Application, whose finalizer removes what is left (the deprovision CronJob). Tenant
    data lives in PostgreSQL and only the deletion policy's Jobs touch it, never a cascade.
    """
    i = view.name
    tenants_glob = repo_path(s, f"{instance_dir(i)}/tenants/*")
    return {
        "apiVersion": API,
        "kind": "ApplicationSet",
        "metadata": _meta(s, names.argo_child(i, "tenants"), WAVE_PROVISION, {LABEL_INSTANCE: i}),
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [
                {"git": {"repoURL": s.repo_url, "revision": s.target_revision, "directories": [{"path": tenants_glob}]}}
            ],
            "template": {
                "metadata": {
                    "name": names.tenant_application(i, "{{ .path.basename }}"),
                    "labels": {**MANAGED_BY, LABEL_INSTANCE: i, LABEL_TENANT: "{{ .path.basename }}"},
                    "annotations": sync_annotations(),
                    "finalizers": [FINALIZER],
                },
                "spec": {
                    "project": i,  # fixed, never templated: a tenant folder cannot pick another project
                    "source": {"repoURL": s.repo_url, "targetRevision": s.target_revision, "path": "{{ .path.path }}"},
                    "destination": {"name": view.cluster, "namespace": names.tenancy_namespace(i)},
                    # its provisioning and migration Jobs are hooks: Argo CD's retry is their only retry
                    "syncPolicy": sync_policy(retries=view.instance.spec.migration.retries),
                },
            },
        },
    }
