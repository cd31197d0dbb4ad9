"""What every rule sees: the typed fleet and the injected facts of the run (today's date)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

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
