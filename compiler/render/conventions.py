"""Names and numbers every render section agrees on: layout of rendered/, labels, sync waves, CRD group."""

from __future__ import annotations

import relc_contract as contract

# --- layout of rendered/ (paths relative to it) ---------------------------------------------------------------
CRDS_DIR = "crds"  # CustomResourceDefinitions relc generates
SCHEMAS_DIR = "schemas"  # their JSON Schemas in kubeconform's layout: schemas/<group>/<kind>_<version>.json
REGISTRY_DIR = "registry"  # infra.service_versions as JSON and SQL


def cluster_dir(cluster: str) -> str:
    return f"clusters/{cluster}"


def instance_dir(instance: str) -> str:
    return f"instances/{instance}"


def argocd_dir(instance: str) -> str:
    return f"{instance_dir(instance)}/argocd"


def platform_dir(instance: str) -> str:
    """Namespaces, NetworkPolicies, ServiceAccounts and RBAC of an Instance."""
    return f"{instance_dir(instance)}/platform"


def routing_dir(instance: str) -> str:
    return f"{instance_dir(instance)}/routing"


def shared_chart_dir(instance: str) -> str:
    """The shared services bundle's umbrella chart."""
    return f"{instance_dir(instance)}/shared"


def infrastructure_chart_dir(instance: str) -> str:
    """The shared infrastructure (persistence) bundle's umbrella chart."""
    return f"{instance_dir(instance)}/infrastructure"


def argocd_root_dir() -> str:
    """What the one bootstrap Application syncs: AppProjects, per-cluster and per-Instance root Applications."""
    return "argocd"


def candidate_chart_dir(instance: str, candidate: str) -> str:
    return f"{instance_dir(instance)}/candidates/{candidate}"


def tenant_dir(instance: str, tenant: str) -> str:
    """A tenant's custom resources and migration Jobs: a one-tenant change touches only this folder (and the
    registry, and the candidates the tenant left or joined)."""
    return f"{instance_dir(instance)}/tenants/{tenant}"


# --- labels and annotations -------------------------------------------------------------------------------
MANAGED_BY = {"app.kubernetes.io/managed-by": "relc"}
LABEL_INSTANCE = "relc.dev/instance"
LABEL_TENANT = "relc.dev/tenant"
LABEL_CANDIDATE = "relc.dev/candidate"
LABEL_SERVICE = "relc.dev/service"
LABEL_SERVING = "relc.dev/serving-candidate"
"""On a dry-run tenant's TenantProvisionJob: the candidate its routes stay on (``validate --rendered``, RLC810)."""
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
HOOKS_DIGEST = "relc.dev/hooks-digest"
"""A digest of the hook Jobs of a folder, carried by an ordinary object of the same folder: Argo CD leaves hooks
out of sync status, so without it a change to hook Jobs alone would never sync (compiler.render.jobs.HookDigests)."""

# --- Argo CD sync waves: CRDs → namespaces and policies → provisioning → migration Jobs → releases -----------
WAVE_CRDS = "-30"
WAVE_PLATFORM = "-20"
WAVE_SHARED = "-15"  # the shared infrastructure and shared services bundles, once their namespace exists
WAVE_PROVISION = "-10"
WAVE_MIGRATE = "0"
WAVE_RELEASES = "10"

# --- relc's own custom resources -------------------------------------------------------------------------
CRD_GROUP = contract.CRD_GROUP  # relc-migrate patches their status under the same group and version
CRD_VERSION = contract.CRD_VERSION
CRD_API_VERSION = contract.CRD_API_VERSION

# --- migration Jobs ----------------------------------------------------------------------------------------
MIGRATE_SERVICE_ACCOUNT = "relc-migrate"
"""The ServiceAccount provisioning and migration Jobs run as, in each Instance's tenancy namespace (the platform
section renders it; no pods/exec: migrations reach the Job through an init container, never by exec into a
running pod). Vault's Kubernetes auth role of that name
binds it to the tenants' secrets. Its only Kubernetes permissions (compiler.render.platform): get/patch on the
status subresource of TenantSchemaVersions, TenantProvisionJobs and AppProvisionJobs in the tenancy namespace,
and get/list on Deployments in each candidate namespace (the readiness gate)."""
