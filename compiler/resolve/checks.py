"""RLC401/RLC402: an unsatisfied link, reported where a pull request would change it, naming both ends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from compiler.diagnostics import Diagnostic
from compiler.resolve.bundles import Bundle
from compiler.resolve.constraints import parse_range, parse_version
from compiler.resolve.links import Resolved


def disagreement(item: Resolved, bundles: Mapping[str, Bundle], versions: Mapping[str, Sequence[str]]) -> Diagnostic:
    link = item.link
    source, target = bundles[link.source_bundle], bundles[link.target_bundle]
    wants = (
        f"requires {link.target} {link.constraint}, but {target.describe()} pins {link.target} {link.target_version}"
    )
    if link.inside:
        code, message = "RLC401", f"{link.source} {link.source_version} {wants}"
    else:
        code, message = "RLC402", f"{link.source} {link.source_version} in {source.describe()} {wants}"
    matching = _matching(link.constraint, versions.get(link.target, ()))
    known = f" (described: {', '.join(matching)})" if matching else " (no described version matches yet)"
    hint = (
        f"pin {link.target} at a version matching {link.constraint}{known} in {target.describe()}, "
        f"or pin another {link.source} version that accepts {link.target} {link.target_version}"
    )
    return item.doc.diagnostic(item.path, code, message, hint)


def _matching(constraint: str, versions: Sequence[str]) -> list[str]:
    parsed = parse_range(constraint)
    return sorted((v for v in versions if parsed.allows(v)), key=parse_version)
