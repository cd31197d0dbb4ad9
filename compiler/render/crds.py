"""The four CustomResourceDefinitions of tenancy.relc.dev, generated from compiler.model.crds.

One file per CRD under crds/ (``crds/<plural>.<group>.yaml``), synced first (wave WAVE_CRDS) and never pruned
by Argo CD: deleting a CRD deletes every custom resource of its kind, which must never follow from a
rendering change. Their JSON Schemas go to schemas/ in kubeconform's layout for ``relc validate --rendered``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel

from compiler.model.crds import (
    AppProvisionJobSpec,
    MigrationControllerConfigSpec,
    MigrationControllerConfigStatus,
    ProvisionStatus,
    TenantProvisionJobSpec,
    TenantSchemaVersionSpec,
    TenantSchemaVersionStatus,
)
from compiler.render.context import RenderContext
from compiler.render.conventions import CRD_GROUP, CRD_VERSION, CRDS_DIR, MANAGED_BY, SCHEMAS_DIR, SYNC_WAVE, WAVE_CRDS
from compiler.render.crdschema import crd_schema_files
from compiler.render.output import Manifest, RenderedFile
from compiler.render.structural import Schema, structural


@dataclass(frozen=True, slots=True)
class Column:
    """One ``kubectl get`` column."""

    name: str
    json_path: str
    type: str = "string"
    priority: int = 0


@dataclass(frozen=True, slots=True)
class CrdDef:
    kind: str
    plural: str
    short_names: tuple[str, ...]
    namespaced: bool
    spec: type[BaseModel]
    status: type[BaseModel]
    columns: tuple[Column, ...]

    @property
    def name(self) -> str:
        return f"{self.plural}.{CRD_GROUP}"

    @property
    def singular(self) -> str:
        return self.kind.lower()


_AGE = Column("Age", ".metadata.creationTimestamp", "date")
_PHASE = Column("Phase", ".status.phase")

TENANT_PROVISION_JOB = CrdDef(
    "TenantProvisionJob",
    "tenantprovisionjobs",
    ("tpj",),
    True,
    TenantProvisionJobSpec,
    ProvisionStatus,
    (Column("Tenant", ".spec.tenant"), Column("Database", ".spec.database"), _PHASE, _AGE),
)
APP_PROVISION_JOB = CrdDef(
    "AppProvisionJob",
    "appprovisionjobs",
    ("apj",),
    True,
    AppProvisionJobSpec,
    ProvisionStatus,
    (
        Column("Tenant", ".spec.tenant"),
        Column("App", ".spec.app"),
        Column("Country", ".spec.country"),
        Column("Database", ".spec.database"),
        _PHASE,
        _AGE,
    ),
)
TENANT_SCHEMA_VERSION = CrdDef(
    "TenantSchemaVersion",
    "tenantschemaversions",
    ("tsv",),
    True,
    TenantSchemaVersionSpec,
    TenantSchemaVersionStatus,
    (
        Column("Tenant", ".spec.tenant"),
        Column("Service", ".spec.service"),
        Column("Schema", ".spec.schema"),
        Column("Database", ".spec.database", priority=1),
        Column("Desired", ".spec.desiredVersion"),
        Column("Current", ".status.currentVersion"),
        _PHASE,
        Column("DryRun", ".spec.dryRun", "boolean", priority=1),
        _AGE,
    ),
)
MIGRATION_CONTROLLER_CONFIG = CrdDef(
    "MigrationControllerConfig",
    "migrationcontrollerconfigs",
    ("mcc",),
    False,
    MigrationControllerConfigSpec,
    MigrationControllerConfigStatus,
    (
        Column("Cluster", ".spec.cluster"),
        Column("Concurrency", ".spec.concurrency", "integer"),
        Column("Timeout", ".spec.timeout"),
        Column("Retries", ".spec.retries", "integer"),
        _AGE,
    ),
)
CRDS = (TENANT_PROVISION_JOB, APP_PROVISION_JOB, TENANT_SCHEMA_VERSION, MIGRATION_CONTROLLER_CONFIG)


def _model_schema(model: type[BaseModel]) -> Schema:
    return structural(model.model_json_schema(by_alias=True, mode="validation"))


def open_api_schema(crd: CrdDef) -> Schema:
    """The whole object's schema: spec required, status written only through the status subresource."""
    return {
        "type": "object",
        "description": f"{crd.kind}: {crd.spec.__doc__ or ''}".strip(),
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": _model_schema(crd.spec),
            "status": _model_schema(crd.status),
        },
    }


def crd_manifest(crd: CrdDef) -> Manifest:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": crd.name,
            "labels": dict(MANAGED_BY),
            "annotations": {SYNC_WAVE: WAVE_CRDS, "argocd.argoproj.io/sync-options": "Prune=false"},
        },
        "spec": {
            "group": CRD_GROUP,
            "scope": "Namespaced" if crd.namespaced else "Cluster",
            "names": {
                "kind": crd.kind,
                "listKind": f"{crd.kind}List",
                "plural": crd.plural,
                "singular": crd.singular,
                "shortNames": list(crd.short_names),
                "categories": ["relc"],
            },
            "versions": [
                {
                    "name": CRD_VERSION,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": open_api_schema(crd)},
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [_column(c) for c in crd.columns],
                }
            ],
        },
    }


def _column(column: Column) -> Manifest:
    out: Manifest = {"name": column.name, "type": column.type, "jsonPath": column.json_path}
    if column.priority:
        out["priority"] = column.priority
    return out


@cache
def crd_manifests() -> tuple[Manifest, ...]:
    """Fleet-independent, so computed once per process (callers must not mutate the result)."""
    return tuple(crd_manifest(c) for c in CRDS)


def render(ctx: RenderContext) -> Iterator[RenderedFile]:
    """crds/<plural>.<group>.yaml for each CRD, and their JSON Schemas under schemas/."""
    del ctx  # the CRDs do not depend on the fleet
    manifests = crd_manifests()
    for crd, manifest in zip(CRDS, manifests, strict=True):
        yield RenderedFile(f"{CRDS_DIR}/{crd.name}.yaml", (manifest,))
    for path, content in sorted(crd_schema_files(manifests).items()):
        yield RenderedFile(f"{SCHEMAS_DIR}/{path}", raw=content)
