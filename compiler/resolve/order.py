"""Cycles and migration order, per candidate.

Migrations run required-before-requirer: if entity requires payments, payments' schema migrates first, because
entity's new code (and migrations) may rely on it. Only schema-owning services (``ownsSchema``) are sequenced, but
requirements through other components count (A → frontend → B still puts B before A). Ties are broken by name so
the order is the same on every machine. A candidate's ``migrationOrder`` (design note 4) overrides the computed
order when it is complete and consistent with the requirements; otherwise RLC405 says why and the computed
order stands.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence

import networkx as nx

from compiler.diagnostics import CycleError, Diagnostic
from compiler.resolve.bundles import Bundle


def requirement_graph(bundle: Bundle, edges: Iterable[tuple[str, str]]) -> nx.DiGraph:
    """Components of one candidate; an edge A → B when A requires B (inside the candidate)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(bundle.pins))
    graph.add_edges_from(sorted(edges))
    return graph


def cycles(graph: nx.DiGraph) -> list[CycleError]:
    """One cycle per strongly connected knot, starting at its smallest name: a real cycle, found the same way
    on every run (never an arbitrary one, and never all of them, which can be exponentially many)."""
    found = []
    for knot in nx.strongly_connected_components(graph):
        start = min(knot)
        if len(knot) == 1 and not graph.has_edge(start, start):
            continue
        found.append(CycleError(_cycle_through(graph.subgraph(knot), start)))
    return sorted(found, key=lambda e: e.cycle)


def _cycle_through(graph: nx.DiGraph, start: str) -> list[str]:
    """The shortest cycle through ``start`` (breadth first, neighbours by name)."""
    parent: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for succ in sorted(graph.successors(node)):
            if succ == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return path[::-1]
            if succ not in parent:
                parent[succ] = node
                queue.append(succ)
    raise AssertionError(f"{start} lies on no cycle")  # callers pass a node of a strongly connected knot


def before(graph: nx.DiGraph, owners: Iterable[str]) -> nx.DiGraph:
    """Schema owners, with an edge B → A when A requires B directly or through components that own no schema.

    Walks stop at the first owner on each path: an owner further on is ordered through that one, so the result
    has the closure's order (and the same smallest-name-first sort) at linear, not quadratic, cost.
    """
    owned = set(owners)
    order = nx.DiGraph()
    order.add_nodes_from(sorted(owned))
    for requirer in sorted(owned):
        seen, stack = {requirer}, list(graph.successors(requirer))
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if node in owned:
                order.add_edge(node, requirer)
            else:
                stack.extend(graph.successors(node))
    return order


def computed_order(graph: nx.DiGraph, owners: Iterable[str]) -> tuple[str, ...]:
    """Required before requirer, ties by name. ``graph`` must be acyclic (check :func:`cycles` first)."""
    return tuple(nx.lexicographical_topological_sort(before(graph, owners)))


def check_override(bundle: Bundle, graph: nx.DiGraph, acyclic: bool) -> Iterator[Diagnostic]:
    """RLC405: the explicit migrationOrder names each schema owner exactly once and respects the requirements."""
    given = bundle.entry.obj.spec.migration_order
    if given is None or bundle.blueprint is None:
        return
    doc, owners = bundle.entry.doc, bundle.owners
    yield from _names(bundle, given)
    omitted = sorted(owners - set(given))
    if omitted:
        hint = "list every schema-owning service once"
        if acyclic:
            hint += f"; the dependencies suggest: {', '.join(computed_order(graph, owners))}"
        yield doc.diagnostic(
            ("spec", "migrationOrder"),
            "RLC405",
            f"migrationOrder of candidate {bundle.name} omits schema-owning {_list(omitted)}",
            hint,
        )
    if acyclic:
        yield from _contradictions(bundle, graph, given)


def _names(bundle: Bundle, given: Sequence[str]) -> Iterator[Diagnostic]:
    doc, seen, schema = bundle.entry.doc, set[str](), bundle.schema
    for i, name in enumerate(given):
        path = ("spec", "migrationOrder", i)
        if name in seen:
            yield doc.diagnostic(path, "RLC405", f"migrationOrder lists '{name}' twice", "keep its first place only")
        elif name not in schema and name not in bundle.pins:
            close = difflib.get_close_matches(name, sorted(bundle.owners), n=1)
            yield doc.diagnostic(
                path,
                "RLC405",
                f"migrationOrder names '{name}', which candidate {bundle.name} does not pin",
                f"did you mean '{close[0]}'?" if close else "remove it: only pinned schema-owning services migrate",
            )
        elif name in schema and not schema[name]:
            yield doc.diagnostic(
                path,
                "RLC405",
                f"migrationOrder names '{name}', which owns no schema (ownsSchema is false in blueprint "
                f"{bundle.entry.obj.spec.blueprint})",
                "remove it: only schema-owning services have migrations to order",
            )
        seen.add(name)


def _contradictions(bundle: Bundle, graph: nx.DiGraph, given: Sequence[str]) -> Iterator[Diagnostic]:
    first: dict[str, int] = {}
    for i, name in enumerate(given):
        first.setdefault(name, i)
    for required, requirer in sorted(before(graph, bundle.owners).edges):
        if required in first and requirer in first and first[required] > first[requirer]:
            path = nx.shortest_path(graph, requirer, required)
            via = f" (through {', '.join(path[1:-1])})" if len(path) > 2 else ""
            yield bundle.entry.doc.diagnostic(
                ("spec", "migrationOrder", first[requirer]),
                "RLC405",
                f"migrationOrder puts {requirer} before {required}, but {requirer} "
                f"{bundle.pins[requirer]} requires {required}{via}",
                f"move {required} before {requirer}: a required service's schema migrates first",
            )


def _list(names: Sequence[str]) -> str:
    quoted = ", ".join(f"'{n}'" for n in names)
    return f"service {quoted}" if len(names) == 1 else f"services {quoted}"
