"""One mistake, one diagnostic: an object that fails schema validation is not also reported as missing by
every object that refers to it (it exists; its own diagnostic says what is wrong)."""

from __future__ import annotations

from pathlib import Path

from tests.load.cli import codes_at

CANDIDATE = "releases/candidates/platform-2025-07.yaml"
VERSION = "blueprints/components/payments/2.1.0.yaml"
INSTANCE = "instances/arematics-prod.yaml"


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_invalid_candidate_is_not_also_unknown(base_fleet: Path) -> None:
    _edit(base_fleet, CANDIDATE, "payments: 2.1.0", 'payments: "2.1"')
    assert codes_at(base_fleet) == {f"{CANDIDATE}:12:RLC204"}


def test_invalid_component_version_is_not_also_missing(base_fleet: Path) -> None:
    _edit(base_fleet, VERSION, "  version: 2.1.0\n", "  version: 2.1.0\n  imagTag: 2.1.0\n")
    assert codes_at(base_fleet) == {f"{VERSION}:9:RLC201"}


def test_invalid_instance_is_not_also_unknown(base_fleet: Path) -> None:
    _edit(base_fleet, INSTANCE, "  cluster: prod\n", "  cluster: prod\n  clustr: prod\n")
    assert codes_at(base_fleet) == {f"{INSTANCE}:9:RLC201"}


def test_a_really_missing_candidate_is_still_reported(base_fleet: Path) -> None:
    (base_fleet / CANDIDATE).unlink()
    assert codes_at(base_fleet) == {
        "releases/global/arematics-2025-07.yaml:7:RLC301",
        "tenants/arematics-prod/acme.yaml:10:RLC301",
    }
