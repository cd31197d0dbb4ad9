"""RLC301/RLC302: every reference between objects resolves, to an object of the right role.

tenant → instance, candidate, operator; instance → global release, warm candidates; global release →
candidates, shared bundles, operator; candidate → blueprint.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator

from compiler.diagnostics import Diagnostic
from compiler.load.documents import Document
from compiler.load.yamlread import FieldPath
from compiler.model.kinds import BlueprintType, TenantRole
from compiler.validate.context import Context


def unknown(doc: Document, path: FieldPath, what: str, name: str, known: Collection[str]) -> Diagnostic:
    """The one shape of an unresolved reference: the name, what it should be, and the closest existing name."""
    close = difflib.get_close_matches(name, sorted(known), n=1)
    if close:
        hint = f"did you mean '{close[0]}'?"
    elif known:
        shown = sorted(known)[:8]
        hint = f"use one of: {', '.join(shown)}{', …' if len(known) > 8 else ''}"
    else:
        hint = f"define the {what} first"
    return doc.diagnostic(path, "RLC301", f"{what} '{name}' does not exist", hint)


def check(ctx: Context) -> Iterator[Diagnostic]:
    yield from _candidates(ctx)
    yield from _global_releases(ctx)
    yield from _instances(ctx)
    yield from _tenants(ctx)


def _candidates(ctx: Context) -> Iterator[Diagnostic]:
    blueprints = ctx.fleet.blueprints
    for entry in ctx.fleet.candidates.values():
        name = entry.obj.spec.blueprint
        if not ctx.fleet.exists("ReleaseBlueprint", name, blueprints):
            yield unknown(entry.doc, ("spec", "blueprint"), "release blueprint", name, blueprints)


def _global_releases(ctx: Context) -> Iterator[Diagnostic]:
    fleet = ctx.fleet
    for entry in fleet.global_releases.values():
        spec, doc = entry.obj.spec, entry.doc
        for i, name in enumerate(spec.candidates):
            cand = fleet.candidates.get(name)
            if cand is None:
                if not fleet.exists("ReleaseCandidate", name, fleet.candidates):
                    yield unknown(doc, ("spec", "candidates", i), "release candidate", name, fleet.candidates)
                continue
            bp = fleet.blueprints.get(cand.obj.spec.blueprint)
            if bp is not None and bp.obj.spec.type is not BlueprintType.PRODUCT:
                yield doc.diagnostic(
                    ("spec", "candidates", i),
                    "RLC302",
                    f"candidate '{name}' is a {bp.obj.spec.type.value} bundle, not a product release",
                    f"offer it as spec.{bp.obj.spec.type.value} instead",
                )
        for field, want in (
            ("sharedServices", BlueprintType.SHARED_SERVICES),
            ("sharedInfrastructure", BlueprintType.SHARED_INFRASTRUCTURE),
        ):
            name = getattr(
                spec, "shared_services" if want is BlueprintType.SHARED_SERVICES else "shared_infrastructure"
            )
            if name is None:
                continue
            cand = fleet.candidates.get(name)
            if cand is None:
                if not fleet.exists("ReleaseCandidate", name, fleet.candidates):
                    yield unknown(doc, ("spec", field), f"{field} bundle", name, fleet.candidates)
                continue
            bp = fleet.blueprints.get(cand.obj.spec.blueprint)
            if bp is not None and bp.obj.spec.type is not want:
                yield doc.diagnostic(
                    ("spec", field),
                    "RLC302",
                    f"'{name}' is a candidate of a {bp.obj.spec.type.value} blueprint, not {want.value}",
                    f"name a candidate whose blueprint has type {want.value}",
                )


def _instances(ctx: Context) -> Iterator[Diagnostic]:
    fleet = ctx.fleet
    for entry in fleet.instances.values():
        spec, doc = entry.obj.spec, entry.doc
        if spec.global_release not in fleet.global_releases:
            if not fleet.exists("GlobalProductionRelease", spec.global_release, fleet.global_releases):
                yield unknown(
                    doc,
                    ("spec", "globalRelease"),
                    "global production release",
                    spec.global_release,
                    fleet.global_releases,
                )
            continue
        offered = fleet.global_releases[spec.global_release].obj.spec.candidates
        for i, name in enumerate(spec.warm_candidates):
            if name not in offered:
                yield doc.diagnostic(
                    ("spec", "warmCandidates", i),
                    "RLC302",
                    f"warm candidate '{name}' is not offered by global release '{spec.global_release}'",
                    f"keep warm one of: {', '.join(offered)}",
                )


def _tenants(ctx: Context) -> Iterator[Diagnostic]:
    fleet = ctx.fleet
    for (instance, name), entry in sorted(fleet.tenants.items()):
        spec, doc = entry.obj.spec, entry.doc
        if not fleet.exists("Instance", instance, fleet.instances):
            yield unknown(doc, ("spec", "instance"), "instance", instance, fleet.instances)
        if not fleet.exists("ReleaseCandidate", spec.release_candidate, fleet.candidates):
            yield unknown(
                doc, ("spec", "releaseCandidate"), "release candidate", spec.release_candidate, fleet.candidates
            )
        if spec.role is TenantRole.AGENT and spec.operator is not None:
            op = fleet.tenants.get((instance, spec.operator))
            if op is None and not fleet.exists("Tenant", spec.operator, ()):
                # The peer list only feeds the hint, so it is built on the error path alone (not per tenant).
                peers = {
                    n for (i, n), e in fleet.tenants.items() if i == instance and e.obj.spec.role is TenantRole.OPERATOR
                }
                yield unknown(
                    doc, ("spec", "operator"), f"operator tenant in instance '{instance}'", spec.operator, peers
                )
            elif op is not None and op.obj.spec.role is not TenantRole.OPERATOR:
                yield doc.diagnostic(
                    ("spec", "operator"),
                    "RLC302",
                    f"'{spec.operator}' is an Agent, not an Operator",
                    "an Agent's operator must be a tenant with role: Operator in the same instance",
                )
        if name == spec.operator:
            yield doc.diagnostic(
                ("spec", "operator"),
                "RLC302",
                "a tenant cannot be its own operator",
                "name the Operator tenant this Agent works under",
            )
