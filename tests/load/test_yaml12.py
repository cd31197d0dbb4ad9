"""YAML 1.2 core-schema scalars: what a fleet author writes is what relc reads (no Norway problem, no 1.10 → 1.1)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compiler.load.yamlread import YamlProblem, parse
from tests.load.cli import ACME, diagnostics, run

CANDIDATE = "releases/candidates/platform-2025-07.yaml"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("no", "no"),
        ("yes", "yes"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("true", True),
        ("false", False),
        ("~", None),
        ("null", None),
        ("0o17", 15),
        ("0x1f", 31),
        ("017", 17),
        ("1_000", "1_000"),
        ("12:30", "12:30"),
        ("1.10", 1.1),
        ("2025-07-01", "2025-07-01"),
        ("'no'", "no"),
    ],
)
def test_plain_scalars_follow_the_yaml_1_2_core_schema(text: str, value: Any) -> None:
    assert parse(f"key: {text}\n").documents == [{"key": value}]


def test_norway_stays_a_string_through_the_cli(base_fleet: Path) -> None:
    path = base_fleet / ACME
    path.write_text(path.read_text().replace("displayName: ACME Corp", "displayName: no"))
    assert run(base_fleet, "--strict").exit_code == 0


def test_no_is_not_a_boolean_either(base_fleet: Path) -> None:
    path = base_fleet / ACME
    path.write_text(path.read_text().replace("dryRun: false", "dryRun: no"))
    code, found = diagnostics(base_fleet)
    assert code == 1
    assert [(d["file"], d["line"], d["code"], d["hint"]) for d in found] == [
        (ACME, 16, "RLC203", "write true or false (unquoted)")
    ]


def test_unquoted_version_1_10_is_an_error_with_a_quote_hint(base_fleet: Path) -> None:
    path = base_fleet / CANDIDATE
    path.write_text(path.read_text().replace("payments: 2.1.0", "payments: 1.10"))
    code, found = diagnostics(base_fleet)
    assert code == 1
    mine = [d for d in found if d["file"] == CANDIDATE]
    assert [(d["line"], d["field"], d["code"], d["hint"]) for d in mine] == [
        (12, "spec.components.payments", "RLC203", "YAML read this as a number; quote it to make it text")
    ]


def test_quoted_version_1_10_is_read_as_written(base_fleet: Path) -> None:
    path = base_fleet / CANDIDATE
    path.write_text(path.read_text().replace("payments: 2.1.0", 'payments: "1.10"'))
    _, found = diagnostics(base_fleet)
    assert [(d["code"], d["message"]) for d in found if d["file"] == CANDIDATE] == [
        ("RLC204", "'1.10' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 2.1.0)")
    ]


@contextlib.contextmanager
def _passing_through() -> Iterator[None]:
    yield


def test_a_yaml_problem_propagates_through_context_managers() -> None:
    """It used to be a frozen, slotted dataclass: re-raising it from a generator context manager was a TypeError."""
    with pytest.raises(YamlProblem) as info, _passing_through():
        parse("key: [unclosed\n")
    assert (info.value.code, info.value.line) == ("RLC101", 1)  # where the flow sequence opens
