"""CustomResourceDefinition schemas → JSON Schema files in kubeconform's layout.

A CRD's ``openAPIV3Schema`` is OpenAPI 3.0 with Kubernetes' structural-schema extensions, not JSON Schema. The
API server reads it with rules a plain JSON Schema validator does not know, so we translate:

- an object's fields are closed unless it says ``x-kubernetes-preserve-unknown-fields: true`` (the API server
  prunes unknown fields, and rejects them under strict field validation, kubectl's default), so every
  structural object gets ``additionalProperties: false`` - except inside ``allOf``/``anyOf``/``oneOf``/``not``,
  which only add constraints to fields the structural part already declares;
- ``x-kubernetes-int-or-string: true`` accepts an integer or a string;
- ``nullable: true`` also accepts ``null``;
- ``x-kubernetes-embedded-resource: true`` implicitly declares ``apiVersion``, ``kind`` and ``metadata``;
- OpenAPI 3.0's boolean ``exclusiveMinimum``/``exclusiveMaximum`` become JSON Schema's numeric ones;
- at the root, ``apiVersion`` is fixed to the CRD's group/version, ``kind`` to its kind, and ``metadata`` is an
  open object (the API server validates ObjectMeta itself; a CRD may only narrow it).

CEL rules (``x-kubernetes-validations``) and list-map key uniqueness are not evaluated: no maintained Python
library runs Kubernetes CEL. The same translated files serve kubeconform and the embedded validator, so both
paths judge custom resources by identical schemas.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

JSON_SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"

# OpenAPI keywords with the same meaning in JSON Schema draft-07, copied as they are.
_SAME = (
    "description",
    "title",
    "default",
    "enum",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
    "minProperties",
    "maxProperties",
    "required",
)
_JUNCTORS = ("allOf", "anyOf", "oneOf")


class NotACRD(ValueError):
    """A manifest handed to :func:`crd_schema_files` is not an apiextensions.k8s.io/v1 CustomResourceDefinition."""


def to_json_schema(schema: Mapping[str, Any], *, structural: bool = True) -> dict[str, Any]:
    """Translate one OpenAPI v3 (structural) schema node, recursively, to JSON Schema draft-07.

    ``structural`` is False below a logical junctor, where objects must stay open (see the module docstring).
    A malformed node (not a mapping) becomes ``{}``: the CRD itself is reported by Kubernetes' CRD schema.
    """
    if not isinstance(schema, Mapping):
        return {}
    out: dict[str, Any] = {key: schema[key] for key in _SAME if key in schema}
    _copy_type(schema, out)
    _copy_bounds(schema, out)
    if isinstance(schema.get("properties"), Mapping):
        out["properties"] = {
            name: to_json_schema(sub, structural=structural) for name, sub in schema["properties"].items()
        }
    if "items" in schema and isinstance(schema["items"], Mapping):
        out["items"] = to_json_schema(schema["items"], structural=structural)
    for junctor in _JUNCTORS:
        if isinstance(schema.get(junctor), list):
            out[junctor] = [to_json_schema(sub, structural=False) for sub in schema[junctor]]
    if "not" in schema:
        out["not"] = to_json_schema(schema["not"], structural=False)
    if schema.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True
    if schema.get("x-kubernetes-embedded-resource"):
        _declare_embedded(out)
    _close_or_open(schema, out, structural)
    return out


def _copy_type(schema: Mapping[str, Any], out: dict[str, Any]) -> None:
    """``type`` with int-or-string and nullable folded in."""
    if schema.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
    elif "type" in schema:
        out["type"] = schema["type"]
    if schema.get("nullable") and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]


def _copy_bounds(schema: Mapping[str, Any], out: dict[str, Any]) -> None:
    """OpenAPI 3.0's ``exclusiveMinimum: true`` next to ``minimum`` is draft-07's ``exclusiveMinimum: <n>``."""
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        flag = schema.get(exclusive)
        if flag is True and bound in schema:
            out[exclusive] = out.pop(bound)
        elif isinstance(flag, int | float) and not isinstance(flag, bool):
            out[exclusive] = flag


def _declare_embedded(out: dict[str, Any]) -> None:
    props = out.setdefault("properties", {})
    props.setdefault("apiVersion", {"type": "string"})
    props.setdefault("kind", {"type": "string"})
    props.setdefault("metadata", {"type": "object"})


def _close_or_open(schema: Mapping[str, Any], out: dict[str, Any], structural: bool) -> None:
    """Pruning semantics: a structural object accepts only the fields it declares, unless told to keep them."""
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        out["additionalProperties"] = to_json_schema(extra, structural=structural)
        return
    if isinstance(extra, bool):
        out["additionalProperties"] = extra
        return
    if schema.get("x-kubernetes-preserve-unknown-fields") or not structural:
        return
    if schema.get("type") == "object" or "properties" in schema:
        out["additionalProperties"] = False


def resource_schema(group: str, kind: str, version: str, openapi: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one served version of a custom resource, root rules applied."""
    root = to_json_schema(openapi)
    props = root.setdefault("properties", {})
    props["apiVersion"] = {"type": "string", "enum": [f"{group}/{version}"]}
    props["kind"] = {"type": "string", "enum": [kind]}
    declared = props.get("metadata", {})
    props["metadata"] = {key: value for key, value in declared.items() if key != "additionalProperties"}
    props["metadata"]["type"] = "object"
    root["required"] = sorted({*root.get("required", []), "apiVersion", "kind"})
    root["type"] = "object"
    return {"$schema": JSON_SCHEMA_DIALECT, **root}


def schema_file_name(group: str, kind: str, version: str) -> str:
    """kubeconform's ``{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`` (ResourceKind is lower-case)."""
    return f"{group}/{kind.lower()}_{version}.json"


def translatable(crd: Any) -> bool:
    """Whether ``crd`` has the shape :func:`crd_schema_files` reads (group, kind, named versions).

    A CRD without it is still checked, against Kubernetes' own CRD schema; it just defines no resource schema.
    """
    if not isinstance(crd, Mapping) or crd.get("apiVersion") != "apiextensions.k8s.io/v1":
        return False
    spec = crd.get("spec")
    if crd.get("kind") != "CustomResourceDefinition" or not isinstance(spec, Mapping):
        return False
    names, versions = spec.get("names"), spec.get("versions")
    return (
        isinstance(spec.get("group"), str)
        and isinstance(names, Mapping)
        and isinstance(names.get("kind"), str)
        and isinstance(versions, list)
        and all(isinstance(v, Mapping) and isinstance(v.get("name"), str) for v in versions)
        and all(isinstance(v.get("schema", {}), Mapping) for v in versions)
    )


def crd_schema_files(crd_manifests: Iterable[Mapping[str, Any]]) -> dict[str, bytes]:
    """JSON Schema files for every version of every CRD, keyed by their path in kubeconform's layout.

    The render engineers write these files under ``rendered/schemas/`` (``compiler.render.conventions.SCHEMAS_DIR``)
    by calling this function with the CRD manifests relc generates into ``rendered/crds/``: the result maps
    ``<group>/<kind lower-case>_<version>.json`` to the file's bytes. ``relc validate --rendered`` and kubeconform
    (``-schema-location 'rendered/schemas/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'``) then
    validate relc's custom resources against them. Output is deterministic (sorted keys, two-space indent,
    trailing newline), so rendered/ diffs cleanly. Raises :class:`NotACRD` for any other manifest.
    """
    files: dict[str, bytes] = {}
    for crd in crd_manifests:
        if crd.get("apiVersion") != "apiextensions.k8s.io/v1" or crd.get("kind") != "CustomResourceDefinition":
            raise NotACRD(f"not an apiextensions.k8s.io/v1 CustomResourceDefinition: {crd.get('kind')!r}")
        spec = crd["spec"]
        for version in spec.get("versions", []):
            openapi = version.get("schema", {}).get("openAPIV3Schema")
            if openapi is None:
                continue
            schema = resource_schema(spec["group"], spec["names"]["kind"], version["name"], openapi)
            name = schema_file_name(spec["group"], spec["names"]["kind"], version["name"])
            files[name] = (json.dumps(schema, indent=2, sort_keys=True) + "\n").encode()
    return files
