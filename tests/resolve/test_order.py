"""Migration order and cycles: required before requirer, ties by name, the migrationOrder override (RLC405)."""

from __future__ import annotations

import pytest

from compiler.diagnostics import CycleError
from tests.resolve.fleets import FleetFiles


def _fleet(
    requires: dict[str, list[tuple[str, str]]], owners: dict[str, bool], order: list[str] | None = None
) -> FleetFiles:
    files = FleetFiles()
    files.add_blueprint("bp", owners)
    for component in owners:
        files.add_version(component, "1.0.0", requires.get(component, []))
    files.add_candidate("c", "bp", dict.fromkeys(owners, "1.0.0"), order)
    return files


def _messages(files: FleetFiles) -> list[str]:
    return [f"{d.code} {d.field}: {d.message}" for d in files.resolve().diagnostics]


def test_required_before_requirer_and_ties_by_name() -> None:
    files = _fleet({"a": [("z", ">=1.0.0")], "m": [("z", ">=1.0.0")]}, {"m": True, "a": True, "z": True, "b": True})
    res = files.resolve()
    assert res.diagnostics == ()
    assert res.migration_order("c") == ("b", "z", "a", "m")


def test_requirements_through_components_without_schema_count() -> None:
    files = _fleet({"a": [("ui", ">=1.0.0")], "ui": [("b", ">=1.0.0")]}, {"a": True, "ui": False, "b": True})
    assert files.resolve().migration_order("c") == ("b", "a")


def test_a_valid_override_is_used() -> None:
    files = _fleet({}, {"a": True, "b": True}, order=["b", "a"])
    res = files.resolve()
    assert res.diagnostics == ()
    assert res.migration_order("c") == ("b", "a")


def test_override_problems_are_reported_and_the_computed_order_stands() -> None:
    files = _fleet(
        {"a": [("b", ">=1.0.0")]},
        {"a": True, "b": True, "d": True, "ui": False},
        order=["a", "b", "ui", "a", "nope"],
    )
    assert _messages(files) == [
        "RLC405 spec.migrationOrder: migrationOrder of candidate c omits schema-owning service 'd'",
        "RLC405 spec.migrationOrder[0]: migrationOrder puts a before b, but a 1.0.0 requires b",
        "RLC405 spec.migrationOrder[2]: migrationOrder names 'ui', which owns no schema "
        "(ownsSchema is false in blueprint bp)",
        "RLC405 spec.migrationOrder[3]: migrationOrder lists 'a' twice",
        "RLC405 spec.migrationOrder[4]: migrationOrder names 'nope', which candidate c does not pin",
    ]
    assert files.resolve().migration_order("c") == ("b", "a", "d")


def test_omission_hint_suggests_the_computed_order() -> None:
    files = _fleet({"a": [("b", ">=1.0.0")]}, {"a": True, "b": True}, order=["b"])
    (only,) = files.resolve().diagnostics
    assert only.hint == "list every schema-owning service once; the dependencies suggest: b, a"


def test_contradiction_through_a_component_names_it() -> None:
    files = _fleet(
        {"a": [("ui", ">=1.0.0")], "ui": [("b", ">=1.0.0")]}, {"a": True, "ui": False, "b": True}, order=["a", "b"]
    )
    assert _messages(files) == [
        "RLC405 spec.migrationOrder[0]: migrationOrder puts a before b, but a 1.0.0 requires b (through ui)"
    ]


def test_a_cycle_is_reported_in_order_and_held_as_a_cycle_error() -> None:
    files = _fleet(
        {"auth": [("payments", ">=1.0.0")], "payments": [("auth", ">=1.0.0")], "entity": [("auth", ">=1.0.0")]},
        {"auth": True, "payments": True, "entity": True},
        order=["payments", "auth", "entity"],
    )
    res = files.resolve()
    assert [f"{d.code} {d.field}: {d.message}" for d in res.diagnostics] == [
        "RLC403 spec.components.auth: dependency cycle in candidate c: auth -> payments -> auth"
    ]
    assert res.diagnostics[0].file == "releases/candidates/c.yaml"
    with pytest.raises(CycleError) as caught:
        res.migration_order("c")
    assert caught.value.cycle == ("auth", "payments")


def test_a_self_requirement_is_a_cycle() -> None:
    files = _fleet({"a": [("a", ">=1.0.0")]}, {"a": True})
    assert _messages(files) == ["RLC403 spec.components.a: dependency cycle in candidate c: a -> a"]


def test_unknown_candidate_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        _fleet({}, {"a": True}).resolve().migration_order("nope")
