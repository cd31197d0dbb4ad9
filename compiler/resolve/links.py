"""Requirements → links: each ComponentVersion requirement of a pinned version, resolved to the pin that serves it.

A requirement is served by the same candidate when it pins the service; otherwise by the shared bundles of the
global releases that offer the candidate. Shared bundles serve every candidate offered beside them, so their
requirements are resolved in each of those candidates (or in the other shared bundle). Each resolved link keeps
the *site* a disagreement is reported at: the pin inside a candidate, or the global release line that brings a
candidate and a shared bundle together. Requirements nothing serves become RLC404 diagnostics here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from compiler.diagnostics import Diagnostic
from compiler.load.documents import Document
from compiler.load.yamlread import FieldPath
from compiler.model.fleet import Entry, Fleet
from compiler.model.kinds import BlueprintType, GlobalProductionRelease
from compiler.resolve.bundles import Bundle, Need

Needs = Mapping[tuple[str, str], tuple[Need, ...]]
Dangling = tuple[str, str, Need]
"""(component, version, requirement) whose service the bundle itself does not pin."""


@dataclass(frozen=True, slots=True)
class Link:
    """``source`` (pinned in ``source_bundle``) requires ``target`` ``constraint``; ``target_bundle`` pins it."""

    source_bundle: str
    source: str
    source_version: str
    target_bundle: str
    target: str
    target_version: str
    constraint: str
    satisfied: bool

    @property
    def source_node(self) -> str:
        return f"{self.source}@{self.source_version}"

    @property
    def target_node(self) -> str:
        return f"{self.target}@{self.target_version}"

    @property
    def inside(self) -> bool:
        return self.source_bundle == self.target_bundle


def astuple_key(link: Link) -> tuple[str, str, str, str, str, str, str, bool]:
    """Sort key of a link (a plain tuple: sorting thousands of links stays in C)."""
    return (
        link.source_bundle,
        link.source,
        link.source_version,
        link.target_bundle,
        link.target,
        link.target_version,
        link.constraint,
        link.satisfied,
    )


@dataclass(frozen=True, slots=True)
class Resolved:
    """A link and where a pull request would fix it if unsatisfied."""

    link: Link
    doc: Document
    path: FieldPath


@dataclass(frozen=True, slots=True)
class Offer:
    """One global release offering a candidate: its line, and its shared bundles (``complete`` when all exist)."""

    release: Entry[GlobalProductionRelease]
    index: int
    shared: tuple[tuple[str, Bundle], ...]
    complete: bool


def link(source: Bundle, component: str, version: str, target: Bundle, need: Need) -> Link:
    pinned = target.pins[need.service]
    return Link(
        source.name,
        component,
        version,
        target.name,
        need.service,
        pinned,
        need.text,
        need.constraint.allows(pinned),
    )


def walk(fleet: Fleet, bundles: Mapping[str, Bundle], needs: Needs) -> Iterator[Resolved | Diagnostic]:
    dangling: dict[str, list[Dangling]] = {}
    for bundle in bundles.values():
        for component, version in sorted(bundle.pins.items()):
            for need in needs.get((component, version), ()):
                if need.service in bundle.pins:
                    site = ("spec", "components", need.service)
                    yield Resolved(link(bundle, component, version, bundle, need), bundle.entry.doc, site)
                elif need.service not in bundle.schema:  # a defined but unpinned component is RLC304's
                    dangling.setdefault(bundle.name, []).append((component, version, need))
    offers = _offers(fleet, bundles)
    for release in sorted(fleet.global_releases.values(), key=lambda e: e.obj.metadata.name):
        yield from _shared_needs(release, bundles, dangling)
    for name, bundle in bundles.items():
        if bundle.role is BlueprintType.PRODUCT:
            for item in dangling.get(name, ()):
                yield from _candidate_need(bundle, item, offers.get(name, ()))


def _shared_of(
    release: GlobalProductionRelease, bundles: Mapping[str, Bundle]
) -> tuple[list[tuple[str, Bundle]], bool]:
    spec = release.spec
    named = [("sharedServices", spec.shared_services), ("sharedInfrastructure", spec.shared_infrastructure)]
    found = [(f, bundles[n]) for f, n in named if n is not None and n in bundles]
    return found, len(found) == sum(1 for _, n in named if n is not None)


def _offers(fleet: Fleet, bundles: Mapping[str, Bundle]) -> dict[str, list[Offer]]:
    offers: dict[str, list[Offer]] = {}
    for release in sorted(fleet.global_releases.values(), key=lambda e: e.obj.metadata.name):
        shared, complete = _shared_of(release.obj, bundles)
        for i, name in enumerate(release.obj.spec.candidates):
            offers.setdefault(name, []).append(Offer(release, i, tuple(shared), complete))
    return offers


def _provider(service: str, shared: Sequence[tuple[str, Bundle]]) -> Bundle | None:
    return next((b for _, b in shared if service in b.pins), None)


def _candidate_need(bundle: Bundle, item: Dangling, offers: Sequence[Offer]) -> Iterator[Resolved | Diagnostic]:
    """A candidate's requirement it does not pin itself: served by the shared bundles of every offering release."""
    component, version, need = item
    missing: list[Offer] = []
    for offer in offers:
        provider = _provider(need.service, offer.shared)
        if provider is not None:
            site = ("spec", "candidates", offer.index)
            yield Resolved(link(bundle, component, version, provider, need), offer.release.doc, site)
        elif offer.complete:
            missing.append(offer)
    if len(missing) == len(offers):  # served nowhere (or not offered at all): the candidate's pin is the place
        yield bundle.entry.doc.diagnostic(
            ("spec", "components", component),
            "RLC404",
            f"{component} {version} requires {need.service} {need.constraint}, which candidate {bundle.name} "
            f"does not pin{' and no global release offering it provides' if offers else ''}",
            f"pin {need.service} in candidate {bundle.name}, or offer the candidate in a global release whose "
            f"shared bundles pin {need.service}",
        )
        return
    for offer in missing:
        name = offer.release.obj.metadata.name
        yield offer.release.doc.diagnostic(
            ("spec", "candidates", offer.index),
            "RLC404",
            f"{component} {version} in candidate {bundle.name} requires {need.service} {need.constraint}, which "
            f"neither the candidate nor the shared bundles of global release {name} provide",
            f"add {need.service} to a shared bundle of {name}, or pin it in candidate {bundle.name}",
        )


def _shared_needs(
    release: Entry[GlobalProductionRelease], bundles: Mapping[str, Bundle], dangling: Mapping[str, list[Dangling]]
) -> Iterator[Resolved | Diagnostic]:
    """A shared bundle's requirements: served by the other shared bundle, else by every offered candidate."""
    shared, _ = _shared_of(release.obj, bundles)
    for field, bundle in shared:
        others = [(f, b) for f, b in shared if b is not bundle]
        for component, version, need in dangling.get(bundle.name, ()):
            provider = _provider(need.service, others)
            if provider is not None:
                yield Resolved(link(bundle, component, version, provider, need), release.doc, ("spec", field))
                continue
            for i, name in enumerate(release.obj.spec.candidates):
                candidate = bundles.get(name)
                if candidate is None or candidate.role not in (BlueprintType.PRODUCT, None):
                    continue  # unknown or misplaced: the references rule reports it
                site = ("spec", "candidates", i)
                if need.service in candidate.pins:
                    yield Resolved(link(bundle, component, version, candidate, need), release.doc, site)
                elif candidate.blueprint is not None and need.service not in candidate.schema:
                    yield release.doc.diagnostic(
                        site,
                        "RLC404",
                        f"{component} {version} in {bundle.describe()} requires {need.service} {need.constraint}, "
                        f"which candidate {name} (offered beside it) does not pin",
                        f"pin {need.service} in candidate {name}, or add it to a shared bundle of "
                        f"{release.obj.metadata.name}",
                    )
