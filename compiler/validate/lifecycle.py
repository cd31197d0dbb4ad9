"""RLC601 to RLC604, RLC301/RLC302: tenants run only what their Instance offers, while it is supported.

- a tenant's candidate must be one its Instance's global release offers (RLC601);
- past a candidate's endOfLife the pin is an error (RLC602), from its notifyDate a warning (RLC603); the date
  comes from the run's Context (``--today``), never the clock, so CI runs are reproducible;
- a draft candidate must not reach a prod Instance (RLC604);
- a global release naming its Operator requires that Operator as a tenant of every Instance using the release
  that has tenants: the Operator controls which versions its Agents are offered.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.diagnostics import Diagnostic, Severity
from compiler.model.fleet import Entry
from compiler.model.kinds import CandidateStatus, Environment, GlobalProductionRelease, Tenant, TenantRole
from compiler.validate.context import Context


def check(ctx: Context) -> Iterator[Diagnostic]:
    for _, entry in sorted(ctx.fleet.tenants.items()):
        yield from _offered(ctx, entry)
        yield from _deprecation(ctx, entry)
    for _, release in sorted(ctx.fleet.global_releases.items()):
        yield from _drafts(ctx, release)
        yield from _operator(ctx, release)


def _offered(ctx: Context, entry: Entry[Tenant]) -> Iterator[Diagnostic]:
    spec = entry.obj.spec
    instance = ctx.fleet.instances.get(spec.instance)
    if instance is None or spec.release_candidate not in ctx.fleet.candidates:
        return  # RLC301 already
    release_name = instance.obj.spec.global_release
    release = ctx.fleet.global_releases.get(release_name)
    if release is None or spec.release_candidate in release.obj.spec.candidates:
        return
    offered = release.obj.spec.candidates
    yield entry.doc.diagnostic(
        ("spec", "releaseCandidate"),
        "RLC601",
        f"candidate '{spec.release_candidate}' is not offered by global release '{release_name}' "
        f"of instance '{spec.instance}' ({release.doc.path})",
        f"pin one of: {', '.join(offered)}; or add '{spec.release_candidate}' to the global release",
    )


def _deprecation(ctx: Context, entry: Entry[Tenant]) -> Iterator[Diagnostic]:
    if entry.obj.spec.removed:
        return  # a tombstone runs nothing of its candidate: only its deprovision Jobs
    name = entry.obj.spec.release_candidate
    candidate = ctx.fleet.candidates.get(name)
    deprecation = candidate.obj.spec.deprecation if candidate else None
    if deprecation is None:
        return
    path = ("spec", "releaseCandidate")
    if ctx.today > deprecation.end_of_life:
        yield entry.doc.diagnostic(
            path,
            "RLC602",
            f"candidate '{name}' reached its end of life on {deprecation.end_of_life.isoformat()}",
            "move the tenant to a supported candidate its global release offers",
        )
    elif deprecation.notify_date is not None and ctx.today >= deprecation.notify_date:
        yield entry.doc.diagnostic(
            path,
            "RLC603",
            f"candidate '{name}' is deprecated since {deprecation.notify_date.isoformat()} "
            f"and reaches its end of life on {deprecation.end_of_life.isoformat()}",
            "plan the tenant's move to a newer candidate before the end of life",
            severity=Severity.WARNING,
        )


def _drafts(ctx: Context, release: Entry[GlobalProductionRelease]) -> Iterator[Diagnostic]:
    release_name = release.obj.metadata.name
    prod = sorted(
        name
        for name, inst in ctx.fleet.instances.items()
        if inst.obj.spec.global_release == release_name and inst.obj.spec.environment is Environment.PROD
    )
    if not prod:
        return
    spec = release.obj.spec
    offered: list[tuple[tuple[str | int, ...], str]] = [
        (("spec", "candidates", i), c) for i, c in enumerate(spec.candidates)
    ]
    offered += [
        (("spec", f), c)
        for f, c in (("sharedServices", spec.shared_services), ("sharedInfrastructure", spec.shared_infrastructure))
        if c
    ]
    for path, name in offered:
        candidate = ctx.fleet.candidates.get(name)
        if candidate is not None and candidate.obj.spec.status is CandidateStatus.DRAFT:
            yield release.doc.diagnostic(
                path,
                "RLC604",
                f"candidate '{name}' is a draft ({candidate.doc.path}) but this release is used by "
                f"prod instance(s) {', '.join(prod)}",
                f"publish it (status: published in {candidate.doc.path}) or remove it from this release",
            )


def _operator(ctx: Context, release: Entry[GlobalProductionRelease]) -> Iterator[Diagnostic]:
    operator = release.obj.spec.operator
    if operator is None:
        return
    release_name = release.obj.metadata.name
    for name, inst in sorted(ctx.fleet.instances.items()):
        if inst.obj.spec.global_release != release_name or not ctx.fleet.tenants_of(name):
            continue
        tenant = ctx.fleet.tenants.get((name, operator))
        if tenant is None and not ctx.fleet.exists("Tenant", operator, ()):
            yield release.doc.diagnostic(
                ("spec", "operator"),
                "RLC301",
                f"operator '{operator}' is not a tenant of instance '{name}' ({inst.doc.path}), "
                "which uses this release",
                f"add tenants/{name}/{operator}.yaml with role: Operator, or name the Operator tenant that exists",
            )
        elif tenant is not None and tenant.obj.spec.role is not TenantRole.OPERATOR:
            yield release.doc.diagnostic(
                ("spec", "operator"),
                "RLC302",
                f"operator '{operator}' is an Agent in instance '{name}' ({tenant.doc.path}), not an Operator",
                "name the Operator tenant, or give that tenant role: Operator",
            )
