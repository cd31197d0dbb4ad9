"""Numbers Python will not convert are diagnostics at their field, never an internal error (exit 3).

Python refuses int <-> str conversion past 4300 digits (``sys.set_int_max_str_digits``; as little as 640 when
configured), so a long run of digits in any field was "Exceeds the limit (4300 digits) for integer string
conversion" and exit 3. relc's own limit (MAX_DIGITS, 640) fires first, as RLC203 with file:line:column and the
field path. Floats have no such limit: past the double range YAML 1.2 reads them as infinity, which every field
taking a number refuses as it refuses any float.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.load.yamlread import MAX_DIGITS
from tests.load.cli import ACME, diagnostics, run

INSTANCE = "instances/arematics-prod.yaml"
BLUEPRINT = "blueprints/arematics-platform.yaml"
HINT = "quote it if it is text (an ID, a key); no field takes a number this large"


def _replace(root: Path, rel: str, old: str, new: str) -> None:
    text = (root / rel).read_text(encoding="utf-8")
    assert old in text
    (root / rel).write_text(text.replace(old, new, 1), encoding="utf-8")


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    ("rel", "old", "written", "place", "field"),
    [
        (ACME, "ACME Corp", "1" * 5000, (7, 16), "spec.displayName"),
        (ACME, "ACME Corp", "-" + "9" * 4301, (7, 16), "spec.displayName"),
        (INSTANCE, "5432", "5" * (MAX_DIGITS + 1), (13, 11), "spec.database.port"),
        (INSTANCE, "5432", "0x" + "f" * 600, (13, 11), "spec.database.port"),
        (INSTANCE, "5432", "0o" + "7" * 800, (13, 11), "spec.database.port"),
        (INSTANCE, "5432", "!!int " + "1" * 700, (13, 11), "spec.database.port"),
        (
            BLUEPRINT,
            "tag: ",
            "size: " + "7" * 100_000 + "\n          tag: ",
            (17, 17),
            "spec.components[0].values.image.size",
        ),
    ],
    ids=["displayName", "negative", "port", "hex", "octal", "tagged", "values"],
)
def test_a_number_too_long_to_convert_is_rlc203_at_its_field(
    base_fleet: Path, rel: str, old: str, written: str, place: tuple[int, int], field: str
) -> None:
    _replace(base_fleet, rel, old, written)
    before = _snapshot(base_fleet)
    result = run(base_fleet)
    assert result.exit_code == 1, result.output
    shown = written.removeprefix("!!int ").removeprefix("size: ").split("\n")[0]
    assert result.output == (
        f"{rel}:{place[0]}:{place[1]}: error RLC203 invalid-value [{field}]: the number '{shown[:12]}…' "
        f"({len(shown)} characters) is over relc's limit of {MAX_DIGITS} digits\n"
        f"    hint: {HINT}\n"
        "1 error(s), 0 warning(s) in 1 file(s)\n"
    )
    assert _snapshot(base_fleet) == before


def test_the_longest_number_still_reads_as_a_number(base_fleet: Path) -> None:
    _replace(base_fleet, ACME, "ACME Corp", "9" * MAX_DIGITS)
    code, found = diagnostics(base_fleet)
    assert code == 1
    assert [(d["line"], d["column"], d["code"], d["field"], d["message"], d["hint"]) for d in found] == [
        (
            7,
            16,
            "RLC203",
            "spec.displayName",
            "Input should be a valid string",
            "YAML read this as a number; quote it to make it text",
        )
    ]


def test_quoted_digits_are_text_of_any_length(base_fleet: Path) -> None:
    _replace(base_fleet, ACME, "ACME Corp", '"' + "1" * 1000 + '"')
    result = run(base_fleet, "--strict")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("written", ["1e999", "-1e999", "1" * 5000 + ".0", ".inf"])
def test_a_float_past_the_double_range_is_infinity_and_refused_where_a_whole_number_belongs(
    base_fleet: Path, written: str
) -> None:
    _replace(base_fleet, INSTANCE, "5432", written)
    code, found = diagnostics(base_fleet)
    assert code == 1
    assert [(d["file"], d["line"], d["column"], d["code"], d["field"], d["message"]) for d in found] == [
        (INSTANCE, 13, 11, "RLC203", "spec.database.port", "Input should be a valid integer")
    ]
