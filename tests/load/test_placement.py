"""The path says what the file holds: reviewers read a pull request by its paths (README: the input reference).

A tenant file under another Instance's folder looked like a change to that Instance; now it is RLC109 at
spec.instance, as is a ComponentVersion under another component's folder; a kind under another kind's documented
folder (releases/candidates/ vs releases/global/) is RLC106.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.load.cli import ACME, codes_at, run

TENANT = """apiVersion: relc.dev/v1alpha1
kind: Tenant
metadata:
  name: bob
spec:
  role: Operator
  instance: arematics-prod
  releaseCandidate: platform-2025-07
"""


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _write(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text, encoding="utf-8")


def test_a_tenant_in_another_instances_folder_is_an_error_at_spec_instance(base_fleet: Path) -> None:
    _write(base_fleet, "tenants/arematics-staging/bob.yaml", TENANT)
    before = _tree(base_fleet)
    result = run(base_fleet)
    assert result.exit_code == 1
    assert result.output == (
        "tenants/arematics-staging/bob.yaml:7:13: error RLC109 wrong-folder [spec.instance]: the file is under "
        "tenants/arematics-staging/ but spec.instance is 'arematics-prod'\n"
        "    hint: move the file to tenants/arematics-prod/bob.yaml, or fix spec.instance if the folder is right\n"
        "1 error(s), 0 warning(s) in 1 file(s)\n"
    )
    assert _tree(base_fleet) == before


def test_a_tenant_directly_under_tenants_names_no_instance(base_fleet: Path) -> None:
    _write(base_fleet, "tenants/bob.yaml", TENANT)
    result = run(base_fleet)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "tenants/bob.yaml:7:13: error RLC109 wrong-folder [spec.instance]: the file is under tenants/ but "
        "spec.instance is 'arematics-prod'"
    )


@pytest.mark.parametrize("rel", ["tenants/arematics-prod/bob.yaml", "tenants/arematics-prod/operators/bob.yaml"])
def test_a_tenant_in_its_instances_folder_or_below_passes(base_fleet: Path, rel: str) -> None:
    _write(base_fleet, rel, TENANT)
    result = run(base_fleet, "--strict")
    assert result.exit_code == 0, result.output


def test_a_component_version_in_another_components_folder(base_fleet: Path) -> None:
    text = (base_fleet / "blueprints/components/payments/2.1.0.yaml").read_text(encoding="utf-8")
    _write(
        base_fleet, "blueprints/components/auth/2.2.0.yaml", text.replace("2.1.0", "2.2.0").replace("2-1-0", "2-2-0")
    )
    result = run(base_fleet)
    assert result.exit_code == 1
    assert result.output == (
        "blueprints/components/auth/2.2.0.yaml:7:14: error RLC109 wrong-folder [spec.component]: the file is under "
        "blueprints/components/auth/ but spec.component is 'payments'\n"
        "    hint: move the file to blueprints/components/payments/2.2.0.yaml, or fix spec.component if the folder is "
        "right\n"
        "1 error(s), 0 warning(s) in 1 file(s)\n"
    )


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        (
            "releases/candidates/platform-2025-05.yaml",
            "releases/global/platform-2025-05.yaml",
            "a ReleaseCandidate belongs under releases/candidates/, not releases/global/",
        ),
        (
            "releases/global/arematics-2025-07.yaml",
            "releases/candidates/arematics-2025-07.yaml",
            "a GlobalProductionRelease belongs under releases/global/, not releases/candidates/",
        ),
        (
            "blueprints/arematics-platform.yaml",
            "blueprints/components/arematics-platform.yaml",
            "a ReleaseBlueprint belongs under blueprints/, not blueprints/components/",
        ),
        (
            "blueprints/components/payments/2.1.0.yaml",
            "blueprints/2.1.0.yaml",
            "a ComponentVersion belongs under blueprints/components/, not blueprints/",
        ),
        (ACME, "instances/acme.yaml", "a Tenant belongs under tenants/, not instances/"),
    ],
)
def test_a_kind_outside_its_documented_folder_is_rlc106(
    base_fleet: Path, source: str, target: str, expected: str
) -> None:
    (base_fleet / target).parent.mkdir(parents=True, exist_ok=True)
    (base_fleet / source).rename(base_fleet / target)
    result = run(base_fleet)
    assert result.exit_code == 1
    assert f"{target}:3:7: error RLC106 misplaced-kind [kind]: {expected}\n" in result.output
    assert {c for c in codes_at(base_fleet) if ":RLC106" in c} == {f"{target}:3:RLC106"}
