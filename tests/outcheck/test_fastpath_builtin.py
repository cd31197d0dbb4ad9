"""Built-in kinds behind the compiled pre-check report exactly what jsonschema alone reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from compiler.outcheck.builtin import BuiltinSchemas, self_contained
from compiler.outcheck.discover import kubernetes_schema
from compiler.outcheck.fastpath import COMPILE_AFTER, TwoStage
from tests.outcheck.conftest import VALID, copy_case, found, validate_rendered

SERVICE_ACCOUNT = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-{i}\n  namespace: eu-acme\n"
JOB = (
    "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: job-{i}\n  namespace: eu-acme\nspec:\n  backoffLimit: 1\n"
    "  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: m\n          image: x:1\n"
)
INVALID_JOBS: list[dict[str, Any]] = [
    {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "nmae": "typo"}},
    {"apiVersion": "batch/v1", "kind": "Job", "spec": {"backoffLimit": "one", "template": {}}},
    {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}},
    {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {"containers": [{"name": 1}]}}}},
    {"apiVersion": "v1", "kind": "Job"},  # the apiVersion enum
    {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"labels": {"a": 1}}},
]


def messages(checker: Any, data: Any) -> list[str]:
    return sorted(f"{list(e.absolute_path)} {e.message}" for e in checker.iter_errors(data))


def test_a_compiled_job_schema_reports_what_jsonschema_reports() -> None:
    staged = BuiltinSchemas(kubernetes_schema).validator("batch/v1", "Job")
    definitions = kubernetes_schema("1.30.0", "_definitions.json")
    schema = kubernetes_schema("1.30.0", "job-batch-v1.json")
    assert isinstance(staged, TwoStage) and definitions is not None and schema is not None
    plain = Draft202012Validator(schema, registry=Resource.from_contents(definitions) @ Registry())
    valid = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {}}}
    for _ in range(COMPILE_AFTER + 1):
        assert messages(staged, valid) == []
    assert staged.compiled
    for data in INVALID_JOBS:
        expected = messages(plain, data)
        assert expected, data
        assert messages(staged, data) == expected, data


def test_a_ref_outside_the_bundle_is_not_compiled() -> None:
    assert self_contained({"$ref": "https://example.com/other.json#/x"}, {"$defs": {}}) is None


def test_a_ref_with_validating_siblings_keeps_them() -> None:
    schema = {"properties": {"a": {"$ref": "#/$defs/s", "maxLength": 1, "description": "d"}}}
    compiled = self_contained(schema, {"$defs": {"s": {"type": "string"}}})
    assert compiled is not None
    assert compiled["properties"]["a"] == {"maxLength": 1, "description": "d", "allOf": [{"$ref": "#/$defs/s"}]}


def fleet_with_many_builtin_documents(root: Path) -> None:
    """More ServiceAccounts and Jobs than COMPILE_AFTER, the invalid ones last (after the schemas compiled)."""
    count = COMPILE_AFTER + 4
    docs = [SERVICE_ACCOUNT.format(i=i) for i in range(count)] + [JOB.format(i=i) for i in range(count)]
    docs[count - 1] = docs[count - 1].replace("  namespace: eu-acme\n", "  namespace: eu-acme\nsecrets: 3\n")
    docs[-2] = docs[-2].replace("  backoffLimit: 1\n", "  backoffLimit: one\n")
    docs[-1] = docs[-1].replace("      restartPolicy: Never\n", "      restartPolicy: Never\n      hostnetwork: true\n")
    (root / "rendered/instances/eu/platform/many.yaml").write_text("---\n".join(docs))


def test_invalid_builtin_documents_report_the_same_with_and_without_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_case(VALID, tmp_path / "fleet")
    fleet_with_many_builtin_documents(root)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    fast = validate_rendered(root, "--kubeconform", "off")
    monkeypatch.setattr(TwoStage, "_compiled", lambda self: None)
    slow = validate_rendered(root, "--kubeconform", "off")
    assert fast.exit_code == slow.exit_code == 1
    assert fast.output == slow.output
    sa_lines, job_lines = 6, 14  # lines per document including its separator
    accounts = (COMPILE_AFTER + 4) * sa_lines + 1  # the invalid ServiceAccount has one more line
    assert found(fast) == [
        f"rendered/instances/eu/platform/many.yaml:{(COMPILE_AFTER + 3) * sa_lines + 6}:RLC802 secrets",
        f"rendered/instances/eu/platform/many.yaml:{accounts + (COMPILE_AFTER + 2) * job_lines + 7}:RLC802"
        " spec.backoffLimit",
        f"rendered/instances/eu/platform/many.yaml:{accounts + (COMPILE_AFTER + 3) * job_lines + 11}:RLC802"
        " spec.template.spec.hostnetwork",
    ]
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
