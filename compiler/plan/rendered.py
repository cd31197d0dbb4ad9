"""Both fleets rendered in memory and compared: which rendered files change, which Argo CD Applications are
created or deleted, which routing files change. Rendering is pure (``render_all``), so nothing is written.

Why not render everything twice: at 10,000 tenants one render costs about as much as ``relc validate``. Two
facts keep the comparison exact while rendering little:

- an Instance's files depend only on the Instance, its tenants and the objects every Instance shares
  (blueprints, versions, candidates, global releases, relc.yaml). When only tenant and Instance files changed,
  only the Instances they belong to (on either side) are rendered, on both sides alike; a fleet-wide file such
  as the registry is the union of each Instance's part, so it changes exactly when an affected Instance's part
  does. When a shared object changed, every Instance is rendered.
- a tenant's own folder (its deferred documents, the bulk of the output) depends only on the tenant, its
  Instance and the shared objects: it is rendered and compared only for a tenant whose file or Instance changed
  (or for every tenant, when a shared object changed).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from compiler.model.fleet import Fleet
from compiler.render.context import MigrationOrders, RenderContext
from compiler.render.conventions import instance_dir, routing_dir, tenant_dir
from compiler.render.output import RenderedFile, manifest
from compiler.render.pipeline import render_all

FLEET_WIDE = ""
"""The bucket of files outside instances/<name>/ (the registry, CRDs, the root Applications)."""


@dataclass(slots=True)
class Changes:
    files: int = 0
    created: list[str] = field(default_factory=list)
    """Argo CD Applications rendered only in the working tree"""
    deleted: list[str] = field(default_factory=list)
    routing: list[str] = field(default_factory=list)
    """changed, added or removed files of the Instance's routing folder (rendered/-relative)"""


def affected(base: Fleet, head: Fleet, changed: frozenset[str]) -> set[str] | None:
    """The Instances whose files may differ, or None for all of them (a shared object changed)."""
    owned = {e.doc.path: i for fleet in (base, head) for (i, _), e in fleet.tenants.items()}
    owned.update((e.doc.path, n) for fleet in (base, head) for n, e in fleet.instances.items())
    if any(path not in owned for path in changed):
        return None
    return {owned[path] for path in changed}


def _touched(base: Fleet, head: Fleet, changed: frozenset[str], instances: set[str] | None) -> set[str] | None:
    """rendered/ folders of the tenants whose own documents may differ (None: every tenant's)."""
    if instances is None:
        return None
    moved_instances = {n for fleet in (base, head) for n, e in fleet.instances.items() if e.doc.path in changed}
    return {
        tenant_dir(i, t) + "/"
        for fleet in (base, head)
        for (i, t), e in fleet.tenants.items()
        if e.doc.path in changed or i in moved_instances
    }


def _only(fleet: Fleet, instances: set[str] | None) -> Fleet:
    if instances is None:
        return fleet
    return replace(
        fleet,
        instances={n: e for n, e in fleet.instances.items() if n in instances},
        tenants={k: e for k, e in fleet.tenants.items() if k[0] in instances},
    )


def compare(
    base: Fleet, base_orders: MigrationOrders, head: Fleet, head_orders: MigrationOrders, changed: frozenset[str]
) -> dict[str, Changes]:
    """Instance name (or :data:`FLEET_WIDE`) → what changes in its rendered files."""
    instances = affected(base, head, changed)
    touched = _touched(base, head, changed, instances)
    old = {f.path: f for f in render_all(RenderContext(_only(base, instances), base_orders, base.settings))}
    new = {f.path: f for f in render_all(RenderContext(_only(head, instances), head_orders, head.settings))}
    out: dict[str, Changes] = {}
    for path in sorted(old.keys() | new.keys()):
        before, after = old.get(path), new.get(path)
        if before is not None and after is not None and _same(before, after, touched):
            continue
        bucket = _bucket(path)
        changes = out.setdefault(bucket, Changes())
        changes.files += 1
        names = _applications(before), _applications(after)
        changes.created += sorted(names[1] - names[0])
        changes.deleted += sorted(names[0] - names[1])
        if bucket and path.startswith(routing_dir(bucket) + "/"):
            changes.routing.append(path)
    return out


def _bucket(path: str) -> str:
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and path.startswith(instance_dir(parts[1]) + "/") else FLEET_WIDE


def _same(before: RenderedFile, after: RenderedFile, touched: set[str] | None) -> bool:
    deferred = before.deferred is not None and after.deferred is not None
    if deferred and touched is not None and _tenant_folder(before.path) not in touched:
        return True
    if before.raw is not None or after.raw is not None:
        return before.raw == after.raw
    return [manifest(d) for d in before.render()] == [manifest(d) for d in after.render()]


def _tenant_folder(path: str) -> str:
    """instances/<i>/tenants/<t>/ of a tenant's file."""
    return "/".join(path.split("/")[:4]) + "/"


def _applications(file: RenderedFile | None) -> set[str]:
    if file is None or file.deferred is not None or file.raw is not None:
        return set()
    found = set()
    for document in file.documents:
        data = manifest(document)
        if data.get("kind") == "Application" and str(data.get("apiVersion", "")).startswith("argoproj.io/"):
            found.add(str(data.get("metadata", {}).get("name", "")))
    return found
