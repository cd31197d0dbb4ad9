"""What every rule sees: the typed fleet and the injected facts of the run (today's date)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from compiler.model.fleet import Fleet


@dataclass(frozen=True, slots=True)
class Context:
    fleet: Fleet
    today: date
