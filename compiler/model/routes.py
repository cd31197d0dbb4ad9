"""What a candidate's tenants are routed to: validation (RLC504) and rendering derive it here, so what is checked
is exactly what is rendered."""

from __future__ import annotations

from compiler.model.kinds import ComponentType, ReleaseBlueprint, ReleaseCandidate


def routed_components(blueprint: ReleaseBlueprint, candidate: ReleaseCandidate) -> list[str]:
    """Components tenants reach through the gateway, in blueprint order: services and frontends the candidate
    pins, not infrastructure."""
    pinned = candidate.spec.components
    return [
        c.name for c in blueprint.spec.components if c.name in pinned and c.type is not ComponentType.INFRASTRUCTURE
    ]


def route_path(component: str) -> str:
    """The path prefix a component is routed under. Kept, not rewritten: the Service receives ``/<component>/…``
    as the client sent it (README: Routing)."""
    return f"/{component}"
