"""The kubeconform gateway: the one place relc starts a subprocess for output validation.

kubeconform (github.com/yannh/kubeconform) runs as::

    kubeconform -strict -output json -kubernetes-version 1.30.0 \\
      -schema-location default \\
      -schema-location 'rendered/schemas/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json' \\
      -schema-location '<tmp>/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json' FILE...

where ``<tmp>`` holds the shipped CRDs' schemas (Argo CD, Gateway API), written for the run and removed after.
Its JSON report (``{"resources": [{"filename", "kind", "name", "version", "status", "msg",
"validationErrors": [{"path", "msg"}]}]}``; status ``statusInvalid``/``statusError``; valid resources are not
listed) is parsed by :func:`diagnostics_from_report`, which is pure and tested on recorded reports.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from compiler.diagnostics import Diagnostic, EnvironmentFailure, RelcError, UsageError
from compiler.load.yamlread import FieldPath
from compiler.outcheck.builtin import KUBERNETES_VERSION
from compiler.outcheck.discover import CODE
from compiler.outcheck.documents import RenderedDoc

LAYOUT = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"
TIMEOUT_SECONDS = 600


class KubeconformFailed(RelcError):
    """kubeconform ran but did not produce its JSON report: a tool problem, not an invalid output."""

    exit_code = UsageError.exit_code


def command(binary: Path, schema_dirs: Iterable[Path], files: Iterable[Path], kubernetes_version: str) -> list[str]:
    """The command line (kept separate so the README and tests can show exactly what runs)."""
    args = [str(binary), "-strict", "-output", "json", "-kubernetes-version", kubernetes_version]
    args += ["-schema-location", "default"]
    for folder in schema_dirs:
        args += ["-schema-location", f"{folder}/{LAYOUT}"]
    return args + [str(f) for f in files]


def run(
    binary: Path,
    files: list[Path],
    rendered_schemas: Path,
    extra_schemas: Mapping[str, bytes],
    kubernetes_version: str = KUBERNETES_VERSION,
) -> dict[str, Any]:
    """Run kubeconform over ``files`` and return its parsed JSON report."""
    if not files:
        return {"resources": []}
    if not binary.is_file():
        raise UsageError(f"kubeconform not found at '{binary}'", "pass --kubeconform PATH, auto or off")
    with tempfile.TemporaryDirectory(prefix="relc-schemas-") as tmp:
        for name, raw in extra_schemas.items():
            target = Path(tmp, name)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(raw)
            except OSError as exc:  # a full /tmp: write(2) names no file
                raise EnvironmentFailure.of(
                    exc, "write", target, "Schemas for kubeconform go to a temporary folder."
                ) from exc
        args = command(binary, [rendered_schemas, Path(tmp)], files, kubernetes_version)
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired as exc:
            raise KubeconformFailed(f"kubeconform did not finish within {TIMEOUT_SECONDS} s") from exc
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        detail = (done.stderr or done.stdout).strip()[:500]
        raise KubeconformFailed(f"kubeconform (exit {done.returncode}) printed no JSON report: {detail}") from exc
    if not isinstance(report, dict) or not isinstance(report.get("resources"), list):
        raise KubeconformFailed("kubeconform's report has no 'resources' list")
    return report


_NO_SCHEMA = re.compile(r"could not find schema", re.IGNORECASE)
_MSG_PATH = re.compile(r"'(/[^']*)' does not validate")
_UNKNOWN = re.compile(r"additionalProperties '([^']+)' not allowed")


def diagnostics_from_report(
    report: Mapping[str, Any], docs_by_file: Mapping[str, list[RenderedDoc]]
) -> list[Diagnostic]:
    """kubeconform's results → Diagnostics at the document (found by kind and name) and field they concern."""
    out: list[Diagnostic] = []
    for result in report.get("resources", []):
        if not isinstance(result, dict) or result.get("status") not in ("statusInvalid", "statusError"):
            continue
        filename = str(result.get("filename", ""))
        docs = docs_by_file.get(filename, [])
        if not docs:  # never drop a finding: report it on the file kubeconform named
            out.append(Diagnostic(filename, 0, 0, CODE, f"{result.get('msg', '')} (kubeconform)", _UNPLACED))
            continue
        doc = _find(docs, str(result.get("kind", "")), str(result.get("name", "")))
        out += _result_diagnostics(doc, result)
    return out


_UNPLACED = "kubeconform named a file relc did not give it; run kubeconform on it directly to see the details"


def _find(docs: list[RenderedDoc], kind: str, name: str) -> RenderedDoc:
    for doc in docs:
        data = doc.data if isinstance(doc.data, dict) else {}
        meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        if data.get("kind") == kind and isinstance(meta, dict) and meta.get("name") == name:
            return doc
    return docs[0]


def _result_diagnostics(doc: RenderedDoc, result: Mapping[str, Any]) -> list[Diagnostic]:
    msg = str(result.get("msg", ""))
    if result.get("status") == "statusError" and _NO_SCHEMA.search(msg):
        kind = result.get("kind", "?")
        return [
            doc.diagnostic(
                ("kind",),
                f"no schema for kind {kind} (kubeconform: {msg})",
                "fix apiVersion/kind, or render the CRD so its schema lands in rendered/schemas/",
            )
        ]
    errors = [e for e in result.get("validationErrors") or [] if isinstance(e, dict)]
    if not errors:
        found = _MSG_PATH.search(msg)
        errors = [{"path": found.group(1) if found else "", "msg": msg}]
    return [_one(doc, str(e.get("path", "")), str(e.get("msg", msg))) for e in errors]


def _one(doc: RenderedDoc, pointer: str, msg: str) -> Diagnostic:
    path = to_field_path(doc.data, pointer)
    unknown = _UNKNOWN.search(msg)
    if unknown:
        return doc.diagnostic(
            (*path, unknown.group(1)),
            f"unknown field '{unknown.group(1)}' (kubeconform)",
            "remove the field or fix its spelling; the schema does not define it",
            key=True,
        )
    return doc.diagnostic(path, f"{msg} (kubeconform)", "fix the value so it satisfies the schema")


def to_field_path(data: Any, pointer: str) -> FieldPath:
    """A JSON pointer (``/spec/containers/0/image``) → a field path, list indexes as ints."""
    path: list[str | int] = []
    node = data
    for raw in pointer.split("/")[1:] if pointer else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit():
            path.append(int(part))
            node = node[int(part)] if int(part) < len(node) else None
        else:
            path.append(part)
            node = node.get(part) if isinstance(node, dict) else None
    return tuple(path)
