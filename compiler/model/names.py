"""The Kubernetes names relc derives from input: namespaces and object names.

The names relc-migrate must derive identically (databases, schemas, Vault paths, Job names) are defined once
in ``relc_contract``. Validation (identifier length and collision rules) and rendering both call these
functions, so what is checked is exactly what is rendered.
"""

from __future__ import annotations

import hashlib

DNS_LABEL_MAX = 63
"""Kubernetes namespaces and most object names are RFC 1123 labels of at most 63 characters. (PostgreSQL's own
63-byte identifier limit is the contract's ``MAX_IDENTIFIER_BYTES``: the same number, a different rule.)"""


def candidate_namespace(instance: str, candidate: str) -> str:
    return f"{instance}-{candidate}"


def shared_namespace(instance: str) -> str:
    return f"{instance}-shared"


def tenancy_namespace(instance: str) -> str:
    """Where an Instance's tenant custom resources and migration Jobs live."""
    return f"{instance}-tenancy"


def short_hash(*parts: str, length: int = 8) -> str:
    """A stable hex digest of ``parts`` (never Python's randomised hash())."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:length]


def k8s_name(*parts: str, limit: int = DNS_LABEL_MAX) -> str:
    """Join ``parts`` with '-'; if too long, keep a readable prefix and end with a hash of the whole name."""
    name = "-".join(p for p in parts if p)
    if len(name) <= limit:
        return name
    digest = short_hash(name)
    return f"{name[: limit - len(digest) - 1].rstrip('-')}-{digest}"


# --- Argo CD objects ---------------------------------------------------------------------------------------------
# Applications, ApplicationSets and AppProjects all live in Argo CD's one namespace, so their names share one
# scope per kind across the whole fleet: a tenant Application ``<instance>-<tenant>`` must not take the name of
# an Instance's own child (``<instance>-routing``), of another Instance's (``a`` + ``b-c`` against ``a-b`` +
# ``c``), or of a cluster's. The render section and the RLC505 rule both derive them here.

ROOT_PROJECT = "relc"
"""The bootstrap AppProject: home of the per-Instance root Applications."""
ARGOCD_DEFAULT_PROJECT = "default"
"""Argo CD's own project, which every Argo CD installation has: relc must never render one of that name."""


def argo_child(owner: str, part: str) -> str:
    """An Application of an Instance (``<instance>-platform``, ``-registry``, ``-routing``, ``-<bundle>``), its
    ApplicationSet (``<instance>-tenants``), or a cluster's (``<cluster>-crds``, ``-cluster-config``,
    ``-monitoring``)."""
    return k8s_name(owner, part)


def tenant_application(instance: str, tenant: str) -> str:
    """The Application the tenants' ApplicationSet generates for a tenant folder (Go template: ``tenant`` is
    ``{{ .path.basename }}`` there). Not shortened: Argo CD names it, and Application names may be 253 long."""
    return f"{instance}-{tenant}"


def cluster_project(cluster: str) -> str:
    return k8s_name(ROOT_PROJECT, "cluster", cluster)


def monitoring_project(cluster: str) -> str:
    return k8s_name(ROOT_PROJECT, "monitoring", cluster)
