"""Fleet-wide settings, from relc.yaml at the top of the fleet repository.

They say where Argo CD finds rendered/ (repository URL, revision, path) and which relc-migrate image the
migration Jobs run. Absent file: the defaults below, suitable for the example fleet.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from compiler import __version__
from compiler.load.discover import SETTINGS_FILE
from compiler.model.common import Name, Strict, Text
from compiler.model.gateway import GatewayPeer, default_peer

__all__ = ["DEFAULT_MIGRATE_IMAGE", "MIGRATE_IMAGE_REPOSITORY", "SETTINGS_FILE", "Settings"]

MIGRATE_IMAGE_REPOSITORY = "ghcr.io/relc-dev/relc-migrate"
#: The relc-migrate image released together with this relc: one distribution, one version, so Jobs run the
#: migrator that speaks this compiler's contract unless relc.yaml pins another.
DEFAULT_MIGRATE_IMAGE = f"{MIGRATE_IMAGE_REPOSITORY}:{__version__}"


class Settings(Strict):
    api_version: Literal["relc.dev/v1alpha1"] = Field(default="relc.dev/v1alpha1", alias="apiVersion")
    kind: Literal["Settings"] = "Settings"
    repo_url: Text = Field(
        default="https://git.example.com/platform/fleet.git",
        alias="repoURL",
        description="the git repository Argo CD reads rendered/ from",
    )
    target_revision: Text = Field(default="main", alias="targetRevision")
    rendered_path: Text = Field(default="rendered", alias="renderedPath", pattern=r"^[A-Za-z0-9._/-]+$")
    argocd_namespace: Name = Field(default="argocd", alias="argocdNamespace")
    migrate_image: Text = Field(
        default=DEFAULT_MIGRATE_IMAGE,
        alias="migrateImage",
        description="image of the relc-migrate companion that migration Jobs run",
    )
    gateway_namespace: Name = Field(
        default="gateway-system",
        alias="gatewayNamespace",
        description="namespace of the Gateway that tenants' HTTPRoutes attach to (NetworkPolicies admit it)",
    )
    gateway_name: Name = Field(default="relc", alias="gatewayName", description="name of that Gateway")
    gateway_peer: GatewayPeer | None = Field(
        default=None,
        alias="gatewayPeer",
        description="who the allow-gateway NetworkPolicies admit (namespaceSelector + podSelector, or cidrs); "
        "an Instance's spec.gateway.peer overrides it; default: the pods of gatewayNamespace",
    )
    monitoring_namespace: Name | None = Field(
        default=None,
        alias="monitoringNamespace",
        description="namespace whose pods (Prometheus) may scrape every Instance namespace, and where the Grafana"
        " dashboard is rendered (the kube-prometheus-stack's); none if unset",
    )
    pushgateway_url: Text | None = Field(
        default=None,
        alias="pushgatewayURL",
        pattern=r"^https?://[^\s]+$",
        description="Prometheus Pushgateway the migration Jobs push their metrics to (RELC_PUSHGATEWAY_URL); "
        "none if unset: the Jobs' metrics are then not published",
    )

    def peer(self) -> GatewayPeer:
        """The fleet's gateway peer: ``gatewayPeer``, or the pods of ``gatewayNamespace``."""
        return self.gateway_peer or default_peer(self.gateway_namespace)
