"""The whole fleet as typed objects, each kept with the document it came from (for positions)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from compiler.load.documents import Document
from compiler.model.kinds import (
    ComponentVersion,
    GlobalProductionRelease,
    Instance,
    ReleaseBlueprint,
    ReleaseCandidate,
    Tenant,
)
from compiler.model.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Entry(Generic[T]):
    """A typed object and its source document."""

    obj: T
    doc: Document


TenantKey = tuple[str, str]
"""(instance, tenant name): tenant names are unique within an Instance."""


@dataclass(slots=True)
class Fleet:
    blueprints: dict[str, Entry[ReleaseBlueprint]] = field(default_factory=dict)
    component_versions: dict[tuple[str, str], Entry[ComponentVersion]] = field(default_factory=dict)
    candidates: dict[str, Entry[ReleaseCandidate]] = field(default_factory=dict)
    global_releases: dict[str, Entry[GlobalProductionRelease]] = field(default_factory=dict)
    instances: dict[str, Entry[Instance]] = field(default_factory=dict)
    tenants: dict[TenantKey, Entry[Tenant]] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    """relc.yaml, typed with the fleet so every command sees its errors (the defaults when absent or invalid)."""
    documents: list[Document] = field(default_factory=list)
    invalid: set[tuple[str, str]] = field(default_factory=set)
    """(kind, name) of objects present but invalid: a reference to one is not also reported as missing."""
    """Every parsed document, typed or not: rules over raw data (literal secrets) must see invalid objects too."""

    def exists(self, kind: str, name: str, table: Collection[str]) -> bool:
        """``name`` is in ``table`` or names an object of ``kind`` that failed validation (reported on its own)."""
        return name in table or (kind, name) in self.invalid

    def tenants_of(self, instance: str) -> list[Entry[Tenant]]:
        return [e for (inst, _), e in sorted(self.tenants.items()) if inst == instance]

    def deployed(self, instance: str) -> set[str]:
        """The candidates ``instance`` deploys: the pins and serving candidates of its live (not removed)
        tenants, and its warmCandidates. The render's Instance views and the base-branch policies (RLC906)
        both ask this, so "deployed" means one thing."""
        entry = self.instances.get(instance)
        wanted = set(entry.obj.spec.warm_candidates) if entry else set()
        for tenant in self.tenants_of(instance):
            if not tenant.obj.spec.removed:
                wanted.update((tenant.obj.spec.release_candidate, tenant.obj.serving))
        return wanted

    def versions_of(self, component: str) -> dict[str, Entry[ComponentVersion]]:
        return {v: e for (c, v), e in self.component_versions.items() if c == component}
