"""The resolution as a picture: Mermaid (GitHub renders it in a pull request) and Graphviz DOT.

One subgraph per candidate and shared bundle, a node per pinned component (``auth 1.4.0``, plus ``migration N``
for schema owners, in migration order), an edge requirer → required labelled with the constraint. Output is
sorted, so the same fleet always prints the same text and a diff shows exactly what changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from compiler.diagnostics import CycleError
from compiler.resolve.links import Link
from compiler.resolve.resolution import Resolution


class GraphFormat(StrEnum):
    MERMAID = "mermaid"
    DOT = "dot"


def shown(res: Resolution, candidate: str | None) -> tuple[str, ...]:
    """The bundles to draw: all, or one candidate and the shared bundles serving it."""
    if candidate is None:
        return tuple(sorted(res.bundles))
    return (candidate, *res.served_by.get(candidate, ()))


def export(res: Resolution, fmt: GraphFormat, candidate: str | None = None) -> str:
    names = shown(res, candidate)
    links = [lk for lk in res.links if lk.source_bundle in names and lk.target_bundle in names]
    return mermaid(res, names, links) if fmt is GraphFormat.MERMAID else dot(res, names, links)


def _label(res: Resolution, bundle: str, component: str, newline: str) -> str:
    version = res.bundles[bundle].pins[component]
    order = _order(res, bundle)
    step = f"{newline}migration {order.index(component) + 1}" if component in order else ""
    return f"{component} {version}{step}"


def _order(res: Resolution, bundle: str) -> tuple[str, ...]:
    try:
        return res.migration_order(bundle)
    except CycleError:  # only an invalid fleet has one; it is drawn without numbers
        return ()


def _comments(res: Resolution, names: Sequence[str]) -> list[str]:
    return [f"migration order {n}: {', '.join(_order(res, n)) or '(none)'}" for n in names]


# --- Mermaid ------------------------------------------------------------------------------------------------


def mermaid(res: Resolution, names: Sequence[str], links: Sequence[Link]) -> str:
    ids = _mermaid_ids(res, names)

    def node(bundle: str, component: str) -> str:
        return ids[bundle, component]

    lines = ["graph TD"]
    lines += [f"  %% {c}" for c in _comments(res, names)]
    for name in names:
        bundle = res.bundles[name]
        lines.append(f'  subgraph {ids[name, ""]}["{bundle.describe()}"]')
        for component in sorted(bundle.pins):
            lines.append(f'    {node(name, component)}["{_label(res, name, component, "<br/>")}"]')
        lines.append("  end")
    for lk in links:
        arrow = "-->" if lk.satisfied else "-.->"
        lines.append(
            f'  {node(lk.source_bundle, lk.source)} {arrow}|"{lk.constraint}"| {node(lk.target_bundle, lk.target)}'
        )
    return "\n".join(lines) + "\n"


_MERMAID_WORDS = {"end", "graph", "subgraph", "flowchart", "style", "class", "click", "default", "direction"}


def _mermaid_ids(res: Resolution, names: Sequence[str]) -> dict[tuple[str, str], str]:
    """Readable ids (``platform_2025_07__auth``: Mermaid ids take no '-'), so a diff of the graph reads well; if
    two names differ only in '-' runs and would collide, numbered ids instead."""
    keys = [(n, "") for n in names] + [(n, c) for n in names for c in sorted(res.bundles[n].pins)]
    readable = {(n, c): f"{n}__{c}".replace("-", "_").rstrip("_") for n, c in keys}
    if len(set(readable.values())) == len(readable) and not _MERMAID_WORDS & set(readable.values()):
        return readable
    return {key: f"n{i}" for i, key in enumerate(keys, 1)}


# --- DOT ----------------------------------------------------------------------------------------------------


def _quote(text: str) -> str:
    """A DOT string; names and versions are validated (no quotes or backslashes), constraints likewise."""
    return f'"{text}"'


def dot(res: Resolution, names: Sequence[str], links: Sequence[Link]) -> str:
    lines = ["digraph relc {", "  rankdir=TB;", "  node [shape=box];"]
    lines += [f"  // {c}" for c in _comments(res, names)]
    for name in names:
        bundle = res.bundles[name]
        lines.append(f"  subgraph {_quote('cluster_' + name)} {{")
        lines.append(f"    label={_quote(bundle.describe())};")
        for component in sorted(bundle.pins):
            label = _label(res, name, component, "\\n")  # DOT's line break inside a label
            lines.append(f"    {_quote(name + '/' + component)} [label={_quote(label)}];")
        lines.append("  }")
    for lk in links:
        style = "" if lk.satisfied else ", style=dashed, color=red"
        source, target = _quote(f"{lk.source_bundle}/{lk.source}"), _quote(f"{lk.target_bundle}/{lk.target}")
        lines.append(f"  {source} -> {target} [label={_quote(lk.constraint)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
