"""The dependencies rule reports the resolution it is given (the app resolves once per run) or resolves itself."""

from __future__ import annotations

from datetime import date

from compiler.validate import dependencies
from compiler.validate.context import Context
from tests.resolve.fleets import FleetFiles


def _cyclic() -> FleetFiles:
    files = FleetFiles()
    files.add_blueprint("bp", {"a": True, "b": True})
    files.add_version("a", "1.0.0", [("b", ">=1.0.0")])
    files.add_version("b", "1.0.0", [("a", ">=1.0.0")])
    files.add_candidate("c", "bp", {"a": "1.0.0", "b": "1.0.0"})
    return files


def test_rule_resolves_when_no_resolution_is_given() -> None:
    found = list(dependencies.check(Context(_cyclic().fleet(), date(2026, 11, 22))))
    assert [d.message for d in found] == ["dependency cycle in candidate c: a -> b -> a"]


def test_rule_reuses_the_given_resolution() -> None:
    clean = FleetFiles()
    clean.add_blueprint("bp", {"a": True})
    clean.add_version("a", "1.0.0")
    clean.add_candidate("c", "bp", {"a": "1.0.0"})
    given = _cyclic().resolve()
    found = list(dependencies.check(Context(clean.fleet(), date(2026, 11, 22), given)))
    assert found == list(given.diagnostics)
    assert found
