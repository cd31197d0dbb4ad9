"""What the resolver knows about each candidate: its pins, its role, its schema owners, its declared requirements.

Shared bundles are candidates too (of sharedServices / sharedInfrastructure blueprints), so one shape serves both.
Everything here is computed once per candidate and once per ComponentVersion — never per tenant — so resolution
cost follows the number of candidates (a few hundred), not the number of tenants.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from compiler.diagnostics import Diagnostic
from compiler.model.fleet import Entry, Fleet
from compiler.model.kinds import BlueprintType, ComponentVersion, ReleaseBlueprint, ReleaseCandidate
from compiler.resolve.constraints import Constraint, InvalidRange, constraint_of

ROLE_TEXT = {
    BlueprintType.PRODUCT: "candidate",
    BlueprintType.SHARED_SERVICES: "shared services bundle",
    BlueprintType.SHARED_INFRASTRUCTURE: "shared infrastructure bundle",
}


@dataclass(frozen=True, slots=True)
class Need:
    """One requirement of one ComponentVersion: ``index`` is its position in ``spec.requires``."""

    index: int
    service: str
    constraint: Constraint
    text: str
    """The constraint's normalised text (``>=2.1.0, <3.0.0``), as messages and graphs show it."""


@dataclass(frozen=True, slots=True)
class Bundle:
    """A candidate as the resolver sees it. ``blueprint`` is None when the reference is broken (reported by the
    references rule); then schema ownership is unknown and the checks that need it are skipped."""

    entry: Entry[ReleaseCandidate]
    blueprint: Entry[ReleaseBlueprint] | None
    schema: Mapping[str, bool]
    """Blueprint component → ownsSchema (first definition wins: a repeated one is RLC107's); empty when the
    blueprint is unknown."""

    @property
    def name(self) -> str:
        return self.entry.obj.metadata.name

    @property
    def pins(self) -> Mapping[str, str]:
        return self.entry.obj.spec.components

    @property
    def role(self) -> BlueprintType | None:
        return None if self.blueprint is None else self.blueprint.obj.spec.type

    @property
    def defined(self) -> frozenset[str]:
        return frozenset(self.schema)

    @property
    def owners(self) -> frozenset[str]:
        """Pinned components whose blueprint entry owns a schema: the ones a migration order sequences."""
        return frozenset(name for name, owns in self.schema.items() if owns and name in self.pins)

    def describe(self) -> str:
        return f"{ROLE_TEXT[self.role] if self.role else 'candidate'} {self.name}"


def bundles(fleet: Fleet) -> dict[str, Bundle]:
    found = {}
    for name, entry in sorted(fleet.candidates.items()):
        blueprint = fleet.blueprints.get(entry.obj.spec.blueprint)
        schema: dict[str, bool] = {}
        for component in blueprint.obj.spec.components if blueprint else ():
            schema.setdefault(component.name, component.owns_schema)
        found[name] = Bundle(entry, blueprint, schema)
    return found


def needs(fleet: Fleet) -> tuple[dict[tuple[str, str], tuple[Need, ...]], list[Diagnostic]]:
    """Every ComponentVersion's parsed requirements, keyed by (component, version); RLC204 for bad ranges.

    Parsed once per file, so a range used by many candidates is reported once, where it is written.
    """
    table: dict[tuple[str, str], tuple[Need, ...]] = {}
    problems: list[Diagnostic] = []
    for key, entry in sorted(fleet.component_versions.items()):
        table[key] = tuple(_parse(entry, problems))
    return table, problems


def _parse(entry: Entry[ComponentVersion], problems: list[Diagnostic]) -> Iterator[Need]:
    for i, requirement in enumerate(entry.obj.spec.requires):
        try:
            constraint = constraint_of(requirement)
            yield Need(i, requirement.service, constraint, str(constraint))
        except InvalidRange as exc:
            problems.append(
                entry.doc.diagnostic(
                    ("spec", "requires", i, "range"),
                    "RLC204",
                    f"{exc.text!r} is not a version range: {exc.reason}",
                    "write comparisons joined by ',' or spaces, e.g. '>=2.1.0, <3.0.0' "
                    "(operators >=, >, <=, <, ==, !=)",
                )
            )
