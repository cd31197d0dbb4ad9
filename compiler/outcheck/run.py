"""``relc validate --rendered``: read rendered/, pick the validator (kubeconform or embedded), collect diagnostics.

With kubeconform, it judges the manifest files whose documents are well-formed; everything kubeconform does not
know (Chart.yaml, schema files, JSON manifests, malformed documents) stays with the embedded validator, so every
document is checked exactly once either way.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft7Validator

from compiler.diagnostics import Diagnostic, UsageError
from compiler.outcheck import kubeconform, sem_argo, sem_defaults, sem_kube, sem_lifecycle, sem_routing
from compiler.outcheck.builtin import KUBERNETES_VERSION, BuiltinSchemas
from compiler.outcheck.check import Sorted, check_embedded, shape_problems, sort_documents
from compiler.outcheck.discover import kubernetes_schema, read_rendered, shipped_crds, shipped_json
from compiler.outcheck.documents import RenderedDoc
from compiler.outcheck.kinds import Catalogue, is_crd
from compiler.render.conventions import SCHEMAS_DIR


@dataclass(frozen=True, slots=True)
class RenderedCheck:
    """What to check and how: ``kubeconform`` is the resolved executable, or None for the embedded validator."""

    rendered: Path
    shown_prefix: str
    kubeconform: Path | None = None
    kubernetes_version: str = KUBERNETES_VERSION


def check_rendered(job: RenderedCheck) -> list[Diagnostic]:
    if not job.rendered.is_dir():
        raise UsageError(
            f"rendered folder '{job.rendered}' does not exist",
            "run 'relc compile' first, or pass --rendered-dir",
        )
    files, problems = read_rendered(job.rendered, job.shown_prefix)
    docs = sort_documents(files)
    read_shipped = functools.cache(shipped_crds)  # the schema and the semantic checks read the same CRDs
    problems += sem_lifecycle.check(docs.manifests)  # RLC809-RLC811: routes on day 2
    problems += sem_argo.check(docs.manifests)  # RLC807-RLC808: Argo CD names and generate paths
    catalogue = Catalogue(
        BuiltinSchemas(kubernetes_schema, job.kubernetes_version),
        [d.data for d in docs.manifests if is_crd(d.data)],
        read_shipped,
    )
    chart_schema = Draft7Validator(shipped_json("helm", "chart.json"))
    problems += sem_routing.check(docs.manifests) + sem_defaults.check(docs.manifests, read_shipped)
    problems += sem_kube.check(docs.manifests)
    if job.kubeconform is None:
        return problems + check_embedded(docs, catalogue, chart_schema)
    delegated = _delegable(docs)
    embedded = check_embedded(docs, catalogue, chart_schema, lambda s: _not_delegated(s, delegated))
    by_path = {str(job.rendered / rel): file_docs for rel, file_docs in delegated.items()}
    report = kubeconform.run(
        job.kubeconform,
        [job.rendered / rel for rel in delegated],
        job.rendered / SCHEMAS_DIR,
        catalogue.shipped_schema_files(),
        job.kubernetes_version,
    )
    return problems + embedded + kubeconform.diagnostics_from_report(report, by_path)


def _delegable(docs: Sorted) -> dict[str, list[RenderedDoc]]:
    """YAML manifest files whose every document parses and is well-formed: kubeconform can judge them whole."""
    by_file: dict[str, list[RenderedDoc]] = defaultdict(list)
    for doc in docs.manifests:
        by_file[doc.file.rel].append(doc)
    return {
        rel: file_docs
        for rel, file_docs in sorted(by_file.items())
        if not rel.endswith(".json") and rel not in docs.unreadable and not any(shape_problems(d) for d in file_docs)
    }


def _not_delegated(docs: Sorted, delegated: dict[str, list[RenderedDoc]]) -> list[RenderedDoc]:
    return [d for d in docs.manifests if d.file.rel not in delegated]
