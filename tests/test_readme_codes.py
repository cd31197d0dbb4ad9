"""The README's table of diagnostic codes lists every code of the registry, with its registered name."""

from __future__ import annotations

import re

from compiler.diagnostics import CODES
from tests.conftest import REPO

ROW = re.compile(r"^\| (RLC\d{3}) \| ([a-z-]+) \| (.+) \| (.+) \|$")


def _validate_section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start, end = text.index("<!-- validate:begin -->"), text.index("<!-- validate:end -->")
    return text[start:end]


def test_every_code_is_in_the_readme_table_with_its_name() -> None:
    rows = [m.groups() for line in _validate_section().splitlines() if (m := ROW.match(line))]
    table = {code: name for code, name, _, _ in rows}
    assert len(rows) == len(table), "a code appears twice in the README table"
    assert table == {code: c.name for code, c in CODES.items()}


def test_every_code_row_is_well_formed() -> None:
    """A row the pattern misses (a missing cell, a stray '|') would silently drop out of the check above."""
    lines = [line for line in _validate_section().splitlines() if line.startswith("| RLC")]
    assert [line for line in lines if not ROW.match(line)] == []
