"""RLC303/RLC304/RLC305, RLC301, RLC107: candidates pin exactly their blueprint's components, to described versions.

A candidate is "one pinned version per component of a blueprint": a pin for a component the blueprint lacks would
deploy nothing (or something unreviewed), an unpinned component would be missing from the release, and a pin with
no ComponentVersion file has no declared dependencies or schema facts for the resolver and the migrations to use.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from compiler.diagnostics import Diagnostic
from compiler.model.fleet import Entry
from compiler.model.kinds import ReleaseBlueprint, ReleaseCandidate
from compiler.validate.context import Context


def check(ctx: Context) -> Iterator[Diagnostic]:
    for blueprint in ctx.fleet.blueprints.values():
        yield from _duplicate_components(blueprint)
    for candidate in ctx.fleet.candidates.values():
        found = ctx.fleet.blueprints.get(candidate.obj.spec.blueprint)
        if found is not None:
            yield from _pins(ctx, candidate, found)
    yield from _orphan_versions(ctx)


def _duplicate_components(entry: Entry[ReleaseBlueprint]) -> Iterator[Diagnostic]:
    seen: dict[str, int] = {}
    for i, component in enumerate(entry.obj.spec.components):
        if component.name in seen:
            yield entry.doc.diagnostic(
                ("spec", "components", i, "name"),
                "RLC107",
                f"component '{component.name}' is defined twice in blueprint '{entry.obj.metadata.name}' "
                f"(also at spec.components[{seen[component.name]}])",
                "merge the two entries into one: a blueprint defines each component once",
            )
        else:
            seen[component.name] = i


def _pins(ctx: Context, entry: Entry[ReleaseCandidate], blueprint: Entry[ReleaseBlueprint]) -> Iterator[Diagnostic]:
    spec, doc = entry.obj.spec, entry.doc
    defined = {c.name for c in blueprint.obj.spec.components}
    bp_name = blueprint.obj.metadata.name
    for component, version in spec.components.items():
        if component not in defined:
            yield _not_in_blueprint(entry, ("spec", "components", component), component, bp_name, defined)
        elif (component, version) not in ctx.fleet.component_versions and not ctx.fleet.exists(
            "ComponentVersion", f"{component}/{version}", ()
        ):
            known = sorted(ctx.fleet.versions_of(component))
            have = f"; described versions: {', '.join(known)}" if known else ""
            yield doc.diagnostic(
                ("spec", "components", component),
                "RLC305",
                f"no ComponentVersion describes {component} {version}{have}",
                f"add blueprints/components/{component}/{version}.yaml (kind: ComponentVersion) "
                "or pin a described version",
            )
    for component in spec.values:
        if component not in defined:
            yield _not_in_blueprint(entry, ("spec", "values", component), component, bp_name, defined)
    for component in sorted(defined - set(spec.components)):
        yield doc.diagnostic(
            ("spec", "components"),
            "RLC304",
            f"component '{component}' of blueprint '{bp_name}' has no pinned version",
            f"add '{component}: <version>' under spec.components",
            key=True,
        )


def _not_in_blueprint(
    entry: Entry[ReleaseCandidate], path: tuple[str, str, str], component: str, blueprint: str, defined: set[str]
) -> Diagnostic:
    what = "pins" if path[1] == "components" else "sets values for"
    close = difflib.get_close_matches(component, sorted(defined), n=1)
    fix = f"did you mean '{close[0]}'? If not, remove it" if close else "remove it"
    return entry.doc.diagnostic(
        path,
        "RLC303",
        f"candidate {what} component '{component}', which blueprint '{blueprint}' does not define",
        f"{fix}, or add '{component}' to blueprint '{blueprint}'",
        key=True,
    )


def _orphan_versions(ctx: Context) -> Iterator[Diagnostic]:
    defined = {c.name for bp in ctx.fleet.blueprints.values() for c in bp.obj.spec.components}
    for (component, _), entry in sorted(ctx.fleet.component_versions.items()):
        if component not in defined and not _in_invalid_blueprint(ctx):
            close = difflib.get_close_matches(component, sorted(defined), n=1)
            yield entry.doc.diagnostic(
                ("spec", "component"),
                "RLC301",
                f"component '{component}' is not defined by any blueprint",
                f"did you mean '{close[0]}'?"
                if close
                else f"add '{component}' to a blueprint's spec.components, or delete this file",
            )


def _in_invalid_blueprint(ctx: Context) -> bool:
    """An invalid blueprint's components cannot be read: every version would look orphaned."""
    return any(kind == "ReleaseBlueprint" for kind, _ in ctx.fleet.invalid)
