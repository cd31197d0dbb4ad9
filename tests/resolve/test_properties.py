"""Property tests of the resolver on random candidates (built as YAML and typed by the real loader).

- a random DAG with satisfiable constraints resolves clean, and its migration order respects every requirement,
  also through components that own no schema, and breaks ties by name;
- a random graph with a cycle is reported as RLC403 naming a real cycle, one per knot;
- RLC401 is reported exactly for the requirements a brute-force comparison of version tuples says fail.
"""

from __future__ import annotations

import itertools
import re

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.resolve import Resolution
from tests.resolve.fleets import FleetFiles

Version = tuple[int, int, int]
VERSION = st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3))
OPS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
RUNS = settings(max_examples=60, deadline=None)


def _v(v: Version) -> str:
    return ".".join(map(str, v))


@st.composite
def candidates(draw: st.DrawFn, *, acyclic: bool) -> tuple[dict[str, Version], dict[str, bool], nx.DiGraph]:
    """Components s0…sN with versions, schema ownership and a requirement graph (edge A → B: A requires B)."""
    n = draw(st.integers(1, 7))
    names = [f"s{i}" for i in draw(st.permutations(range(n)))]
    versions = {name: draw(VERSION) for name in names}
    owns = {name: draw(st.booleans()) for name in names}
    pairs = (
        [(a, b) for i, a in enumerate(names) for b in names[:i]] if acyclic else [(a, b) for a in names for b in names]
    )
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    graph.add_edges_from(draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else [])
    return versions, owns, graph


def _files(
    versions: dict[str, Version], owns: dict[str, bool], requires: dict[str, list[tuple[str, str]]]
) -> FleetFiles:
    files = FleetFiles()
    files.add_blueprint("bp", owns)
    for name, version in versions.items():
        files.add_version(name, _v(version), requires.get(name, []))
    files.add_candidate("c", "bp", {name: _v(v) for name, v in versions.items()})
    return files


def _satisfiable(data: st.DataObject, target: Version) -> str:
    """Random comparisons, keeping those ``target`` meets (at least one), so the range holds for it."""
    terms = data.draw(st.lists(st.tuples(st.sampled_from(sorted(OPS)), VERSION), min_size=1, max_size=3))
    kept = [f"{op}{_v(bound)}" for op, bound in terms if OPS[op](target, bound)]
    return ", ".join(kept or [f">={_v(target)}"])


@RUNS
@given(data=st.data(), shape=candidates(acyclic=True))
def test_satisfiable_dags_resolve_clean_in_dependency_order(
    data: st.DataObject, shape: tuple[dict[str, Version], dict[str, bool], nx.DiGraph]
) -> None:
    versions, owns, graph = shape
    requires: dict[str, list[tuple[str, str]]] = {}
    for a, b in sorted(graph.edges):
        requires.setdefault(a, []).append((b, _satisfiable(data, versions[b])))
    res = _files(versions, owns, requires).resolve()
    assert res.diagnostics == ()
    order = res.migration_order("c")
    owners = sorted(n for n, o in owns.items() if o)
    assert sorted(order) == owners
    position = {name: i for i, name in enumerate(order)}
    for requirer in owners:
        for required in nx.descendants(graph, requirer) & set(owners):
            assert position[required] < position[requirer], (required, requirer, order)
    assert order == _smallest_order(graph, owners)


def _smallest_order(graph: nx.DiGraph, owners: list[str]) -> tuple[str, ...]:
    """Brute force: repeatedly take the smallest owner whose required owners are all placed."""
    placed: list[str] = []
    left = set(owners)
    while left:
        ready = [o for o in left if not (nx.descendants(graph, o) & left)]
        placed.append(min(ready))
        left.remove(placed[-1])
    return tuple(placed)


@RUNS
@given(shape=candidates(acyclic=False))
def test_cycles_are_reported_as_real_cycles(shape: tuple[dict[str, Version], dict[str, bool], nx.DiGraph]) -> None:
    versions, owns, graph = shape
    requires = {a: [(b, ">=0.0.0") for b in sorted(graph.successors(a))] for a in graph}
    res = _files(versions, owns, requires).resolve()
    knots = [k for k in nx.strongly_connected_components(graph) if len(k) > 1 or graph.has_edge(*[min(k)] * 2)]
    reported = _cycles(res)
    assert {d.code for d in res.diagnostics} <= {"RLC403"}
    assert len(reported) == len(knots)
    for cycle in reported:
        assert cycle[0] == cycle[-1] and len(set(cycle[:-1])) == len(cycle) - 1
        assert all(graph.has_edge(a, b) for a, b in itertools.pairwise(cycle)), cycle
    if not knots:
        res.migration_order("c")  # acyclic after all: an order exists


def _cycles(res: Resolution) -> list[list[str]]:
    found = []
    for d in res.diagnostics:
        match = re.fullmatch(r"dependency cycle in candidate c: (.*)", d.message)
        assert match, d.message
        found.append(match.group(1).split(" -> "))
    return found


@RUNS
@given(data=st.data(), shape=candidates(acyclic=True))
def test_unsatisfied_requirements_match_brute_force(
    data: st.DataObject, shape: tuple[dict[str, Version], dict[str, bool], nx.DiGraph]
) -> None:
    versions, owns, graph = shape
    requires: dict[str, list[tuple[str, str]]] = {}
    expected = set()
    for a, b in sorted(graph.edges):
        op, bound = data.draw(st.sampled_from(sorted(OPS))), data.draw(VERSION)
        requires.setdefault(a, []).append((b, f"{op}{_v(bound)}"))
        if not OPS[op](versions[b], bound):
            expected.add(
                f"{a} {_v(versions[a])} requires {b} {op}{_v(bound)}, but candidate c pins {b} {_v(versions[b])}"
            )
    res = _files(versions, owns, requires).resolve()
    assert {d.code for d in res.diagnostics} <= {"RLC401"}
    assert {d.message for d in res.diagnostics} == expected


@RUNS
@given(
    data=st.data(),
    shared=st.dictionaries(st.sampled_from(["atlas", "ops-api", "utm"]), VERSION, min_size=1),
    product=st.dictionaries(st.sampled_from(["mission", "hub", "uncrew"]), VERSION, min_size=1),
)
def test_shared_disagreements_match_brute_force_in_both_directions(
    data: st.DataObject, shared: dict[str, Version], product: dict[str, Version]
) -> None:
    files = FleetFiles()
    files.add_blueprint("ops", dict.fromkeys(product, True))
    files.add_blueprint("shared", dict.fromkeys(shared, False), kind="sharedServices")
    expected = set()
    for here, there, bundle, other in (
        (product, shared, "candidate q", "shared services bundle s"),
        (shared, product, "shared services bundle s", "candidate q"),
    ):
        for name, version in here.items():
            requires = []
            for target in data.draw(st.lists(st.sampled_from(sorted(there)), unique=True)):
                op, bound = data.draw(st.sampled_from(sorted(OPS))), data.draw(VERSION)
                requires.append((target, f"{op}{_v(bound)}"))
                if not OPS[op](there[target], bound):
                    expected.add(
                        f"{name} {_v(version)} in {bundle} requires {target} {op}{_v(bound)}, "
                        f"but {other} pins {target} {_v(there[target])}"
                    )
            files.add_version(name, _v(version), requires)
    files.add_candidate("q", "ops", {n: _v(v) for n, v in product.items()})
    files.add_candidate("s", "shared", {n: _v(v) for n, v in shared.items()})
    files.add_release("g", ["q"], shared="s")
    res = files.resolve()
    assert {d.code for d in res.diagnostics} <= {"RLC402"}
    assert {d.message for d in res.diagnostics} == expected
    assert {(d.file, d.field) for d in res.diagnostics} <= {("releases/global/g.yaml", "spec.candidates[0]")}
