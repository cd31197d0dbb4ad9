"""RLC406: a ComponentVersion's ``requires`` is at least as strict as the ``dependencies.yml`` its migrations ship.

relc resolves candidates from ``requires``; relc-migrate blocks a tenant's migration (exit 3) when the folder's
``dependencies.yml`` is not met. A requirement the file has and ``requires`` lacks, or a ``minVersion`` in the file
above the lower bound of ``requires``, lets relc accept a candidate that relc-migrate then blocks in the cluster.
Where the repository keeps the folder (``migrations/<component>/``, see :mod:`compiler.load.migrations`), every
ComponentVersion of that component is checked against it. ``requires`` may be stricter than the file: relc then
refuses more than relc-migrate would, never less.
"""

from __future__ import annotations

from collections.abc import Iterator

import semver

from compiler.diagnostics import Diagnostic
from compiler.load.migrations import Shipped
from compiler.model.fleet import Entry
from compiler.model.kinds import ComponentVersion, Requirement
from compiler.resolve.constraints import InvalidRange, constraint_of
from compiler.validate.context import Context

_LOWER = (">=", ">", "==")


def check(ctx: Context) -> Iterator[Diagnostic]:
    for (component, _), entry in sorted(ctx.fleet.component_versions.items()):
        shipped = ctx.shipped.get(component)
        if shipped is not None:
            yield from _compare(entry, shipped)


def _compare(entry: Entry[ComponentVersion], shipped: Shipped) -> Iterator[Diagnostic]:
    spec = entry.obj.spec
    for need in shipped.requires:
        declared = [(i, r) for i, r in enumerate(spec.requires) if r.service == need.service]
        wanted = f"{need.service} >={need.min_version}"
        if not declared:
            yield entry.doc.diagnostic(
                ("spec", "requires") if spec.requires else ("spec",),
                "RLC406",
                f"{shipped.path} requires {wanted}, which {spec.component} {spec.version} does not declare in "
                "requires: relc would accept candidates relc-migrate blocks",
                f"add {{service: {need.service}, minVersion: v{need.min_version}}} to spec.requires "
                f"(it mirrors {shipped.path})",
                key=True,
            )
            continue
        lower, index = _lower_bound(declared)
        if lower is None or lower.compare(need.min_version) < 0:
            i = index if index is not None else declared[0][0]
            req = spec.requires[i]
            stated = f"minVersion {req.min_version}" if req.min_version else f"range '{req.range}'"
            yield entry.doc.diagnostic(
                ("spec", "requires", i),
                "RLC406",
                f"{shipped.path} requires {wanted}, stricter than {spec.component} {spec.version}'s "
                f"{stated}: relc would accept {need.service} versions relc-migrate blocks",
                f"require {need.service} minVersion: v{need.min_version} (or a range starting there), "
                f"as {shipped.path} does",
            )


def _lower_bound(declared: list[tuple[int, Requirement]]) -> tuple[semver.Version | None, int | None]:
    """The highest lower bound the declared requirements state for one service, and the entry stating it."""
    best: tuple[semver.Version | None, int | None] = (None, None)
    for i, requirement in declared:
        try:
            constraint = constraint_of(requirement)
        except InvalidRange:
            continue  # RLC204 already
        for comparison in constraint.comparisons:
            if comparison.operator in _LOWER and (best[0] is None or comparison.version > best[0]):
                best = (comparison.version, i)
    return best
