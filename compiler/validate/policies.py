"""RLC901 to RLC905: the rules a change must keep against the base branch (``relc plan``, ``relc validate --base``);
RLC906 to RLC908, the day-2 ones, are in :mod:`compiler.validate.removals`.

Why a module of its own, outside :func:`compiler.validate.rules`: these rules judge a *change*, so they need two
fleets, the base commit's and the working tree's. Every diagnostic points into the working tree (the file the
pull request changes), with a hint saying what to do instead.

- RLC901: a published candidate is immutable: its pins and values cannot change (make a new candidate);
- RLC902: a ComponentVersion pinned by a published candidate is immutable;
- RLC903: moving a tenant to a candidate pinning a lower version of a schema-owning service is refused unless
  the tenant says so: ``metadata.annotations["relc.dev/allow-downgrade"]`` names the candidate it moves to
  (naming it, not a boolean, so a forgotten annotation never allows the next move);
- RLC904: shared persistence: every version of a service offered in one Instance uses the same database, so a
  version with a destructive migration cannot be offered while a tenant of the Instance still pins an older one;
- RLC905: a retired candidate refuses new pins; retiring one that tenants still pin names them.
"""

from __future__ import annotations

from collections.abc import Iterator

import semver

from compiler.diagnostics import Diagnostic
from compiler.model.fleet import Entry, Fleet
from compiler.model.kinds import CandidateStatus, GlobalProductionRelease, ReleaseCandidate, Tenant
from compiler.validate import removals

ALLOW_DOWNGRADE = "relc.dev/allow-downgrade"
"""The tenant annotation that accepts a downgrade; its value is the candidate the tenant moves to."""


def check(base: Fleet, head: Fleet) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    found += _published_candidates(base, head)
    found += _published_versions(base, head)
    found += _downgrades(base, head)
    found += _shared_persistence(base, head)
    found += _retired(base, head)
    found += removals.check(base, head)  # RLC906-RLC908: the day-2 order of a sync
    return found


def version_key(version: str) -> semver.Version:
    return semver.Version.parse(version)


def schema_owners(fleet: Fleet, candidate: ReleaseCandidate) -> set[str]:
    """The components of the candidate's blueprint that own a PostgreSQL schema."""
    blueprint = fleet.blueprints.get(candidate.spec.blueprint)
    return {c.name for c in blueprint.obj.spec.components if c.owns_schema} if blueprint else set()


def downgraded(fleet: Fleet, old: ReleaseCandidate, new: ReleaseCandidate) -> list[tuple[str, str, str]]:
    """(service, from, to) for each schema-owning service ``new`` pins at a lower version than ``old``."""
    owners = schema_owners(fleet, new)
    pins = new.spec.components
    return [
        (service, before, pins[service])
        for service, before in sorted(old.spec.components.items())
        if service in owners and service in pins and version_key(pins[service]) < version_key(before)
    ]


def _published_candidates(base: Fleet, head: Fleet) -> Iterator[Diagnostic]:
    for name, was in sorted(base.candidates.items()):
        now = head.candidates.get(name)
        if now is None or was.obj.spec.status is not CandidateStatus.PUBLISHED:
            continue
        before, after = was.obj.spec, now.obj.spec
        for field, old, new in (
            ("components", before.components, after.components),
            ("values", before.values, after.values),
        ):
            if old == new:
                continue
            keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            at: tuple[str, ...] = ("spec", field, keys[0]) if keys[0] in new else ("spec", field)
            yield now.doc.diagnostic(
                at,
                "RLC901",
                f"candidate '{name}' is published, but this change edits its {field} ({', '.join(keys)})",
                "a published candidate is immutable: revert the edit and make a new candidate "
                f"(a copy of {now.doc.path} under a new name) for the tenants to move to",
                key=True,
            )


def _published_versions(base: Fleet, head: Fleet) -> Iterator[Diagnostic]:
    pinned_by: dict[tuple[str, str], str] = {}
    for name, entry in sorted(base.candidates.items()):
        if entry.obj.spec.status is CandidateStatus.PUBLISHED:
            for component, version in entry.obj.spec.components.items():
                pinned_by.setdefault((component, version), name)
    for key, was in sorted(base.component_versions.items()):
        now = head.component_versions.get(key)
        if key not in pinned_by or now is None or now.obj.spec == was.obj.spec:
            continue
        component, version = key
        yield now.doc.diagnostic(
            ("spec",),
            "RLC902",
            f"ComponentVersion {component} {version} is pinned by published candidate '{pinned_by[key]}', "
            "but this change edits it",
            f"a released version is immutable: revert the edit and release {component} under a new version",
            key=True,
        )


def _downgrades(base: Fleet, head: Fleet) -> Iterator[Diagnostic]:
    for key, entry in sorted(head.tenants.items()):
        was = base.tenants.get(key)
        move = _move(base, head, was, entry)
        if move is None:
            continue
        old, new = move
        lower = downgraded(head, old, new)
        target = new.metadata.name
        if not lower or entry.obj.metadata.annotations.get(ALLOW_DOWNGRADE) == target:
            continue
        what = ", ".join(f"{s} {a} → {b}" for s, a, b in lower)
        yield entry.doc.diagnostic(
            ("spec", "releaseCandidate"),
            "RLC903",
            f"moving tenant '{key[1]}' from '{old.metadata.name}' to '{target}' downgrades {what}",
            f"if the rollback is intended, add the annotation '{ALLOW_DOWNGRADE}: {target}' to metadata.annotations "
            "(relc-migrate then runs the stored ROLLBACK sections, listed by relc plan); else pin a newer candidate",
        )


def _move(
    base: Fleet, head: Fleet, was: Entry[Tenant] | None, now: Entry[Tenant]
) -> tuple[ReleaseCandidate, ReleaseCandidate] | None:
    if was is None or was.obj.spec.release_candidate == now.obj.spec.release_candidate:
        return None
    old = base.candidates.get(was.obj.spec.release_candidate)
    new = head.candidates.get(now.obj.spec.release_candidate)
    return (old.obj, new.obj) if old is not None and new is not None else None


def _shared_persistence(base: Fleet, head: Fleet) -> Iterator[Diagnostic]:
    """Judged on the working tree's fleet alone, reported only where the change makes it worse: a violation the
    base already had is another pull request's to fix, and must not block this one."""
    before = {(i, s, v) for i, s, v, _ in _offered_destructive(base)}
    for instance, service, version, (release, path, candidate) in _offered_destructive(head):
        if (instance, service, version) in before:
            continue
        older = sorted(
            f"{tenant.obj.metadata.name} ({pin})"
            for tenant in head.tenants_of(instance)
            if not tenant.obj.spec.removed
            and (pinned := head.candidates.get(tenant.obj.spec.release_candidate)) is not None
            and (pin := pinned.obj.spec.components.get(service)) is not None
            and version_key(pin) < version_key(version)
        )
        if older:
            yield release.doc.diagnostic(
                path,
                "RLC904",
                f"candidate '{candidate}' offers {service} {version}, which ships a destructive migration, in "
                f"instance '{instance}' while tenants there still pin an older {service}: {', '.join(older)}",
                f"every version of {service} in an Instance shares one database: move those tenants to a candidate "
                f"with {service} {version} or newer first, then offer it",
            )


Offer = tuple[str, str, str, tuple[Entry[GlobalProductionRelease], tuple[str | int, ...], str]]
"""(instance, service, version, (the global release, the field offering it, the candidate))"""


def _offered_destructive(fleet: Fleet) -> Iterator[Offer]:
    for instance_name, instance in sorted(fleet.instances.items()):
        release = fleet.global_releases.get(instance.obj.spec.global_release)
        if release is None:
            continue
        for i, name in enumerate(release.obj.spec.candidates):
            candidate = fleet.candidates.get(name)
            if candidate is None:
                continue
            for service, version in sorted(candidate.obj.spec.components.items()):
                cv = fleet.component_versions.get((service, version))
                if cv is not None and cv.obj.spec.migrations.destructive:
                    where: tuple[str | int, ...] = ("spec", "candidates", i)
                    yield instance_name, service, version, (release, where, name)


def _retired(base: Fleet, head: Fleet) -> Iterator[Diagnostic]:
    retired = {n for n, e in head.candidates.items() if e.obj.spec.status is CandidateStatus.RETIRED}
    for key, entry in sorted(head.tenants.items()):
        pin = entry.obj.spec.release_candidate
        was = base.tenants.get(key)
        if pin in retired and (was is None or was.obj.spec.release_candidate != pin):
            yield entry.doc.diagnostic(
                ("spec", "releaseCandidate"),
                "RLC905",
                f"candidate '{pin}' is retired: it takes no new pins (tenant '{key[1]}' "
                + ("is new" if was is None else f"moves here from '{was.obj.spec.release_candidate}'")
                + ")",
                "pin a published candidate the Instance's global release offers",
            )
    for name in sorted(retired):
        was_entry = base.candidates.get(name)
        if was_entry is None or was_entry.obj.spec.status is CandidateStatus.RETIRED:
            continue
        still = sorted(
            f"{i}/{t}"
            for (i, t), e in head.tenants.items()
            if e.obj.spec.release_candidate == name and not e.obj.spec.removed
        )
        if still:
            yield head.candidates[name].doc.diagnostic(
                ("spec", "status"),
                "RLC905",
                f"candidate '{name}' is retired by this change while tenants still pin it: {', '.join(still)}",
                "move those tenants to another candidate first (relc pin), then retire it",
            )
    for name, was_entry in sorted(base.candidates.items()):
        if name in head.candidates:
            continue
        for (instance, tenant), entry in sorted(head.tenants.items()):
            if entry.obj.spec.release_candidate == name:
                yield entry.doc.diagnostic(
                    ("spec", "releaseCandidate"),
                    "RLC905",
                    f"this change removes candidate '{name}' ({was_entry.doc.path}) while tenant '{tenant}' of "
                    f"instance '{instance}' still pins it",
                    "move the tenant to another candidate (relc pin) in the same change, or keep the candidate",
                )
