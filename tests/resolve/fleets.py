"""Build small fleets for resolver tests: as YAML text (the real loader types them), in memory or on disk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from compiler.load.documents import SourceFile
from compiler.model.build import build_fleet
from compiler.model.fleet import Fleet
from compiler.resolve import Resolution, resolve

Requires = Sequence[tuple[str, str]]
"""(service, range) pairs of one ComponentVersion."""


def component_version(component: str, version: str, requires: Requires = ()) -> str:
    lines = [
        "apiVersion: relc.dev/v1alpha1",
        "kind: ComponentVersion",
        f"metadata: {{name: {component}-{version.replace('.', '-')}}}",
        "spec:",
        f"  component: {component}",
        f"  version: {version}",
    ]
    if requires:
        lines.append("  requires:")
        for service, rng in requires:
            lines += [f"    - service: {service}", f'      range: "{rng}"']
    return "\n".join(lines) + "\n"


def blueprint(name: str, components: Mapping[str, bool], kind: str = "product") -> str:
    """``components``: name → ownsSchema."""
    lines = [
        "apiVersion: relc.dev/v1alpha1",
        "kind: ReleaseBlueprint",
        f"metadata: {{name: {name}}}",
        "spec:",
        f"  type: {kind}",
        "  components:",
    ]
    for component, owns in components.items():
        lines += [
            f"    - name: {component}",
            f"      repository: https://example.com/{component}",
            "      chart: {repository: https://charts.example.com}",
            f"      image: {{repository: registry.example.com/{component}}}",
            f"      ownsSchema: {'true' if owns else 'false'}",
        ]
    return "\n".join(lines) + "\n"


def candidate(name: str, bp: str, pins: Mapping[str, str], order: Sequence[str] | None = None) -> str:
    lines = [
        "apiVersion: relc.dev/v1alpha1",
        "kind: ReleaseCandidate",
        f"metadata: {{name: {name}}}",
        "spec:",
        f"  blueprint: {bp}",
        "  status: published",
        "  components:",
    ]
    lines += [f'    {c}: "{v}"' for c, v in pins.items()]
    if order is not None:
        lines.append(f"  migrationOrder: [{', '.join(order)}]")
    return "\n".join(lines) + "\n"


def global_release(name: str, candidates: Sequence[str], shared: str | None = None, infra: str | None = None) -> str:
    lines = [
        "apiVersion: relc.dev/v1alpha1",
        "kind: GlobalProductionRelease",
        f"metadata: {{name: {name}}}",
        "spec:",
        f"  candidates: [{', '.join(candidates)}]",
    ]
    if shared:
        lines.append(f"  sharedServices: {shared}")
    if infra:
        lines.append(f"  sharedInfrastructure: {infra}")
    return "\n".join(lines) + "\n"


class FleetFiles(dict[str, str]):
    """Fleet-relative path → YAML text, with helpers that put each kind where the loader expects it."""

    def add_version(self, component: str, version: str, requires: Requires = ()) -> None:
        self[f"blueprints/components/{component}/{version}.yaml"] = component_version(component, version, requires)

    def add_blueprint(self, name: str, components: Mapping[str, bool], kind: str = "product") -> None:
        self[f"blueprints/{name}.yaml"] = blueprint(name, components, kind)

    def add_candidate(self, name: str, bp: str, pins: Mapping[str, str], order: Sequence[str] | None = None) -> None:
        self[f"releases/candidates/{name}.yaml"] = candidate(name, bp, pins, order)

    def add_release(self, name: str, candidates: Sequence[str], shared: str | None = None) -> None:
        self[f"releases/global/{name}.yaml"] = global_release(name, candidates, shared)

    def fleet(self) -> Fleet:
        fleet, problems = build_fleet(SourceFile(p, t) for p, t in sorted(self.items()))
        assert not [d for d in problems if d.is_error], problems
        return fleet

    def resolve(self) -> Resolution:
        return resolve(self.fleet())

    def write(self, root: Path) -> Path:
        for path, text in self.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)
        return root
