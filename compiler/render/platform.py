"""Platform of an Instance (``instances/<i>/platform/``): Namespaces, NetworkPolicies, ServiceAccounts, RBAC.

Isolation between Instances (the ADR: "network policies … and tightly scoped service-account permissions"):

- every namespace of an Instance carries the label ``relc.dev/instance: <i>``;
- NetworkPolicies deny all ingress by default, then admit the same Instance's namespaces (by that label) and,
  where tenants' traffic arrives, the gateway's proxies — so two Instances on one cluster cannot reach each other.
  The proxies are the Instance's ``spec.gateway.peer`` or relc.yaml's ``gatewayPeer`` (default: the pods of
  ``gatewayNamespace``): selectors where they are pods, CIDRs where they are not (GKE's managed load balancers);
- RBAC is namespaced only (Roles, never ClusterRoles): a ServiceAccount of one Instance is granted nothing in
  another. The migration ServiceAccount may get/patch the status subresource of the tenancy resources it
  reports on, in the tenancy namespace (status writes), and get/list Deployments in each of the
  Instance's candidate namespaces (the readiness gate); nothing else (no pods/exec: see MIGRATE_SERVICE_ACCOUNT).
- The migration ServiceAccount carries the Instance's ``migration.backupIdentity`` as the workload-identity
  annotation of its cloud (EKS IRSA's role, GKE Workload Identity's Google service account), so backups reach
  the object store with short-lived credentials and no key is stored in the cluster.

One file per namespace: ``shared.yaml`` and ``tenancy.yaml`` here, synced by the platform Application; a
candidate's namespace, its NetworkPolicies and RBAC in its own umbrella chart
(``instances/<i>/candidates/<c>/templates/platform.yaml``, plain YAML Helm passes through), so they are part of
the candidate Application's own source and its namespace can never race it: Argo CD applies a Namespace before
the namespaced objects of the same sync (gitops-engine ``pkg/sync/doc.go``: "namespaces, custom resource
definitions first"; its dry run is client-side, so it needs no namespace yet, ``pkg/sync/sync_context.go``
``applyObject``), and the wave -20 annotation puts it before the chart's wave-0 objects too. Deleting the
candidate's Application (its finalizer) deletes the namespace with everything in it.
"""

from __future__ import annotations

from collections.abc import Iterator

import relc_contract as contract
from compiler.model import names
from compiler.model.gateway import GatewayPeer
from compiler.model.kinds import Instance
from compiler.render.context import RenderContext
from compiler.render.conventions import (
    CRD_GROUP,
    LABEL_CANDIDATE,
    LABEL_INSTANCE,
    MANAGED_BY,
    MIGRATE_SERVICE_ACCOUNT,
    SYNC_WAVE,
    WAVE_PLATFORM,
    candidate_chart_dir,
    platform_dir,
)
from compiler.render.fleetview import InstanceView, instance_views
from compiler.render.output import Manifest, RenderedFile

LABEL_ROLE = "relc.dev/namespace-role"
ROUTER_SERVICE_ACCOUNT = "relc-router"
"""Reads the routing table ConfigMaps in the shared namespace (shared services route tenants with it)."""
ROUTING_READER_ROLE = "relc-routing-reader"
VIEWER_ROLE = "relc-viewer"
MIGRATE_STATUS_ROLE = "relc-migrate-status"
"""relc-migrate's only grant in the tenancy namespace: get/patch on its resources' status subresource."""
CANDIDATE_READER_ROLE = "relc-migrate-candidate-reader"
"""relc-migrate's grant in each candidate namespace: get/list Deployments (the readiness gate)."""
VIEWER_GROUP = "relc:{instance}:viewers"
"""The identity-provider group whose members may read (never exec, never read Secrets) an Instance's namespaces."""
IRSA_ROLE_ARN = "eks.amazonaws.com/role-arn"
"""EKS: the pod identity webhook gives the ServiceAccount's pods a web-identity token for this IAM role."""
CANDIDATE_PLATFORM_FILE = "platform.yaml"
"""In the candidate's chart templates/: its namespace, NetworkPolicies and RBAC."""
GKE_SERVICE_ACCOUNT = "iam.gke.io/gcp-service-account"
"""GKE Workload Identity: the metadata server hands the ServiceAccount's pods this Google service account."""


def render(ctx: RenderContext) -> Iterator[RenderedFile]:
    fleet_peer = ctx.settings.peer()
    for view in instance_views(ctx.fleet):
        peer = view.instance.spec.gateway.peer or fleet_peer
        yield from instance_platform(view, peer, ctx.settings.monitoring_namespace)


def instance_platform(view: InstanceView, gateway: GatewayPeer, monitoring: str | None) -> Iterator[RenderedFile]:
    i = view.name
    folder = platform_dir(i)
    shared = names.shared_namespace(i)
    tenancy = names.tenancy_namespace(i)
    yield RenderedFile(
        f"{folder}/shared.yaml",
        (
            namespace(i, shared, "shared"),
            *network_policies(i, shared, gateway, monitoring),
            service_account(i, shared, ROUTER_SERVICE_ACCOUNT),
            *routing_reader(i, shared),
            *viewer(i, shared),
        ),
    )
    yield RenderedFile(
        f"{folder}/tenancy.yaml",
        (
            namespace(i, tenancy, "tenancy"),
            *network_policies(i, tenancy, None, monitoring),
            service_account(i, tenancy, MIGRATE_SERVICE_ACCOUNT, backup_identity(view.instance)),
            *migrate_status_writer(i, tenancy),
            *viewer(i, tenancy),
        ),
    )
    for bundle in view.candidates:
        ns = names.candidate_namespace(i, bundle.name)
        yield RenderedFile(
            f"{candidate_chart_dir(i, bundle.name)}/templates/{CANDIDATE_PLATFORM_FILE}",
            (
                namespace(i, ns, "candidate", {LABEL_CANDIDATE: bundle.name}),
                *network_policies(i, ns, gateway, monitoring),
                *candidate_reader(i, ns, tenancy),
                *viewer(i, ns),
            ),
        )


def _meta(instance: str, name: str, ns: str | None = None, extra: dict[str, str] | None = None) -> dict[str, object]:
    meta: dict[str, object] = {
        "name": name,
        "labels": {**MANAGED_BY, LABEL_INSTANCE: instance, **(extra or {})},
        "annotations": {SYNC_WAVE: WAVE_PLATFORM},
    }
    if ns is not None:
        meta["namespace"] = ns
    return meta


def namespace(instance: str, name: str, role: str, extra: dict[str, str] | None = None) -> Manifest:
    labels = {LABEL_ROLE: role, "pod-security.kubernetes.io/enforce": "baseline", **(extra or {})}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(instance, name, None, labels)}


def network_policies(instance: str, ns: str, gateway: GatewayPeer | None, monitoring: str | None) -> list[Manifest]:
    """Default-deny ingress, then allow the same Instance, the gateway's proxies where tenants' requests arrive,
    and the monitoring namespace (Prometheus) when the settings name one."""
    policies = [
        _policy(instance, ns, "default-deny-ingress", []),
        _policy(
            instance, ns, "allow-same-instance", [{"namespaceSelector": {"matchLabels": {LABEL_INSTANCE: instance}}}]
        ),
    ]
    if gateway is not None:
        policies.append(_policy(instance, ns, "allow-gateway", gateway_sources(gateway)))
    if monitoring is not None:
        selector = {"matchLabels": {"kubernetes.io/metadata.name": monitoring}}
        policies.append(_policy(instance, ns, "allow-monitoring", [{"namespaceSelector": selector}]))
    return policies


def gateway_sources(peer: GatewayPeer) -> list[dict[str, object]]:
    """The NetworkPolicy peers of ``peer``: one ipBlock per CIDR, or one peer whose namespace and pod selectors
    must both match (in one peer they are ANDed; as two peers they would admit either)."""
    if peer.cidrs:
        return [{"ipBlock": {"cidr": cidr}} for cidr in peer.cidrs]
    source: dict[str, object] = {"namespaceSelector": {"matchLabels": dict(peer.namespace_selector or {})}}
    if peer.pod_selector:
        source["podSelector"] = {"matchLabels": dict(peer.pod_selector)}
    return [source]


def _policy(instance: str, ns: str, name: str, sources: list[dict[str, object]]) -> Manifest:
    spec: dict[str, object] = {"podSelector": {}, "policyTypes": ["Ingress"]}
    if sources:
        spec["ingress"] = [{"from": sources}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(instance, name, ns),
        "spec": spec,
    }


def service_account(instance: str, ns: str, name: str, annotations: dict[str, str] | None = None) -> Manifest:
    meta = _meta(instance, name, ns)
    if annotations:
        meta["annotations"] = {**annotations, SYNC_WAVE: WAVE_PLATFORM}
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}


def backup_identity(instance: Instance) -> dict[str, str]:
    """The annotation that binds relc-migrate's ServiceAccount to the Instance's backup identity, if it names one."""
    identity = instance.spec.migration.backup_identity
    if identity is None:
        return {}
    if identity.aws_role_arn is not None:
        return {IRSA_ROLE_ARN: identity.aws_role_arn}
    assert identity.gcp_service_account is not None  # BackupIdentity holds exactly one
    return {GKE_SERVICE_ACCOUNT: identity.gcp_service_account}


def _role(instance: str, ns: str, name: str, rules: list[dict[str, object]]) -> Manifest:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": _meta(instance, name, ns),
        "rules": rules,
    }


def _binding(instance: str, ns: str, role: str, subject: dict[str, str]) -> Manifest:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _meta(instance, role, ns),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
        "subjects": [subject],
    }


def routing_reader(instance: str, ns: str) -> list[Manifest]:
    rules: list[dict[str, object]] = [
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}
    ]
    subject = {"kind": "ServiceAccount", "name": ROUTER_SERVICE_ACCOUNT, "namespace": ns}
    return [_role(instance, ns, ROUTING_READER_ROLE, rules), _binding(instance, ns, ROUTING_READER_ROLE, subject)]


def migrate_status_writer(instance: str, tenancy: str) -> list[Manifest]:
    """relc-migrate may read and merge-patch the status subresource of the tenancy resources it reports on, in
    its own namespace, and nothing else there (not the objects themselves, not Secrets, not other kinds)."""
    resources = [f"{plural}/status" for plural in contract.STATUS_WRITTEN]
    rules: list[dict[str, object]] = [{"apiGroups": [CRD_GROUP], "resources": resources, "verbs": ["get", "patch"]}]
    subject = {"kind": "ServiceAccount", "name": MIGRATE_SERVICE_ACCOUNT, "namespace": tenancy}
    return [
        _role(instance, tenancy, MIGRATE_STATUS_ROLE, rules),
        _binding(instance, tenancy, MIGRATE_STATUS_ROLE, subject),
    ]


def candidate_reader(instance: str, ns: str, tenancy: str) -> list[Manifest]:
    """The readiness gate: relc-migrate (a ServiceAccount of the tenancy namespace) may get and list the
    candidate's Deployments, nothing more, in this candidate namespace only."""
    rules: list[dict[str, object]] = [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list"]}]
    subject = {"kind": "ServiceAccount", "name": MIGRATE_SERVICE_ACCOUNT, "namespace": tenancy}
    return [_role(instance, ns, CANDIDATE_READER_ROLE, rules), _binding(instance, ns, CANDIDATE_READER_ROLE, subject)]


def viewer(instance: str, ns: str) -> list[Manifest]:
    """Read-only access for the Instance's people: no Secrets, no pods/exec, no port-forward."""
    rules: list[dict[str, object]] = [
        {
            "apiGroups": [""],
            "resources": ["pods", "pods/log", "services", "configmaps", "events", "serviceaccounts"],
            "verbs": ["get", "list", "watch"],
        },
        {"apiGroups": ["apps", "batch"], "resources": ["*"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": [CRD_GROUP], "resources": ["*"], "verbs": ["get", "list", "watch"]},
    ]
    subject = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": VIEWER_GROUP.format(instance=instance)}
    return [_role(instance, ns, VIEWER_ROLE, rules), _binding(instance, ns, VIEWER_ROLE, subject)]
