"""pydantic JSON Schema → a Kubernetes structural schema (apiextensions.k8s.io/v1 openAPIV3Schema).

The API server accepts only structural schemas: every node has a ``type``; no ``$ref``/``$defs`` (inlined here);
no ``type: null`` (``Optional`` becomes ``nullable: true``); no ``const`` (an ``enum`` of one); and
``additionalProperties`` may not sit beside ``properties`` — so pydantic's ``additionalProperties: false``
(extra="forbid") is dropped: the API server prunes unknown fields instead (and rejects them under strict field
validation, kubectl's default). ``title`` is noise in ``kubectl explain`` and is dropped; ``default: null`` too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

Schema = dict[str, Any]

_KEEP = (
    "type",
    "description",
    "default",
    "enum",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "required",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
)


class NotStructural(ValueError):
    """A schema node relc cannot express structurally; ``path`` says where, ``reason`` why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path or '<root>'}: {reason}")
        self.path = path
        self.reason = reason


def structural(schema: Mapping[str, Any]) -> Schema:
    """The structural form of a pydantic ``model_json_schema()`` (its ``$defs`` are inlined)."""
    defs = schema.get("$defs", {})
    return _node(schema, defs, "")


def _deref(node: Mapping[str, Any], defs: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """``{"$ref": ..., "default": ...}`` → the referenced schema with the siblings laid over it."""
    if "$ref" not in node:
        return node
    name = str(node["$ref"]).rsplit("/", 1)[-1]
    if name not in defs:
        raise NotStructural(path, f"unresolvable $ref {node['$ref']}")
    merged = dict(defs[name])
    merged.update({k: v for k, v in node.items() if k != "$ref"})
    return _deref(merged, defs, path)


def _nullable(node: Mapping[str, Any], path: str) -> tuple[Mapping[str, Any], bool]:
    """``anyOf: [X, {type: null}]`` → (X with the siblings, True)."""
    options = node.get("anyOf")
    if options is None:
        return node, False
    rest = [o for o in options if o != {"type": "null"}]
    if len(rest) != 1:
        raise NotStructural(path, "anyOf other than 'X or null' has no structural form")
    merged = dict(rest[0])
    merged.update({k: v for k, v in node.items() if k != "anyOf"})
    return merged, len(rest) != len(options)


def _node(raw: Mapping[str, Any], defs: Mapping[str, Any], path: str) -> Schema:
    node, nullable = _nullable(_deref(raw, defs, path), path)
    node = _deref(node, defs, path)
    out: Schema = {k: node[k] for k in _KEEP if k in node}
    if "const" in node:
        out["enum"] = [node["const"]]
    if out.get("default", 0) is None:
        del out["default"]
    if nullable:
        out["nullable"] = True
    if "properties" in node:
        out["type"] = "object"
        out["properties"] = {k: _node(v, defs, f"{path}.{k}") for k, v in node["properties"].items()}
    elif isinstance(node.get("additionalProperties"), Mapping):
        out["type"] = "object"
        out["additionalProperties"] = _node(node["additionalProperties"], defs, f"{path}.*")
    if "items" in node:
        out["items"] = _node(node["items"], defs, f"{path}[]")
    if "type" not in out:
        raise NotStructural(path, "a node without a type")
    return out


def problems(schema: Mapping[str, Any], path: str = "") -> Iterator[str]:
    """Violations of the structural-schema rules relc's generator must never produce (for tests and checks)."""
    for key in ("$ref", "$defs", "anyOf", "oneOf", "allOf", "const", "title"):
        if key in schema:
            yield f"{path or '<root>'}: '{key}' present"
    if "type" not in schema:
        yield f"{path or '<root>'}: no type"
    elif schema["type"] not in ("object", "array", "string", "integer", "number", "boolean"):
        yield f"{path or '<root>'}: type {schema['type']!r}"
    if "properties" in schema and "additionalProperties" in schema:
        yield f"{path or '<root>'}: properties beside additionalProperties"
    if schema.get("type") == "array" and "items" not in schema:
        yield f"{path or '<root>'}: array without items"
    for name, sub in schema.get("properties", {}).items():
        yield from problems(sub, f"{path}.{name}")
    if isinstance(schema.get("additionalProperties"), Mapping):
        yield from problems(schema["additionalProperties"], f"{path}.*")
    if isinstance(schema.get("items"), Mapping):
        yield from problems(schema["items"], f"{path}[]")
