"""RLC606: a tenant that must be backed up before migrating has somewhere to put the backup.

Tenants default to ``backupBeforeMigration: true`` and a destructive pinned version forces a backup, but the
destination is the Instance's ``migration.backupDestination``. Without it every such migration Job would be
rendered, synced and then refused by relc-migrate at run time (exit 2); the pull request is the place to learn
that. One diagnostic per Instance, where the fix goes, naming the tenants that need it.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.diagnostics import Diagnostic
from compiler.model.fleet import Entry, Fleet
from compiler.model.kinds import Instance, Tenant
from compiler.validate.context import Context

_SHOWN = 5


def check(ctx: Context) -> Iterator[Diagnostic]:
    needing: dict[str, list[str]] = {}
    for (instance, name), entry in sorted(ctx.fleet.tenants.items()):
        inst = ctx.fleet.instances.get(instance)
        if inst is not None and inst.obj.spec.migration.backup_destination is None and _needs(ctx.fleet, entry):
            needing.setdefault(instance, []).append(name)
    for instance, tenants in needing.items():
        yield _missing(ctx.fleet.instances[instance], tenants)


def _needs(fleet: Fleet, entry: Entry[Tenant]) -> bool:
    """Whether any of the tenant's schemas would be migrated with a backup (its policy, or a destructive pin)."""
    spec = entry.obj.spec
    candidate = fleet.candidates.get(spec.release_candidate)
    blueprint = fleet.blueprints.get(candidate.obj.spec.blueprint) if candidate else None
    if candidate is None or blueprint is None:
        return False  # RLC301 already
    pins = candidate.obj.spec.components
    owners = [c.name for c in blueprint.obj.spec.components if c.owns_schema and c.name in pins]
    if not owners:
        return False  # nothing migrates, nothing to back up
    if spec.policies.backup_before_migration:
        return True
    for name in owners:
        version = fleet.component_versions.get((name, pins[name]))
        if version is not None and version.obj.spec.migrations.destructive:
            return True
    return False


def _missing(entry: Entry[Instance], tenants: list[str]) -> Diagnostic:
    shown = ", ".join(tenants[:_SHOWN]) + (f" and {len(tenants) - _SHOWN} more" if len(tenants) > _SHOWN else "")
    return entry.doc.diagnostic(
        ("spec", "migration") if "migration" in entry.doc.data.get("spec", {}) else ("spec",),
        "RLC606",
        f"instance '{entry.obj.metadata.name}' names no migration.backupDestination, but {len(tenants)} tenant(s) "
        f"must be backed up before migrating: {shown}",
        "add spec.migration.backupDestination (a directory, file:// or s3:// URL), or set the tenants' "
        "policies.backupBeforeMigration: false where no destructive version is pinned",
        key=True,
    )
