"""resolve(fleet) → Resolution: the version graph, its diagnostics and a migration order per candidate.

Pure and total: bad input never raises here, it becomes diagnostics (objects the references and components rules
already report as missing are skipped, so a broken reference yields one message, not a cascade).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx

from compiler.diagnostics import CycleError, Diagnostic, sort_key
from compiler.model.fleet import Fleet
from compiler.resolve.bundles import Bundle, bundles, needs
from compiler.resolve.checks import disagreement
from compiler.resolve.links import Link, Resolved, astuple_key, walk
from compiler.resolve.order import check_override, computed_order, cycles, requirement_graph


@dataclass(frozen=True)
class Resolution:
    """The result the validate rule, ``relc graph`` and the renderer share.

    ``graph``: nodes ``component@version`` (attributes ``component``, ``version``, ``candidates``), edges for
    requirements (attributes ``constraint``, ``satisfied``, ``candidates``: the bundles the link was resolved in).
    """

    graph: nx.DiGraph
    diagnostics: tuple[Diagnostic, ...]
    bundles: Mapping[str, Bundle]
    links: tuple[Link, ...]
    served_by: Mapping[str, tuple[str, ...]]
    """candidate → the shared bundles of the global releases offering it."""
    _orders: Mapping[str, tuple[str, ...] | CycleError] = field(repr=False)

    def migration_order(self, candidate: str) -> tuple[str, ...]:
        """Schema-owning services of ``candidate``, required before requirer (ties by name), or its valid
        ``migrationOrder``. Raises KeyError for an unknown candidate and CycleError for a cyclic one (both are
        reported as diagnostics first, so a valid fleet never raises)."""
        order = self._orders[candidate]
        if isinstance(order, CycleError):
            raise order
        return order


def resolve(fleet: Fleet) -> Resolution:
    table = bundles(fleet)
    parsed, problems = needs(fleet)
    resolved: list[Resolved] = []
    for item in walk(fleet, table, parsed):
        if isinstance(item, Resolved):
            resolved.append(item)
        else:
            problems.append(item)
    versions: dict[str, list[str]] = {}
    for component, version in fleet.component_versions:
        versions.setdefault(component, []).append(version)
    problems += [disagreement(r, table, versions) for r in resolved if not r.link.satisfied]
    links = tuple(sorted({r.link for r in resolved}, key=astuple_key))
    inside: dict[str, list[Link]] = {}
    for lk in links:
        if lk.inside:
            inside.setdefault(lk.source_bundle, []).append(lk)
    orders = {name: _order(bundle, inside.get(name, ()), problems) for name, bundle in table.items()}
    return Resolution(
        graph=_graph(table, links),
        diagnostics=tuple(sorted(problems, key=sort_key)),
        bundles=table,
        links=links,
        served_by=_served_by(fleet),
        _orders=orders,
    )


def _order(bundle: Bundle, links: Iterable[Link], problems: list[Diagnostic]) -> tuple[str, ...] | CycleError:
    graph = requirement_graph(bundle, ((lk.source, lk.target) for lk in links))
    found = cycles(graph)
    for cycle in found:
        problems.append(
            bundle.entry.doc.diagnostic(
                ("spec", "components", cycle.cycle[0]),
                "RLC403",
                f"dependency cycle in {bundle.describe()}: {cycle.describe()}",
                "break the cycle: one of these versions must stop requiring the next, since each one's schema "
                "would have to migrate before the other's",
            )
        )
    override = list(check_override(bundle, graph, acyclic=not found))
    problems += override
    if found:
        return CycleError(found[0].cycle, f"candidate {bundle.name}")
    given = bundle.entry.obj.spec.migration_order
    if given is not None and bundle.blueprint is not None and not override:
        return tuple(given)
    return computed_order(graph, bundle.owners)


def _graph(table: Mapping[str, Bundle], links: Iterable[Link]) -> nx.DiGraph:
    graph = nx.DiGraph()
    for name, bundle in table.items():
        for component, version in sorted(bundle.pins.items()):
            node = f"{component}@{version}"
            if node not in graph:
                graph.add_node(node, component=component, version=version, candidates=set())
            graph.nodes[node]["candidates"].add(name)
    for lk in links:
        if not graph.has_edge(lk.source_node, lk.target_node):
            graph.add_edge(lk.source_node, lk.target_node, constraint=lk.constraint, satisfied=True, candidates=set())
        edge = graph.edges[lk.source_node, lk.target_node]
        edge["satisfied"] = edge["satisfied"] and lk.satisfied
        edge["candidates"].add(lk.source_bundle)
    return graph


def _served_by(fleet: Fleet) -> dict[str, tuple[str, ...]]:
    served: dict[str, set[str]] = {}
    for entry in fleet.global_releases.values():
        spec = entry.obj.spec
        shared = {n for n in (spec.shared_services, spec.shared_infrastructure) if n is not None}
        for name in spec.candidates:
            served.setdefault(name, set()).update(shared)
    return {name: tuple(sorted(shared)) for name, shared in sorted(served.items())}
