"""The embedded validator: every rendered document, judged by the schema its role and kind call for.

File roles under rendered/:
- ``Chart.yaml``: a Helm chart's metadata (:mod:`compiler.outcheck.chart`);
- ``values*.yaml`` in a chart folder, and Helm templates (``{{`` inside ``templates/``): not manifests, skipped;
- ``schemas/**.json``: must be well-formed JSON Schemas, one per CRD version in ``crds/`` (kubeconform loads them);
- other ``*.json`` (the registry): checked as manifests only if they look like one (apiVersion, kind, metadata);
- every other YAML document: a Kubernetes manifest, which must carry apiVersion, kind and metadata.name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator

from compiler.diagnostics import Diagnostic
from compiler.outcheck.chart import check_chart
from compiler.outcheck.discover import RENDERED_LIMITS, RenderedText
from compiler.outcheck.documents import RenderedDoc, read_documents
from compiler.outcheck.emitted import EmittedReader
from compiler.outcheck.errors import schema_diagnostics
from compiler.outcheck.kinds import Catalogue, is_crd, usable_schema_files
from compiler.render.conventions import SCHEMAS_DIR

SCHEMAS_PREFIX = f"{SCHEMAS_DIR}/"


@dataclass(slots=True)
class Sorted:
    """Rendered documents by role, and the problems found while reading them."""

    manifests: list[RenderedDoc] = field(default_factory=list)
    charts: list[RenderedDoc] = field(default_factory=list)
    schemas: list[RenderedDoc] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    unreadable: set[str] = field(default_factory=set)  # files (relative to rendered/) with a document that failed


def _chart_folders(rels: Iterable[str]) -> set[PurePosixPath]:
    return {PurePosixPath(rel).parent for rel in rels if PurePosixPath(rel).name == "Chart.yaml"}


def _in_chart(rel: str, charts: set[PurePosixPath]) -> PurePosixPath | None:
    for parent in PurePosixPath(rel).parents:
        if parent in charts:
            return parent
    return None


def _skipped(rel: str, text: str, charts: set[PurePosixPath]) -> bool:
    """Values files and templated Helm templates are not manifests."""
    chart = _in_chart(rel, charts)
    if chart is None:
        return False
    inner = PurePosixPath(rel).relative_to(chart)
    if inner.parts[0] == "templates":
        return "{{" in text
    return inner.name.startswith("values") or inner.parts[0] == "charts"


def sort_documents(files: Iterable[RenderedText]) -> Sorted:
    files = list(files)
    charts = _chart_folders(f.rel for f in files)
    out = Sorted()
    emitted = EmittedReader(RENDERED_LIMITS)
    for file in files:
        if _skipped(file.rel, file.text, charts):
            continue
        docs, problems = read_documents(file, emitted)
        out.problems += problems
        if problems:
            out.unreadable.add(file.rel)
        if PurePosixPath(file.rel).name == "Chart.yaml":
            out.charts += docs
        elif file.rel.startswith(SCHEMAS_PREFIX) and file.rel.endswith(".json"):
            out.schemas += docs
        elif file.rel.endswith(".json"):
            out.manifests += [d for d in docs if _looks_like_manifest(d.data)]
        else:
            out.manifests += docs
    return out


def _looks_like_manifest(data: object) -> bool:
    """JSON data files (the registry) may name an apiVersion/kind of their own; a manifest also has metadata."""
    return isinstance(data, dict) and all(key in data for key in ("apiVersion", "kind", "metadata"))


def shape_problems(doc: RenderedDoc) -> list[Diagnostic]:
    """A manifest must be a mapping naming its apiVersion, kind and metadata.name before any schema applies."""
    data = doc.data
    if not isinstance(data, dict):
        return [doc.diagnostic((), "the document is not a mapping", "a manifest is a mapping with apiVersion and kind")]
    problems = []
    for key in ("apiVersion", "kind"):
        if not isinstance(data.get(key), str) or not data[key]:
            problems.append(
                doc.diagnostic((), f"the document has no {key}", f"every manifest names its {key}; add it", key=True)
            )
    metadata = data.get("metadata")
    if not (isinstance(metadata, dict) and isinstance(metadata.get("name"), str) and metadata["name"]):
        problems.append(doc.diagnostic(("metadata",), "the document has no metadata.name", "name the object", key=True))
    return problems


def check_manifest(doc: RenderedDoc, catalogue: Catalogue) -> list[Diagnostic]:
    problems = shape_problems(doc)
    if problems:
        return problems
    api_version, kind = doc.data["apiVersion"], doc.data["kind"]
    choice = catalogue.choose(api_version, kind)
    if choice is None:
        return [
            doc.diagnostic(
                ("kind",),
                f"no schema for kind {kind} ({api_version})",
                "relc validates only kinds it has schemas for: Kubernetes built-ins, Argo CD, Gateway API HTTPRoute "
                "and ReferenceGrant, and valid CRDs rendered into crds/; fix apiVersion/kind, or render (or fix) "
                "the CRD",
            )
        ]
    return schema_diagnostics(doc, choice.validator, f"against {choice.against}")


def check_schema_file(doc: RenderedDoc) -> list[Diagnostic]:
    try:
        Draft7Validator.check_schema(doc.data)
    except SchemaError as exc:
        return [doc.diagnostic((), f"not a valid JSON Schema: {exc.message}", "regenerate it with crd_schema_files")]
    return []


def check_schema_layout(docs: Sorted) -> list[Diagnostic]:
    """rendered/schemas/ must hold, unchanged, the schema of every CRD in rendered/: kubeconform reads them there.

    A missing file is reported at the CRD, a stale one at the file (compared as JSON, not as bytes).
    """
    present = {d.file.rel.removeprefix(SCHEMAS_PREFIX): d for d in docs.schemas}
    out: list[Diagnostic] = []
    for crd in (d for d in docs.manifests if is_crd(d.data)):
        for name, raw in usable_schema_files([crd.data]).items():
            if name not in present:
                out.append(
                    crd.diagnostic(
                        ("spec",),
                        f"{SCHEMAS_PREFIX}{name} is missing: kubeconform finds this CRD's schema there",
                        "run relc compile: it writes crd_schema_files() of every CRD into rendered/schemas/",
                        key=True,
                    )
                )
            elif present[name].data != json.loads(raw):
                out.append(
                    present[name].diagnostic(
                        (),
                        f"stale: not the schema the CRD in {crd.file.shown} defines",
                        "run relc compile to regenerate rendered/schemas/",
                    )
                )
    return out


def check_charts(charts: Iterable[RenderedDoc], chart_schema: Validator) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for doc in charts:
        out += check_chart(doc, PurePosixPath(doc.file.rel).parent.name, chart_schema)
    return out


def check_embedded(
    sorted_docs: Sorted,
    catalogue: Catalogue,
    chart_schema: Validator,
    manifests: Callable[[Sorted], Iterable[RenderedDoc]] = lambda s: s.manifests,
) -> list[Diagnostic]:
    """Everything the embedded validator judges: charts, schema files, and the manifests ``manifests`` selects."""
    out = list(sorted_docs.problems)
    out += check_charts(sorted_docs.charts, chart_schema)
    out += check_schema_layout(sorted_docs)
    for doc in sorted_docs.schemas:
        out += check_schema_file(doc)
    for doc in manifests(sorted_docs):
        out += check_manifest(doc, catalogue)
    return out
