"""RLC806: every rendered custom resource writes out each field its CRD's schema defaults.

Why: the API server fills a CRD's ``openAPIV3Schema`` ``default``s into the stored object, but Argo CD's
server-side-apply diff (gitops-engine ``pkg/diff``, structured-merge-diff over the schemas it caches) applies
defaults only for built-in kinds. An omitted defaulted field therefore differs from the live object forever; inside
an atomic list (HTTPRoute ``rules[].backendRefs``, whose ``weight`` defaults to 1) the whole list differs, and the
Application stays OutOfSync after every sync (argo-cd issue #22151, "Gateway API HTTPRoute resources always out of
sync when server-side apply is used"; #11139 for CRD defaults in general). Writing the defaults out makes the
rendered object equal to the stored one, whatever diff mode the Application uses.

Generic over every CRD the check knows: the ones rendered into ``crds/`` (relc's tenancy CRDs) and the shipped
ones (Gateway API, Argo CD), by (group, version, kind). The schema is reduced once per CRD version to the branches
that hold a default, so a document is walked only where a default can be missing. ``metadata`` and ``status``
are the API server's and the controllers', never rendered, and are not walked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compiler.diagnostics import Diagnostic
from compiler.load.documents import field_path
from compiler.load.yamlread import FieldPath
from compiler.outcheck.builtin import split_api_version
from compiler.outcheck.documents import RenderedDoc
from compiler.outcheck.kinds import RENDERED_LABEL, SHIPPED, is_crd

CODE = "RLC806"
_NOT_WALKED = frozenset({"apiVersion", "kind", "metadata", "status"})


@dataclass(frozen=True, slots=True)
class Defaults:
    """The part of a schema under which some property has a ``default``."""

    here: dict[str, Any] = field(default_factory=dict)
    """property → its default, at this level"""
    properties: dict[str, Defaults] = field(default_factory=dict)
    items: Defaults | None = None
    additional: Defaults | None = None


def reduce(schema: Any) -> Defaults | None:
    """``schema`` cut to the branches holding a default; None when it holds none."""
    if not isinstance(schema, dict):
        return None
    props = _mapping(schema.get("properties"))
    here = {k: s["default"] for k, s in props.items() if isinstance(s, dict) and "default" in s}
    below = {k: r for k, s in props.items() if (r := reduce(s)) is not None}
    items = reduce(schema.get("items"))
    additional = reduce(schema.get("additionalProperties"))
    if not here and not below and items is None and additional is None:
        return None
    return Defaults(here, below, items, additional)


@dataclass(frozen=True, slots=True)
class Known:
    defaults: Defaults
    label: str


class Index:
    """(group, version, kind) → its schema's defaults; shipped families are read on first use of their group."""

    def __init__(self, rendered_crds: Iterable[Mapping[str, Any]], read_shipped: Callable[[str], list[Any]]) -> None:
        self._read_shipped = read_shipped
        self._known: dict[tuple[str, str, str], Known | None] = {}
        self._loaded: set[str] = set()
        self._add(rendered_crds, RENDERED_LABEL)

    def _add(self, crds: Iterable[Mapping[str, Any]], label: str) -> None:
        """Each well-formed version's defaults; a malformed CRD adds nothing (RLC802 reports it)."""
        for crd in crds:
            spec = _mapping(crd.get("spec"))
            group, kind = spec.get("group"), _mapping(spec.get("names")).get("kind")
            versions = spec.get("versions")
            if not isinstance(group, str) or not isinstance(kind, str) or not isinstance(versions, list):
                continue
            for version in versions:
                version = _mapping(version)
                schema = _mapping(version.get("schema")).get("openAPIV3Schema")
                key = (group, str(version.get("name")), kind)
                if key not in self._known:
                    reduced = reduce(schema)
                    self._known[key] = Known(reduced, label) if reduced is not None else None

    def find(self, api_version: str, kind: str) -> Known | None:
        group, version = split_api_version(api_version)
        for family in SHIPPED:
            if family.group == group and family.folder not in self._loaded:
                self._loaded.add(family.folder)
                self._add(self._read_shipped(family.folder), family.label)
        return self._known.get((group, version, kind))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def check(docs: Sequence[RenderedDoc], read_shipped: Callable[[str], list[Any]]) -> list[Diagnostic]:
    index = Index((d.data for d in docs if is_crd(d.data)), read_shipped)
    found: list[Diagnostic] = []
    for doc in docs:
        data = doc.data
        if not isinstance(data, dict) or not isinstance(data.get("apiVersion"), str) or is_crd(data):
            continue
        known = index.find(data["apiVersion"], str(data.get("kind")))
        if known is None:
            continue
        body = {k: v for k, v in data.items() if k not in _NOT_WALKED}
        for parent, key, default in _missing(known.defaults, body, ()):
            found.append(_diagnostic(doc, parent, key, default, known.label))
    return found


def _missing(defaults: Defaults, value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str, Any]]:
    """(parent path, property, default) of each defaulted property absent where its parent object is present."""
    if isinstance(value, dict):
        for key, default in defaults.here.items():
            if key not in value and not (path == () and key in _NOT_WALKED):
                yield path, key, default
        for key, below in defaults.properties.items():
            if key in value:
                yield from _missing(below, value[key], (*path, key))
        if defaults.additional is not None:
            for key, item in value.items():
                if key not in defaults.properties and key not in defaults.here:
                    yield from _missing(defaults.additional, item, (*path, key))
    elif isinstance(value, list) and defaults.items is not None:
        for i, item in enumerate(value):
            yield from _missing(defaults.items, item, (*path, i))


def _diagnostic(doc: RenderedDoc, parent: FieldPath, key: str, default: Any, label: str) -> Diagnostic:
    line, column = doc.position(parent) if parent else (doc.first_line, 1)
    meta = doc.data.get("metadata") or {}
    name = f"{meta.get('namespace')}/{meta.get('name')}" if meta.get("namespace") else str(meta.get("name"))
    shown = json.dumps(default, sort_keys=True, separators=(", ", ": "))
    full = field_path((*parent, key))
    return Diagnostic(
        doc.file.shown,
        line,
        column,
        CODE,
        f"{doc.data.get('kind')} {name} omits {full}, which {_whose(label)} defaults to {shown}: Argo CD's server-side "
        "diff does not apply CRD defaults, so the live object never matches and the Application stays OutOfSync",
        f"write '{key}: {shown}' where the render section builds it, then run relc compile (never hand-edit rendered/)",
        full,
    )


def _whose(label: str) -> str:
    return label if label.startswith("its ") else f"the {label}"
