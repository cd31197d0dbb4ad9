"""How an Instance meets the Gateway: its own hostnames (and listener), and who the NetworkPolicies admit as it.

Why per Instance: two Instances on one cluster share its Gateway, and their tenants' HTTPRoutes match on the
same header and path prefixes. Without a discriminator of their own the Gateway API resolves the tie by the
oldest route, so production requests can reach staging (RLC504 at validate time, RLC805 over rendered/).
The hostnames are the discriminator; a listener ``sectionName`` narrows it further where the Gateway has one
listener per environment.

Why the peer is configurable: the proxies that carry tenants' requests are not pods in the gateway namespace on
most implementations (GKE's managed load balancers connect from Google's ranges and the proxy-only subnet,
Envoy Gateway runs its proxies in ``envoy-gateway-system``), so ``allow-gateway`` must say what they are.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from compiler.model.common import Name, Strict

HOSTNAME_PATTERN = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
"""Gateway API v1.6.1's ``Hostname`` (RFC 1123, lower case, an optional leading ``*.`` label; no IPs)."""

Hostname = Annotated[str, StringConstraints(pattern=HOSTNAME_PATTERN, min_length=1, max_length=253)]

_LABEL_PREFIX = r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
_LABEL_KEY = rf"^{_LABEL_PREFIX}[A-Za-z0-9]([-A-Za-z0-9_.]{{0,61}}[A-Za-z0-9])?$"
_LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$"
LabelKey = Annotated[str, StringConstraints(pattern=_LABEL_KEY, max_length=317)]
LabelValue = Annotated[str, StringConstraints(pattern=_LABEL_VALUE, max_length=63)]


def _check_cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise PydanticCustomError(
            "relc_cidr",
            "'{value}' is not a network in CIDR notation with its host bits zero (e.g. 10.129.0.0/23): {why}",
            {"value": value[:80], "why": str(exc)},
        ) from None
    return str(network)


Cidr = Annotated[
    str,
    StringConstraints(max_length=43),
    AfterValidator(_check_cidr),
    WithJsonSchema({"type": "string", "maxLength": 43, "description": "an IPv4 or IPv6 network, e.g. 35.191.0.0/16"}),
]

GATEWAY_NAMESPACE_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every Namespace: the default peer selects the gateway namespace by it."""


class GatewayPeer(Strict):
    """Who ``allow-gateway`` admits: pods chosen by a namespace selector (and optionally a pod selector within
    those namespaces), or source networks. Not both: a NetworkPolicy peer is one or the other."""

    namespace_selector: dict[LabelKey, LabelValue] | None = Field(
        default=None,
        alias="namespaceSelector",
        min_length=1,
        description="matchLabels of the namespaces the gateway's proxies run in (Envoy Gateway: "
        "kubernetes.io/metadata.name: envoy-gateway-system)",
    )
    pod_selector: dict[LabelKey, LabelValue] | None = Field(
        default=None,
        alias="podSelector",
        min_length=1,
        description="matchLabels of the proxy pods within those namespaces (needs namespaceSelector)",
    )
    cidrs: list[Cidr] = Field(
        default_factory=list,
        max_length=64,
        description="source networks (ipBlock) when the proxies are not pods: GKE Gateway's proxy-only subnet "
        "and Google's load-balancer ranges 35.191.0.0/16, 130.211.0.0/22",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> GatewayPeer:
        if self.cidrs and (self.namespace_selector or self.pod_selector):
            raise ValueError("name either cidrs or namespaceSelector (+ podSelector), not both")
        if not self.cidrs and not self.namespace_selector:
            raise ValueError(
                "name namespaceSelector (a podSelector alone would select pods of the protected namespace) or cidrs"
            )
        if len(set(self.cidrs)) != len(self.cidrs):
            raise ValueError("cidrs lists a network twice")
        return self


def default_peer(gateway_namespace: str) -> GatewayPeer:
    """relc.yaml's default: every pod of the gateway namespace (right where the proxies run there)."""
    return GatewayPeer(namespace_selector={GATEWAY_NAMESPACE_LABEL: gateway_namespace})


class InstanceGateway(Strict):
    """``spec.gateway`` of an Instance: what makes its routes its own on a Gateway other Instances share."""

    hostnames: list[Hostname] = Field(
        default_factory=list,
        max_length=16,
        description="the hostnames every tenant HTTPRoute of the Instance matches (Host header); none: any "
        "hostname of the listener (two such Instances on one cluster collide: RLC504)",
    )
    section_name: Name | None = Field(
        default=None,
        alias="sectionName",
        description="the Gateway listener the routes attach to (parentRefs[].sectionName); none: every listener",
    )
    peer: GatewayPeer | None = Field(
        default=None, description="who allow-gateway admits in this Instance; relc.yaml's gatewayPeer if unset"
    )

    @model_validator(mode="after")
    def _distinct(self) -> InstanceGateway:
        if len(set(self.hostnames)) != len(self.hostnames):
            raise ValueError("hostnames lists a hostname twice")
        return self
