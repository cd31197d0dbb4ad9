"""A candidate's dependency graph as inline SVG, laid out here (no Graphviz, no script: the page stays static).

Layered left to right: a component's column is one more than the deepest component it requires, so what must
migrate first stands left and every edge points left, requirer → required, labelled with its constraint.
Within a column, nodes are sorted by bundle and name, so the same resolution always draws the same picture.
Destructive versions have a red border and say so; shared bundles' components are dashed; an unsatisfied
requirement is a red edge. Every text is escaped (names are user input).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import escape

from compiler.report.facts import Edge, Node

WIDTH, HEIGHT, GAP_X, GAP_Y, MARGIN = 240, 50, 110, 22, 12


def layers(nodes: Sequence[Node], edges: Sequence[Edge]) -> dict[str, int]:
    """node id → column: 0 for a node requiring nothing drawn, else 1 + the deepest required (cycles: column 0)."""
    requires: dict[str, list[str]] = {}
    for edge in edges:
        requires.setdefault(edge.source, []).append(edge.target)
    depth: dict[str, int] = {}
    visiting: set[str] = set()

    def visit(node: str) -> int:
        if node in depth:
            return depth[node]
        if node in visiting:  # a cycle (an invalid fleet): stop here
            return 0
        visiting.add(node)
        found = 1 + max((visit(t) for t in requires.get(node, ())), default=-1)
        visiting.discard(node)
        depth[node] = found
        return found

    return {key: visit(key) for key in (_id(n) for n in nodes)}


def _id(node: Node) -> str:
    return f"{node.component}@{node.version}"


def graph_svg(candidate: str, nodes: Sequence[Node], edges: Sequence[Edge]) -> str:
    column = layers(nodes, edges)
    columns: dict[int, list[Node]] = {}
    for node in sorted(nodes, key=lambda n: (n.candidate != candidate, n.candidate, n.component)):
        columns.setdefault(column[_id(node)], []).append(node)
    place: dict[str, tuple[int, int]] = {}
    for col, members in columns.items():
        for row, node in enumerate(members):
            place[_id(node)] = (MARGIN + col * (WIDTH + GAP_X), MARGIN + row * (HEIGHT + GAP_Y))
    width = MARGIN * 2 + (max(columns, default=0) + 1) * (WIDTH + GAP_X) - GAP_X
    height = MARGIN * 2 + max((len(m) for m in columns.values()), default=1) * (HEIGHT + GAP_Y) - GAP_Y
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img" aria-label="dependency graph of {escape(candidate)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7"'
        ' orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    ]
    for edge in edges:
        if edge.source not in place or edge.target not in place:
            continue
        (sx, sy), (tx, ty) = place[edge.source], place[edge.target]
        x1, y1, x2, y2 = sx, sy + HEIGHT // 2, tx + WIDTH, ty + HEIGHT // 2
        if x1 <= x2:  # same column (a cycle): draw from the right side, around
            x1 = sx + WIDTH
        colour = "#555" if edge.satisfied else "#c00"
        label = f'<text x="{x2 + 6}" y="{y2 - 5}" class="constraint">{escape(edge.constraint)}</text>'
        out.append(
            f'<g class="edge" data-source="{escape(edge.source)}" data-target="{escape(edge.target)}">'
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{colour}" marker-end="url(#arrow)"/>{label}</g>'
        )
    for node in nodes:
        x, y = place[_id(node)]
        classes = " ".join(
            c
            for c, on in (("node", True), ("destructive", node.destructive), ("shared", node.candidate != candidate))
            if on
        )
        second = [f"migration {node.migration_step}"] if node.migration_step else []
        second += ["destructive"] if node.destructive else []
        second += [node.candidate] if node.candidate != candidate else []
        title = f"{escape(node.component)} {escape(node.version)}"
        out.append(
            f'<g class="{classes}" data-node="{escape(_id(node))}">'
            f'<rect x="{x}" y="{y}" width="{WIDTH}" height="{HEIGHT}" rx="6"/>'
            f'<text x="{x + 8}" y="{y + 19}" class="title">{title}</text>'
            f'<text x="{x + 8}" y="{y + 38}" class="sub">{escape(" · ".join(second))}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)
