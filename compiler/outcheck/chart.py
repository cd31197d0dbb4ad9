"""Chart.yaml of the umbrella charts: SchemaStore's chart.json, then the rules Helm itself enforces.

SchemaStore's schema is community-written and looser than Helm in places (it accepts ``apiVersion: v3`` and any
version string), so Helm's loader and linter (pkg/chart/v2/metadata.go ``Validate``, pkg/lint/rules/chartfile.go)
decide; relc adds what its umbrella charts need to build reproducibly:

- ``apiVersion: v2`` (Helm 3 charts; dependencies in Chart.yaml are invalid in v1);
- ``version`` is strict SemVer 2 (stricter than ``helm lint``, whose Masterminds parser also takes ``1.2`` or
  ``v1.2.3``; chart repositories and OCI tags sort and compare by SemVer 2);
- every dependency has ``name``, ``version`` and ``repository`` (relc's rule: ``helm dependency build`` needs
  all three to fetch the same chart every time), and no two share a name or alias (Helm's loader);
- ``name`` equals the chart's folder: a *warning* only. Helm 2's linter required it; Helm 3's does not
  (pkg/lint/rules/chartfile.go checks only that a name is present), and Argo CD addresses the chart by path, so
  a differing name breaks nothing - it only makes ``helm package`` archives and folders disagree.
"""

from __future__ import annotations

from typing import Any

import semver
from jsonschema.protocols import Validator

from compiler.diagnostics import Diagnostic, Severity
from compiler.outcheck.documents import RenderedDoc
from compiler.outcheck.errors import schema_diagnostics

AGAINST = "against SchemaStore chart.json"


def check_chart(doc: RenderedDoc, folder: str, schema: Validator) -> list[Diagnostic]:
    """All problems of one Chart.yaml whose folder is named ``folder``."""
    problems = schema_diagnostics(doc, schema, AGAINST)
    data = doc.data
    if not isinstance(data, dict):
        return problems
    problems += _api_version(doc, data)
    problems += _name(doc, data, folder)
    problems += _version(doc, data)
    problems += _dependencies(doc, data)
    return problems


def _api_version(doc: RenderedDoc, data: dict[str, Any]) -> list[Diagnostic]:
    value = data.get("apiVersion")
    if value is None or value == "v2":
        return []
    return [doc.diagnostic(("apiVersion",), f"apiVersion is {value!r}, not 'v2'", "Helm 3 charts use apiVersion v2")]


def _name(doc: RenderedDoc, data: dict[str, Any], folder: str) -> list[Diagnostic]:
    name = data.get("name")
    if not isinstance(name, str) or name == folder:
        return []
    return [
        doc.diagnostic(
            ("name",),
            f"chart name '{name}' does not match its folder '{folder}'",
            "name the chart after its folder (Helm 2's rule; Helm 3 accepts it, so this is a warning)",
            severity=Severity.WARNING,
        )
    ]


def _version(doc: RenderedDoc, data: dict[str, Any]) -> list[Diagnostic]:
    version = data.get("version")
    if not isinstance(version, str) or semver.Version.is_valid(version):
        return []
    return [
        doc.diagnostic(
            ("version",),
            f"version '{version}' is not SemVer 2 (MAJOR.MINOR.PATCH[-pre][+build])",
            "Helm requires a strict semantic version, e.g. 1.4.0",
        )
    ]


def _dependencies(doc: RenderedDoc, data: dict[str, Any]) -> list[Diagnostic]:
    deps = data.get("dependencies")
    if not isinstance(deps, list):
        return []
    problems: list[Diagnostic] = []
    seen: set[str] = set()
    for index, dep in enumerate(deps):
        if not isinstance(dep, dict):
            continue
        for field in ("name", "version", "repository"):
            if not dep.get(field):
                problems.append(
                    doc.diagnostic(
                        ("dependencies", index),
                        f"dependency has no {field}",
                        "give every dependency name, version and repository so helm dependency build is reproducible",
                        key=True,
                    )
                )
        handle = dep.get("alias") or dep.get("name")
        if isinstance(handle, str) and handle in seen:
            problems.append(
                doc.diagnostic(
                    ("dependencies", index),
                    f"more than one dependency is named or aliased '{handle}'",
                    "Helm refuses the chart: give each dependency a distinct alias",
                    key=True,
                )
            )
        if isinstance(handle, str):
            seen.add(handle)
    return problems
