"""RLC809 to RLC811: what the rendered tree says about routes on day 2, checked on the documents themselves.

Why on rendered/ and not only on the fleet: these are the defects Argo CD would carry out — a route whose
backend namespace no Application deploys (the tenant gets 503s, or worse, a namespace being pruned), a dry-run
tenant routed to code its schemas do not match, a removed tenant still reachable. The check reads only what the
tree carries (kinds, labels, namespaces), so it judges a hand-edited or stale tree as well as a fresh one.

- RLC809: an HTTPRoute's backend namespace is not the destination of one of its Instance's Applications of a
  deployed bundle (labelled ``relc.dev/candidate``);
- RLC810: a dry-run tenant (a TenantSchemaVersion with ``dryRun: true``) whose TenantProvisionJob does not name
  its serving candidate (label ``relc.dev/serving-candidate``), or whose HTTPRoutes point at another candidate;
- RLC811: a removed tenant (its folder holds deprovision Jobs) with an HTTPRoute or a routing-table entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from compiler.diagnostics import Diagnostic
from compiler.load.documents import field_path
from compiler.load.yamlread import FieldPath
from compiler.outcheck.documents import RenderedDoc
from compiler.render.conventions import LABEL_CANDIDATE, LABEL_INSTANCE, LABEL_SERVING, LABEL_TENANT
from compiler.render.routing import LABEL_ROUTING_TABLE

DEPROVISION = "deprovision"
"""``app.kubernetes.io/component`` of a removed tenant's deprovision Jobs and CronJobs (compiler.render.jobs)."""
COMPONENT = "app.kubernetes.io/component"

Key = tuple[str, str]
"""(instance, tenant)"""


@dataclass(slots=True)
class _Tree:
    deployed: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """instance → namespaces its bundle Applications deploy into"""
    routes: dict[Key, list[RenderedDoc]] = field(default_factory=lambda: defaultdict(list))
    tables: list[RenderedDoc] = field(default_factory=list)
    provision: dict[Key, RenderedDoc] = field(default_factory=dict)
    dry_run: set[Key] = field(default_factory=set)
    removed: set[Key] = field(default_factory=set)


def check(manifests: Iterable[RenderedDoc]) -> list[Diagnostic]:
    tree = _read(manifests)
    return [*_undeployed(tree), *_dry_runs(tree), *_removed(tree)]


def _labels(data: dict[str, Any]) -> dict[str, Any]:
    meta = data.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return labels if isinstance(labels, dict) else {}


def _read(manifests: Iterable[RenderedDoc]) -> _Tree:
    tree = _Tree()
    for doc in manifests:
        data = doc.data
        if not isinstance(data, dict):
            continue
        kind, labels = data.get("kind"), _labels(data)
        instance, tenant = str(labels.get(LABEL_INSTANCE, "")), str(labels.get(LABEL_TENANT, ""))
        raw_spec = data.get("spec")
        spec: dict[str, Any] = raw_spec if isinstance(raw_spec, dict) else {}
        if kind == "Application" and LABEL_CANDIDATE in labels:
            destination = spec.get("destination")
            if isinstance(destination, dict) and isinstance(destination.get("namespace"), str):
                tree.deployed[instance].add(destination["namespace"])
        elif kind == "HTTPRoute" and tenant:
            tree.routes[(instance, tenant)].append(doc)
        elif kind == "ConfigMap" and str(labels.get(LABEL_ROUTING_TABLE)) == "true":
            tree.tables.append(doc)
        elif kind == "TenantProvisionJob" and tenant:
            tree.provision[(instance, tenant)] = doc
        elif kind == "TenantSchemaVersion" and tenant and spec.get("dryRun") is True:
            tree.dry_run.add((instance, tenant))
        elif kind in ("Job", "CronJob") and tenant and labels.get(COMPONENT) == DEPROVISION:
            tree.removed.add((instance, tenant))
    return tree


def _diagnostic(doc: RenderedDoc, path: FieldPath, code: str, message: str, hint: str) -> Diagnostic:
    line, column = doc.position(path)
    return Diagnostic(doc.file.shown, line, column, code, message, hint, field_path(path))


def _backends(doc: RenderedDoc) -> Iterator[tuple[FieldPath, str]]:
    """(path, namespace) of each backendRef of an HTTPRoute."""
    spec = doc.data.get("spec")
    rules = spec.get("rules") if isinstance(spec, dict) else None
    for r, rule in enumerate(rules if isinstance(rules, list) else []):
        refs = rule.get("backendRefs") if isinstance(rule, dict) else None
        for b, ref in enumerate(refs if isinstance(refs, list) else []):
            if isinstance(ref, dict) and isinstance(ref.get("namespace"), str):
                yield ("spec", "rules", r, "backendRefs", b, "namespace"), ref["namespace"]


def _undeployed(tree: _Tree) -> Iterator[Diagnostic]:
    for (instance, tenant), docs in sorted(tree.routes.items()):
        deployed = tree.deployed.get(instance, set())
        for doc in docs:
            for path, namespace in _backends(doc):
                if namespace in deployed:
                    continue
                yield _diagnostic(
                    doc,
                    path,
                    "RLC809",
                    f"HTTPRoute of tenant '{tenant}' sends requests to namespace '{namespace}', which no Application "
                    f"of instance '{instance}' deploys",
                    "a route may only point at a deployed candidate: keep the candidate deployed (a pin or "
                    "warmCandidates) until no route points at it, then run relc compile",
                )


def _dry_runs(tree: _Tree) -> Iterator[Diagnostic]:
    for key in sorted(tree.dry_run):
        provision = tree.provision.get(key)
        if provision is None:
            continue
        serving = _labels(provision.data).get(LABEL_SERVING)
        if not isinstance(serving, str):
            yield _diagnostic(
                provision,
                ("metadata", "labels"),
                "RLC810",
                f"dry-run tenant '{key[1]}' of instance '{key[0]}' does not say which candidate serves it "
                f"(label {LABEL_SERVING})",
                "run relc compile: a dry-run tenant's TenantProvisionJob names the candidate its routes stay on",
            )
            continue
        for doc in tree.routes.get(key, []):
            candidate = _labels(doc.data).get(LABEL_CANDIDATE)
            if candidate == serving:
                continue
            yield _diagnostic(
                doc,
                ("metadata", "labels", LABEL_CANDIDATE),
                "RLC810",
                f"dry-run tenant '{key[1]}' is routed to candidate '{candidate}', but '{serving}' serves it: its "
                "dry-run migrations left its schemas as they were",
                f"route it to '{serving}' (spec.servingCandidate of the tenant), then run relc compile",
            )


def _removed(tree: _Tree) -> Iterator[Diagnostic]:
    hint = "a removed tenant is routed nowhere: run relc compile, which renders only its deprovision Jobs"
    for key in sorted(tree.removed):
        for doc in tree.routes.get(key, []):
            yield _diagnostic(
                doc, ("metadata", "name"), "RLC811", f"removed tenant '{key[1]}' still has an HTTPRoute", hint
            )
    for doc in tree.tables:
        data = doc.data.get("data")
        instance = str(_labels(doc.data).get(LABEL_INSTANCE, ""))
        for tenant in sorted(data if isinstance(data, dict) else {}):
            if (instance, tenant) in tree.removed:
                yield _diagnostic(
                    doc,
                    ("data", tenant),
                    "RLC811",
                    f"removed tenant '{tenant}' is still in the routing table",
                    hint,
                )
