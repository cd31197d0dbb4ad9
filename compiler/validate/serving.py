"""RLC609 to RLC611: who serves a tenant on day 2 — a dry run's serving candidate, and a removed tenant.

Why: a dry-run tenant moved to a new candidate runs dry-run migrations, so its schemas stay those of the candidate
it left; routing it to the new candidate would put new code on the old schema. It names the candidate that keeps
serving it (``spec.servingCandidate``), and its routes stay there (compiler.render.routing). A removed tenant
(``spec.removed``, the tombstone ``relc tenant remove`` writes) is routed nowhere and runs only its deletion
policy, so nothing live may still lean on it.

- RLC609: ``servingCandidate`` only on a ``dryRun`` tenant, and only naming another candidate than its pin;
- RLC610: the serving candidate must exist and be offered by the Instance's global release (it is deployed);
- RLC611: a removed Operator with live Agents, or named by the global release of an Instance with live tenants
  (they would keep an Operator that no longer exists).
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.diagnostics import Diagnostic
from compiler.model.fleet import Entry
from compiler.model.kinds import GlobalProductionRelease, Tenant
from compiler.validate.context import Context

SERVING = ("spec", "servingCandidate")


def check(ctx: Context) -> Iterator[Diagnostic]:
    for _, entry in sorted(ctx.fleet.tenants.items()):
        yield from _serving(ctx, entry)
        yield from _removed_operator(ctx, entry)
    for _, release in sorted(ctx.fleet.global_releases.items()):
        yield from _release_operator(ctx, release)


def _serving(ctx: Context, entry: Entry[Tenant]) -> Iterator[Diagnostic]:
    spec = entry.obj.spec
    serving = spec.serving_candidate
    if serving is None:
        return
    name = entry.obj.metadata.name
    if not spec.policies.dry_run:
        yield entry.doc.diagnostic(
            SERVING,
            "RLC609",
            f"tenant '{name}' names servingCandidate '{serving}' but is not a dry run (policies.dryRun is false)",
            f"a tenant whose migrations run for real is served by its pin: drop servingCandidate, or set "
            f"policies.dryRun: true to rehearse '{spec.release_candidate}' while '{serving}' keeps serving it",
            key=True,
        )
        return
    if serving == spec.release_candidate:
        yield entry.doc.diagnostic(
            SERVING,
            "RLC609",
            f"tenant '{name}' names servingCandidate '{serving}', which is already its releaseCandidate",
            "drop servingCandidate: it only names the candidate a dry-run tenant stays on while it rehearses another",
            key=True,
        )
        return
    instance = ctx.fleet.instances.get(spec.instance)
    release = ctx.fleet.global_releases.get(instance.obj.spec.global_release) if instance else None
    if release is None:
        return  # RLC301 already
    offered = release.obj.spec.candidates
    if serving not in ctx.fleet.candidates or serving not in offered:
        yield entry.doc.diagnostic(
            SERVING,
            "RLC610",
            f"servingCandidate '{serving}' of tenant '{name}' is not a candidate global release "
            f"'{release.obj.metadata.name}' of instance '{spec.instance}' offers",
            f"name the candidate the tenant runs on now (its releaseCandidate before the dry run), one of: "
            f"{', '.join(offered)}",
        )


def _removed_operator(ctx: Context, entry: Entry[Tenant]) -> Iterator[Diagnostic]:
    spec = entry.obj.spec
    if spec.removed or spec.operator is None:
        return
    operator = ctx.fleet.tenants.get((spec.instance, spec.operator))
    if operator is None or not operator.obj.spec.removed:
        return
    yield entry.doc.diagnostic(
        ("spec", "operator"),
        "RLC611",
        f"Agent '{entry.obj.metadata.name}' names Operator '{spec.operator}', which is removed "
        f"({operator.doc.path} is its tombstone)",
        "remove the Agent too (relc tenant remove), or give it another Operator, in the same change",
    )


def _release_operator(ctx: Context, release: Entry[GlobalProductionRelease]) -> Iterator[Diagnostic]:
    operator = release.obj.spec.operator
    if operator is None:
        return
    for name, instance in sorted(ctx.fleet.instances.items()):
        if instance.obj.spec.global_release != release.obj.metadata.name:
            continue
        tenant = ctx.fleet.tenants.get((name, operator))
        live = [e for e in ctx.fleet.tenants_of(name) if not e.obj.spec.removed]
        if tenant is None or not tenant.obj.spec.removed or not live:
            continue
        yield release.doc.diagnostic(
            ("spec", "operator"),
            "RLC611",
            f"operator '{operator}' of this release is removed from instance '{name}' ({tenant.doc.path} is its "
            "tombstone), which still has tenants",
            "name another Operator tenant of the Instance, or remove its tenants too",
        )
