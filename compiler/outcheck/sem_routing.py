"""RLC805: no two rendered HTTPRoutes tie on a match of one Gateway.

The HTTPRoute CRD (Gateway API v1.6.1, ``spec.rules[].matches``, vendored in compiler/data/schemas/gateway-api/)
says: across all rules of the routes attached to a Gateway, precedence goes to the exact path, the longest prefix,
a method, the most header and query matches; "If ties still exist across multiple Routes, matching precedence
MUST be determined in order of the following criteria, continuing on ties: The oldest Route based on creation
timestamp. The Route appearing first in alphabetical order by "{namespace}/{name}"." And ``spec.hostnames``: among
routes with intersecting hostnames, the one with the longest matching hostname wins before matches are compared.
So two routes with the same hostname (or both without one) and an identical match do not merge or fail: one
silently takes every such request and the other still reports Accepted. relc cannot know which is older; it
reports the route that would lose on name, pointing at the one it ties with.

Which routes meet: those attached to the same parent Gateway (group, kind, namespace, name) on the same cluster,
on the same listener, where a parentRef without ``sectionName`` attaches to every listener. The cluster of a
route under ``instances/<i>/`` is the destination of the Argo CD objects in ``instances/<i>/argocd/``: routes of
two Instances on different clusters never meet even though their Gateway is named alike. RLC504 catches the same
defect in the fleet before rendering; this checks what is actually rendered (a hand edit, another render path).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from compiler.diagnostics import Diagnostic
from compiler.load.documents import field_path
from compiler.load.yamlread import FieldPath
from compiler.outcheck.documents import RenderedDoc

CODE = "RLC805"
GATEWAY_GROUP = "gateway.networking.k8s.io"
ANY_HOSTNAME = ""
_DEFAULT_MATCH: Mapping[str, Any] = {"path": {"type": "PathPrefix", "value": "/"}}
"""The CRD's default for an absent ``matches`` (and for an absent ``path`` in a match)."""


class Seen(NamedTuple):
    """The first match of a route on one parent under a key (a tuple: 10,000 tenants make ~200,000 of them)."""

    route: str  # namespace/name
    doc: RenderedDoc
    path: FieldPath


Match = tuple[str, str, tuple[tuple[str, str, str], ...], tuple[tuple[str, str, str], ...], str]
"""(path type, path value, headers, query params, method), CRD defaults applied and order-free."""


def check(docs: Sequence[RenderedDoc]) -> list[Diagnostic]:
    clusters = _clusters(docs)
    routes = sorted(((_route_id(d), d) for d in docs if _is_route(d.data)), key=lambda pair: pair[0])
    # The first route seen per (cluster, parent, hostname, match) on each listener, and on any listener: a route
    # on listener L meets the first on L and the first on every listener (""); one on every listener meets any.
    on_listener: dict[tuple[Any, ...], Seen] = {}
    on_any: dict[tuple[Any, ...], Seen] = {}
    reported: set[tuple[str, str]] = set()
    found: list[Diagnostic] = []
    for route, doc in routes:
        spec = _mapping(doc.data.get("spec"))
        namespace = route.split("/", 1)[0]
        cluster = clusters.get(_instance(doc.file.rel), "")
        hostnames = [h for h in _list(spec.get("hostnames")) if isinstance(h, str)] or [ANY_HOSTNAME]
        matches = list(_matches(spec))
        for parent, listener in _parents(spec, namespace):
            for path, match in matches:
                for hostname in hostnames:
                    key = (cluster, parent, hostname, match)
                    mine = Seen(route, doc, path)
                    earlier = [on_listener.get((key, listener)), on_listener.get((key, ""))] if listener else []
                    earlier.append(on_any.get(key) if not listener else None)
                    on_listener.setdefault((key, listener), mine)
                    on_any.setdefault(key, mine)
                    other = next((s for s in earlier if s is not None and s.route != route), None)
                    if other is not None and (route, other.route) not in reported:
                        reported.add((route, other.route))
                        found.append(_tie(mine, other, (parent, hostname, cluster, match)))
    return found


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_route(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and data.get("kind") == "HTTPRoute"
        and str(data.get("apiVersion", "")).startswith(GATEWAY_GROUP + "/")
        and isinstance(data.get("spec"), dict)
    )


def _route_id(doc: RenderedDoc) -> str:
    meta = _mapping(doc.data.get("metadata"))
    return f"{meta.get('namespace') or 'default'}/{meta.get('name')}"


def _instance(rel: str) -> str:
    parts = rel.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "instances" else ""


def _clusters(docs: Sequence[RenderedDoc]) -> dict[str, str]:
    """Instance folder → the cluster its Argo CD objects deploy to (their destination name or server)."""
    found: dict[str, str] = {}
    for doc in docs:
        parts = doc.file.rel.split("/")
        data = doc.data
        if len(parts) < 4 or parts[0] != "instances" or parts[2] != "argocd" or not isinstance(data, dict):
            continue
        spec = _mapping(data.get("spec"))
        template = (
            _mapping(_mapping(spec.get("template")).get("spec")) if data.get("kind") == "ApplicationSet" else spec
        )
        destination = _mapping(template.get("destination"))
        cluster = destination.get("name") or destination.get("server")
        if isinstance(cluster, str) and "{{" not in cluster:
            found.setdefault(parts[1], cluster)
    return found


def _parents(spec: Mapping[str, Any], namespace: str) -> Iterator[tuple[tuple[str, ...], str]]:
    for ref in _list(spec.get("parentRefs")):
        if isinstance(ref, dict):
            parent = (
                str(ref.get("group", GATEWAY_GROUP)),
                str(ref.get("kind", "Gateway")),
                str(ref.get("namespace") or namespace),
                str(ref.get("name")),
            )
            yield parent, str(ref.get("sectionName") or "")


def _matches(spec: Mapping[str, Any]) -> Iterator[tuple[FieldPath, Match]]:
    """(where, canonical text) of every match of every rule, CRD defaults applied."""
    for i, rule in enumerate(_list(spec.get("rules")) or [{}]):
        if not isinstance(rule, dict):
            continue
        matches = _list(rule.get("matches"))
        if not matches:
            yield ("spec", "rules", i), _canonical(_DEFAULT_MATCH)
            continue
        for j, match in enumerate(matches):
            if isinstance(match, dict):
                yield ("spec", "rules", i, "matches", j), _canonical(match)


def _canonical(match: Mapping[str, Any]) -> Match:
    """What the Gateway compares of a match: header names are case-insensitive and the order of header and query
    matches does not matter; a prefix ``/a/`` is the prefix ``/a`` (prefixes match whole path elements)."""
    path = {**_DEFAULT_MATCH["path"], **_mapping(match.get("path"))}
    kind, value = str(path["type"]), str(path["value"])
    if kind == "PathPrefix" and len(value) > 1:
        value = value.rstrip("/") or "/"
    headers = tuple(
        sorted(
            (str(h.get("name", "")).lower(), str(h.get("type", "Exact")), str(h.get("value", "")))
            for h in _list(match.get("headers"))
            if isinstance(h, dict)
        )
    )
    query = tuple(
        sorted(
            (str(q.get("name", "")), str(q.get("type", "Exact")), str(q.get("value", "")))
            for q in _list(match.get("queryParams"))
            if isinstance(q, dict)
        )
    )
    return kind, value, headers, query, str(match.get("method") or "")


def _describe(match: Match) -> str:
    kind, value, headers, query, method = match
    parts = [f"path {kind} {value}"]
    parts += [f"header {name} {how} {text}" for name, how, text in headers]
    parts += [f"query {name} {how} {text}" for name, how, text in query]
    parts += [f"method {method}"] if method else []
    return ", ".join(parts)


def _tie(mine: Seen, other: Seen, key: tuple[tuple[str, ...], str, str, Match]) -> Diagnostic:
    parent, hostname, cluster, match = key
    line, column = mine.doc.position(mine.path)
    other_line, _ = other.doc.position(other.path)
    where = f"{parent[1]} {parent[2]}/{parent[3]}" + (f" on cluster '{cluster}'" if cluster else "")
    host = f"hostname {hostname}" if hostname else "any hostname"
    return Diagnostic(
        mine.doc.file.shown,
        line,
        column,
        CODE,
        f"HTTPRoute {mine.route} ties with HTTPRoute {other.route} ({other.doc.file.shown}:{other_line}) on {where} "
        f"({host}; {_describe(match)}): the Gateway API gives identical matches to the older route, then the first "
        "by namespace/name, and the other still reports Accepted",
        "give the Instances distinct spec.gateway.hostnames (or listener sectionName) and run relc compile "
        "(relc validate reports it in the fleet as RLC504)",
        field_path(mine.path),
    )
