"""What the compiler renders and relc-migrate patches in Kubernetes: the tenancy resources' group, plurals and
names, their status phases and conditions, and where a pod finds the API server.

The compiler names each TenantSchemaVersion, TenantProvisionJob and AppProvisionJob with these functions and
relc-migrate derives the same names from the tenant, country and schema it migrates, so a status patch always
reaches the object the compiler rendered (a name derived on one side only would 404 silently on the other).
Names join tenant, country, app and schema with '.', which none of those contain, so two different tuples can
never render the same name (a '-' join could: tenant ``a-de`` + schema ``x`` against tenant ``a``, country
``de``, schema ``x``). Dots are legal in custom resource names (DNS-1123 subdomains, up to 253 characters).
"""

from __future__ import annotations

from typing import Final

CRD_GROUP: Final = "tenancy.relc.dev"
CRD_VERSION: Final = "v1alpha1"
CRD_API_VERSION: Final = f"{CRD_GROUP}/{CRD_VERSION}"

TENANT_SCHEMA_VERSIONS: Final = "tenantschemaversions"
TENANT_PROVISION_JOBS: Final = "tenantprovisionjobs"
APP_PROVISION_JOBS: Final = "appprovisionjobs"
#: The plurals whose ``/status`` relc-migrate patches (and the rendered Role grants get/patch on, nothing more).
STATUS_WRITTEN: Final = (TENANT_SCHEMA_VERSIONS, TENANT_PROVISION_JOBS, APP_PROVISION_JOBS)

#: TenantSchemaVersion ``.status.phase`` (design: pending, migrating, complete, failed, blocked).
MIGRATION_PHASES: Final = ("pending", "migrating", "complete", "failed", "blocked")
#: TenantProvisionJob / AppProvisionJob ``.status.phase``; the last two are written by ``deprovision``.
PROVISION_PHASES: Final = ("pending", "running", "complete", "failed", "deprovisioning", "deprovisioned")
#: The one condition relc-migrate writes: ``True`` once the object's work is complete (a schema at its desired
#: version, a database provisioned), ``False`` with the phase as reason otherwise.
CONDITION_READY: Final = "Ready"

# --- the in-cluster API -------------------------------------------------------------------------------------

#: Where the kubelet mounts a pod's ServiceAccount token, the cluster CA and the pod's namespace.
SERVICEACCOUNT_DIR: Final = "/var/run/secrets/kubernetes.io/serviceaccount"
#: relc-migrate talks to the Kubernetes API only when this is ``in-cluster`` (the rendered Jobs set it): a
#: local or CI run never tries to reach a cluster it is not in.
ENV_KUBE_API: Final = "RELC_KUBE_API"
KUBE_API_IN_CLUSTER: Final = "in-cluster"
#: Override of SERVICEACCOUNT_DIR (tests, local runs against a proxy); never rendered.
ENV_KUBE_SERVICEACCOUNT_DIR: Final = "RELC_KUBE_SERVICEACCOUNT_DIR"

#: How long migrate-tenant waits by default for the candidate's Deployments to be Available.
DEFAULT_CANDIDATE_WAIT_SECONDS: Final = 600.0


def tenant_provision_name(tenant: str) -> str:
    """A tenant's TenantProvisionJob is named after the tenant."""
    return tenant


def app_provision_name(tenant: str, app: str, country: str | None) -> str:
    """An app's AppProvisionJob: ``<tenant>.<app>``, or ``<tenant>.<app>.<country>`` when country-scoped."""
    return f"{tenant}.{app}" if country is None else f"{tenant}.{app}.{country}"


def schema_version_name(tenant: str, schema: str, country: str | None) -> str:
    """A schema's TenantSchemaVersion: ``<tenant>.<schema>``, or ``<tenant>.<country>.<schema>`` for a schema in
    the tenant's database for ``country``."""
    return f"{tenant}.{schema}" if country is None else f"{tenant}.{country}.{schema}"


def status_path(namespace: str, plural: str, name: str) -> str:
    """The API path of a tenancy resource's status subresource."""
    return f"/apis/{CRD_GROUP}/{CRD_VERSION}/namespaces/{namespace}/{plural}/{name}/status"
