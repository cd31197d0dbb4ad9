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

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compiler.diagnostics import Diagnostic
from compiler.load.documents import field_path
from compiler.load.yamlread import FieldPath
from compiler.outcheck.documents import RenderedDoc

CODE = "RLC805"
GATEWAY_GROUP = "gateway.networking.k8s.io"
ANY_HOSTNAME = ""
_DEFAULT_MATCH: Mapping[str, Any] = {"path": {"type": "PathPrefix", "value": "/"}}
"""The CRD's default for an absent ``matches`` (and for an absent ``path`` in a match)."""


@dataclass(frozen=True, slots=True)
class Seen:
    """One match of one route on one parent, kept until another route ties with it."""

    route: str  # namespace/name
    listener: str  # sectionName, "" for every listener
    doc: RenderedDoc
    path: FieldPath


def check(docs: Sequence[RenderedDoc]) -> list[Diagnostic]:
    clusters = _clusters(docs)
    routes = sorted((_route_id(d), d) for d in docs if _is_route(d.data))
    seen: dict[tuple[Any, ...], list[Seen]] = {}
    reported: set[tuple[str, str]] = set()
    found: list[Diagnostic] = []
    for route, doc in routes:
        spec = doc.data.get("spec") or {}
        namespace = route.split("/", 1)[0]
        cluster = clusters.get(_instance(doc.file.rel), "")
        hostnames = [h for h in spec.get("hostnames") or [] if isinstance(h, str)] or [ANY_HOSTNAME]
        for parent, listener in _parents(spec, namespace):
            for path, match in _matches(spec):
                for hostname in hostnames:
                    key = (cluster, parent, hostname, match)
                    earlier = seen.setdefault(key, [])
                    other = next((s for s in earlier if s.route != route and _meet(listener, s.listener)), None)
                    earlier.append(Seen(route, listener, doc, path))
                    if other is not None and (route, other.route) not in reported:
                        reported.add((route, other.route))
                        found.append(_tie(doc, path, route, other, (parent, hostname, cluster, match)))
    return found


def _is_route(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and data.get("kind") == "HTTPRoute"
        and str(data.get("apiVersion", "")).startswith(GATEWAY_GROUP + "/")
        and isinstance(data.get("spec"), dict)
    )


def _route_id(doc: RenderedDoc) -> str:
    meta = doc.data.get("metadata") or {}
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
        spec = data.get("spec") or {}
        template = (spec.get("template") or {}).get("spec") or {} if data.get("kind") == "ApplicationSet" else spec
        destination = template.get("destination") or {}
        cluster = destination.get("name") or destination.get("server")
        if isinstance(cluster, str) and "{{" not in cluster:
            found.setdefault(parts[1], cluster)
    return found


def _parents(spec: Mapping[str, Any], namespace: str) -> Iterator[tuple[tuple[str, ...], str]]:
    for ref in spec.get("parentRefs") or []:
        if isinstance(ref, dict):
            parent = (
                str(ref.get("group", GATEWAY_GROUP)),
                str(ref.get("kind", "Gateway")),
                str(ref.get("namespace") or namespace),
                str(ref.get("name")),
            )
            yield parent, str(ref.get("sectionName") or "")


def _matches(spec: Mapping[str, Any]) -> Iterator[tuple[FieldPath, str]]:
    """(where, canonical text) of every match of every rule, CRD defaults applied."""
    for i, rule in enumerate(spec.get("rules") or [{}]):
        if not isinstance(rule, dict):
            continue
        matches = rule.get("matches")
        if not matches:
            yield ("spec", "rules", i), _canonical(_DEFAULT_MATCH)
            continue
        for j, match in enumerate(matches):
            if isinstance(match, dict):
                yield ("spec", "rules", i, "matches", j), _canonical(match)


def _canonical(match: Mapping[str, Any]) -> str:
    """What the Gateway compares of a match: header names are case-insensitive and the order of header and query
    matches does not matter; a prefix ``/a/`` is the prefix ``/a`` (prefixes match whole path elements)."""
    path = {**_DEFAULT_MATCH["path"], **(match.get("path") or {})}
    value = str(path["value"])
    if path["type"] == "PathPrefix" and len(value) > 1:
        value = value.rstrip("/") or "/"
    headers = sorted(
        (str(h.get("name", "")).lower(), str(h.get("type", "Exact")), str(h.get("value", "")))
        for h in match.get("headers") or []
        if isinstance(h, dict)
    )
    query = sorted(
        (str(q.get("name", "")), str(q.get("type", "Exact")), str(q.get("value", "")))
        for q in match.get("queryParams") or []
        if isinstance(q, dict)
    )
    return json.dumps([path["type"], value, headers, query, match.get("method") or ""])


def _meet(listener: str, other: str) -> bool:
    """Whether parentRefs on these listeners (sectionName; "" for every listener) can serve the same request."""
    return listener == other or not listener or not other


def _describe(match: str) -> str:
    kind, value, headers, query, method = json.loads(match)
    parts = [f"path {kind} {value}"]
    parts += [f"header {name} {kind_} {text}" for name, kind_, text in headers]
    parts += [f"query {name} {kind_} {text}" for name, kind_, text in query]
    parts += [f"method {method}"] if method else []
    return ", ".join(parts)


def _tie(
    doc: RenderedDoc,
    path: FieldPath,
    route: str,
    other: Seen,
    key: tuple[tuple[str, ...], str, str, str],
) -> Diagnostic:
    parent, hostname, cluster, match = key
    line, column = doc.position(path)
    other_line, _ = other.doc.position(other.path)
    where = f"{parent[1]} {parent[2]}/{parent[3]}" + (f" on cluster '{cluster}'" if cluster else "")
    host = f"hostname {hostname}" if hostname else "any hostname"
    return Diagnostic(
        doc.file.shown,
        line,
        column,
        CODE,
        f"HTTPRoute {route} ties with HTTPRoute {other.route} ({other.doc.file.shown}:{other_line}) on {where} "
        f"({host}; {_describe(match)}): the Gateway API gives identical matches to the older route, then the first by "
        "namespace/name, and the other still reports Accepted",
        "give the Instances distinct spec.gateway.hostnames (or listener sectionName) and run relc compile "
        "(relc validate reports it in the fleet as RLC504)",
        field_path(path),
    )
