"""Built-in Kubernetes kinds against the OpenAPI-derived JSON Schemas kubernetes-validate ships.

We use its ``-strict`` variants (every object closed: an unknown field is an error, as under kubectl's strict
field validation) for one pinned Kubernetes version, :data:`KUBERNETES_VERSION`, the oldest minor the fleet's
clusters may run; kubeconform is given the same version, so both paths agree. The schema files are read through
:mod:`compiler.outcheck.discover`; the validators are built once per kind and run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator
from referencing import Registry, Resource

KUBERNETES_VERSION = "1.30.0"

# API groups served by Kubernetes itself: the legacy un-dotted ones and *.k8s.io (minus CRD-based projects).
_LEGACY_GROUPS = frozenset({"", "apps", "batch", "autoscaling", "policy", "extensions"})
_NOT_BUILTIN = frozenset({"gateway.networking.k8s.io", "snapshot.storage.k8s.io"})

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


class BuiltinSchemas:
    """Validators for built-in kinds, built lazily: most runs see a dozen kinds out of six hundred."""

    def __init__(self, read: SchemaReader, kubernetes_version: str = KUBERNETES_VERSION) -> None:
        self._read = read
        self.kubernetes_version = kubernetes_version
        self._registry: Registry[Any] | None = None
        self._validators: dict[str, Validator | None] = {}

    def validator(self, api_version: str, kind: str) -> Validator | None:
        """The strict validator of ``apiVersion``/``kind``, or None when Kubernetes has no such kind."""
        group, _ = split_api_version(api_version)
        if not is_builtin_group(group):
            return None
        name = schema_file(api_version, kind)
        if name not in self._validators:
            schema = self._read(self.kubernetes_version, name)
            self._validators[name] = None if schema is None else self._build(schema)
        return self._validators[name]

    def _build(self, schema: dict[str, Any]) -> Validator:
        if self._registry is None:
            definitions = self._read(self.kubernetes_version, "_definitions.json")
            if definitions is None:
                raise FileNotFoundError(f"kubernetes-validate has no schemas for Kubernetes {self.kubernetes_version}")
            self._registry = Resource.from_contents(definitions) @ Registry()
        return Draft202012Validator(schema, registry=self._registry)
