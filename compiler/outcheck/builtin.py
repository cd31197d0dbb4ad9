"""Built-in Kubernetes kinds against the OpenAPI-derived JSON Schemas kubernetes-validate ships.

We use its ``-strict`` variants (every object closed: an unknown field is an error, as under kubectl's strict
field validation) for one pinned Kubernetes version, :data:`KUBERNETES_VERSION`, the oldest minor the fleet's
clusters may run; kubeconform is given the same version, so both paths agree. The schema files are read through
:mod:`compiler.outcheck.discover`; the validators are built once per kind and run.

A fleet renders thousands of Jobs, ServiceAccounts and ConfigMaps, so each kind's validator sits behind the
compiled pre-check of :mod:`compiler.outcheck.fastpath`. fastjsonschema cannot follow the schemas' ``$ref`` into
the separate ``_definitions.json`` (resolved here through a ``referencing`` registry), so it is given
:func:`self_contained`: the kind's schema with the bundle's ``$defs`` beside it and every ``$ref`` made local.
The keywords the bundle uses (type, properties, additionalProperties, items, required, enum, oneOf, format) mean
the same under draft 2020-12 and draft-07, and ``format`` is not asserted by either stage.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from compiler.outcheck.errors import Checker
from compiler.outcheck.fastpath import TwoStage

KUBERNETES_VERSION = "1.30.0"

# API groups served by Kubernetes itself: the legacy un-dotted ones and *.k8s.io (minus CRD-based projects).
_LEGACY_GROUPS = frozenset({"", "apps", "batch", "autoscaling", "policy", "extensions"})
_NOT_BUILTIN = frozenset({"gateway.networking.k8s.io", "snapshot.storage.k8s.io"})
_DEFS_REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/")
_DRAFT_07 = "http://json-schema.org/draft-07/schema#"

SchemaReader = Callable[[str, str], dict[str, Any] | None]


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` → (``apps``, ``v1``); ``v1`` → (``""``, ``v1``)."""
    group, _, version = api_version.rpartition("/")
    return group, version


def is_builtin_group(group: str) -> bool:
    return group in _LEGACY_GROUPS or (group.endswith(".k8s.io") and group not in _NOT_BUILTIN)


def schema_file(api_version: str, kind: str) -> str:
    """kubernetes-validate's file name: ``rbac.authorization.k8s.io/v1`` Role → ``role-rbac-v1.json``."""
    short = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{short}.json"


def _local_refs(node: Any) -> Any:
    """``node`` with each ``$ref`` into the bundle made local; a ``$ref`` with validating siblings (draft-07
    would ignore them) is wrapped in ``allOf`` so they still apply."""
    if isinstance(node, list):
        return [_local_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _local_refs(value) for key, value in node.items() if key != "$ref"}
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return out
    if not _DEFS_REF.match(ref):
        raise ValueError(f"a $ref outside the definitions bundle: {ref}")
    local = {"$ref": _DEFS_REF.sub("#/$defs/", ref, count=1)}
    if any(key != "description" and not key.startswith("x-kubernetes-") for key in out):
        return {**out, "allOf": [local]}
    return local


def self_contained(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any] | None:
    """``schema`` as one draft-07 document for fastjsonschema: the bundle's ``$defs`` inlined, refs local; None
    when the schema refers outside the bundle (then jsonschema alone judges that kind)."""
    body = {key: value for key, value in schema.items() if key not in ("$schema", "$id", "$defs")}
    try:
        return {**_local_refs(body), "$schema": _DRAFT_07, "$defs": _local_refs(definitions.get("$defs", {}))}
    except ValueError:
        return None


class BuiltinSchemas:
    """Validators for built-in kinds, built lazily: most runs see a dozen kinds out of six hundred."""

    def __init__(self, read: SchemaReader, kubernetes_version: str = KUBERNETES_VERSION) -> None:
        self._read = read
        self.kubernetes_version = kubernetes_version
        self._registry: Registry[Any] | None = None
        self._definitions: dict[str, Any] = {}
        self._validators: dict[str, Checker | None] = {}

    def validator(self, api_version: str, kind: str) -> Checker | None:
        """The strict validator of ``apiVersion``/``kind``, or None when Kubernetes has no such kind."""
        group, _ = split_api_version(api_version)
        if not is_builtin_group(group):
            return None
        name = schema_file(api_version, kind)
        if name not in self._validators:
            schema = self._read(self.kubernetes_version, name)
            self._validators[name] = None if schema is None else self._build(schema)
        return self._validators[name]

    def _build(self, schema: dict[str, Any]) -> Checker:
        if self._registry is None:
            definitions = self._read(self.kubernetes_version, "_definitions.json")
            if definitions is None:
                raise FileNotFoundError(f"kubernetes-validate has no schemas for Kubernetes {self.kubernetes_version}")
            self._definitions = definitions
            self._registry = Resource.from_contents(definitions) @ Registry()
        validator = Draft202012Validator(schema, registry=self._registry)
        compilable = self_contained(schema, self._definitions)
        return validator if compilable is None else TwoStage(compilable, validator)
