"""What every rule sees: the typed fleet and the injected facts of the run (today's date)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from compiler.load.migrations import Shipped
from compiler.model.fleet import Fleet

if TYPE_CHECKING:
    from compiler.resolve import Resolution


@dataclass(frozen=True, slots=True)
class Context:
    fleet: Fleet
    today: date
    resolution: Resolution | None = None
    """The fleet's dependency resolution when the caller already has it (the app resolves once per run and hands
    it to compile too); the dependencies rule resolves itself when it is None."""
    shipped: Mapping[str, Shipped] = field(default_factory=dict)
    """The dependencies.yml of the migrations folders the repository keeps, by component (RLC406)."""
