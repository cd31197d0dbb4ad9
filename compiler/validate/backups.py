"""RLC606-608: a tenant that must be backed up before migrating has somewhere to put the backup that works.

Tenants default to ``backupBeforeMigration: true`` and a destructive pinned version forces a backup, but the
destination is the Instance's ``migration.backupDestination``. Without it every such migration Job would be
rendered, synced and then refused by relc-migrate at run time (exit 2); the pull request is the place to learn
that. One diagnostic per Instance, where the fix goes, naming the tenants that need it (RLC606).

The same holds for a destination relc-migrate has no client for, or a relative path (the Job's working
directory is not a volume): RLC607, against ``relc_contract.OBJECT_STORE_SCHEMES``, what the image can write.
And a ``backupIdentity`` of the other cloud (an IAM role for a gs:// bucket) would render an annotation no
webhook honours, so the first backup fails on credentials: RLC608.
"""

from __future__ import annotations

from collections.abc import Iterator

import relc_contract as contract
from compiler.diagnostics import Diagnostic
from compiler.model.fleet import Entry, Fleet
from compiler.model.kinds import Instance, Tenant
from compiler.validate.context import Context

_SHOWN = 5


_IDENTITY_SCHEME = {"awsRoleArn": "s3", "gcpServiceAccount": "gs"}


def check(ctx: Context) -> Iterator[Diagnostic]:
    for _, declared in sorted(ctx.fleet.instances.items()):
        yield from _destination(declared)
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


def scheme(destination: str) -> str | None:
    """The store a destination names (``s3``, ``gs``, ``file``), or None when relc-migrate cannot write it."""
    if destination.startswith("/"):
        return "file"
    store, sep, rest = destination.partition("://")
    if sep and store == "file":
        return "file" if rest.startswith("/") and rest.strip("/") else None
    bucket = rest.partition("/")[0]
    return store if sep and store in contract.OBJECT_STORE_SCHEMES and bucket else None


def _destination(entry: Entry[Instance]) -> Iterator[Diagnostic]:
    migration = entry.obj.spec.migration
    dest = migration.backup_destination
    path = ("spec", "migration", "backupDestination")
    store = None if dest is None else scheme(dest)
    if dest is not None and store is None:
        yield entry.doc.diagnostic(
            path,
            "RLC607",
            f"instance '{entry.obj.metadata.name}': relc-migrate cannot write the backup destination {dest!r}",
            "use s3://<bucket>/<prefix>, gs://<bucket>/<prefix>, or a directory the Job mounts: file:///<dir> "
            "or an absolute path",
        )
    identity = migration.backup_identity
    if identity is None or (dest is not None and store is None):
        return
    field = "awsRoleArn" if identity.aws_role_arn is not None else "gcpServiceAccount"
    if store != _IDENTITY_SCHEME[field]:
        wanted = _IDENTITY_SCHEME[field]
        yield entry.doc.diagnostic(
            ("spec", "migration", "backupIdentity", field),
            "RLC608",
            f"instance '{entry.obj.metadata.name}': backupIdentity.{field} is an identity for {wanted}:// "
            f"destinations, but the backups go to {dest or 'nowhere (no backupDestination)'}",
            "name the identity of the destination's store (awsRoleArn for s3://, gcpServiceAccount for gs://), "
            "or drop backupIdentity for a directory destination",
            key=True,
        )
