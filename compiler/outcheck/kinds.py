"""Which schema judges a document: a CRD relc rendered, a CRD relc ships (Argo CD, Gateway API), or Kubernetes.

Order matters: a CRD names its own group, so CRDs are consulted before the built-in schemas, and a kind found in
none of them is reported (no schema means no check, and an unchecked manifest is how typos reach a cluster).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError

from compiler.outcheck.builtin import BuiltinSchemas, split_api_version
from compiler.outcheck.errors import Checker
from compiler.outcheck.fastpath import TwoStage
from compiler.render.crdschema import crd_schema_files, schema_file_name, translatable

CRD_API_VERSION = "apiextensions.k8s.io/v1"
RENDERED_LABEL = "its CRD in rendered/"


@dataclass(frozen=True, slots=True)
class ShippedFamily:
    """CRDs shipped as package data for one API group; ``label`` names them (with version) in messages."""

    folder: str
    group: str
    label: str


SHIPPED = (
    ShippedFamily("argocd", "argoproj.io", "Argo CD 3.6.0 CRD"),
    ShippedFamily("gateway-api", "gateway.networking.k8s.io", "Gateway API v1.6.1 CRD"),
)


@dataclass(frozen=True, slots=True)
class Choice:
    validator: Checker
    against: str


def is_crd(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and data.get("apiVersion") == CRD_API_VERSION
        and data.get("kind") == ("CustomResourceDefinition")
    )


def usable_schema_files(crds: Iterable[Mapping[str, Any]]) -> dict[str, bytes]:
    """The schemas ``crds`` define; a malformed CRD or schema defines none (its own check reports it)."""
    files: dict[str, bytes] = {}
    for name, raw in crd_schema_files(c for c in crds if translatable(c)).items():
        try:
            Draft7Validator.check_schema(json.loads(raw))
        except SchemaError:
            continue
        files[name] = raw
    return files


class Catalogue:
    """Finds the schema for (apiVersion, kind); shipped CRD families are loaded on first use of their group."""

    def __init__(
        self,
        builtin: BuiltinSchemas,
        rendered_crds: Iterable[Mapping[str, Any]],
        read_shipped: Callable[[str], list[dict[str, Any]]],
    ) -> None:
        self.builtin = builtin
        self._read_shipped = read_shipped
        self._schemas: dict[str, tuple[bytes, str]] = {}
        self._validators: dict[str, TwoStage] = {}
        self._loaded: set[str] = set()
        self.add_crds(rendered_crds, RENDERED_LABEL)

    def add_crds(self, crds: Iterable[Mapping[str, Any]], label: str) -> None:
        for name, raw in usable_schema_files(crds).items():
            self._schemas.setdefault(name, (raw, label))

    def shipped_schema_files(self) -> dict[str, bytes]:
        """The shipped CRDs' schemas in kubeconform's layout (relc's own are in rendered/schemas/ already)."""
        for family in SHIPPED:
            self._load(family)
        labels = {family.label for family in SHIPPED}
        return {name: raw for name, (raw, label) in self._schemas.items() if label in labels}

    def choose(self, api_version: str, kind: str) -> Choice | None:
        group, version = split_api_version(api_version)
        for family in SHIPPED:
            if family.group == group:
                self._load(family)
        name = schema_file_name(group, kind, version)
        if name in self._schemas:
            raw, label = self._schemas[name]
            if name not in self._validators:
                schema = json.loads(raw)
                self._validators[name] = TwoStage(schema, Draft7Validator(schema))
            return Choice(self._validators[name], label)
        validator = self.builtin.validator(api_version, kind)
        if validator is not None:
            return Choice(validator, f"Kubernetes {self.builtin.kubernetes_version} strict schema")
        return None

    def _load(self, family: ShippedFamily) -> None:
        if family.folder not in self._loaded:
            self._loaded.add(family.folder)
            self.add_crds(self._read_shipped(family.folder), family.label)
