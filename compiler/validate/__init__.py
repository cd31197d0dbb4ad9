"""Stage 3: rules over the whole typed fleet. One rule per module; each yields diagnostics and never raises."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from compiler.diagnostics import Diagnostic
from compiler.validate.context import Context

Rule = Callable[[Context], Iterable[Diagnostic]]


def rules() -> list[Rule]:
    """The rules in the order they run (imported here, not at module load, to keep imports cheap)."""
    from compiler.validate import (
        apps,
        argonames,
        backups,
        components,
        dependencies,
        identifiers,
        lifecycle,
        migrations,
        references,
        routes,
        secrets,
        serving,
        vault,
    )

    return [
        references.check,
        components.check,
        dependencies.check,
        migrations.check,
        apps.check,
        identifiers.check,
        routes.check,
        argonames.check,
        lifecycle.check,
        backups.check,
        secrets.check,
        serving.check,
        vault.check,
    ]


def run_rules(ctx: Context, done: Callable[[], None] | None = None) -> list[Diagnostic]:
    """Every rule's diagnostics, in rule order; ``done`` is called after each rule (a progress count)."""
    found: list[Diagnostic] = []
    for rule in rules():
        found.extend(rule(ctx))
        if done is not None:
            done()
    return found
