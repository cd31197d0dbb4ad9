"""Everything a render section reads: the typed fleet, the dependency resolution and the fleet settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from compiler.model.fleet import Fleet
from compiler.model.settings import Settings


class MigrationOrders(Protocol):
    """The part of compiler.resolve.Resolution rendering needs."""

    def migration_order(self, candidate: str) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class RenderContext:
    fleet: Fleet
    resolution: MigrationOrders
    settings: Settings
