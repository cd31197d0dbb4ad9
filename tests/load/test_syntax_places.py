"""A YAML syntax error points at the construct that is broken, not where libyaml gave up.

libyaml notices an unclosed quote at the end of the file (line 21, column 1 of a 20-line file); the author needs
the line where the quote opened. For errors that carry a context mark, the diagnostic is placed at the broken token
or flow collection and the hint says where libyaml noticed the problem; in block collections the offending line
stays the place and the hint names the collection's start.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.load.cli import ACME, diagnostics, run


def _edit(root: Path, old: str, new: str) -> None:
    text = (root / ACME).read_text(encoding="utf-8")
    assert old in text
    (root / ACME).write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_unclosed_quote_is_reported_where_it_opens(base_fleet: Path) -> None:
    _edit(base_fleet, "releaseCandidate: platform-2025-07", 'releaseCandidate: "platform-2025-07')
    before = (base_fleet / ACME).read_bytes()
    result = run(base_fleet)
    assert result.exit_code == 1
    assert result.output == (
        f"{ACME}:10:21: error RLC101 yaml-syntax: YAML syntax error while scanning a quoted scalar: "
        "found unexpected end of stream\n"
        "    hint: close or fix the quoted scalar that starts here "
        "(libyaml noticed the problem at the end of the file)\n"
        "1 error(s), 0 warning(s) in 1 file(s)\n"
    )
    assert (base_fleet / ACME).read_bytes() == before


@pytest.mark.parametrize(
    ("old", "new", "place", "message", "hint"),
    [
        (
            "displayName: ACME Corp",
            "displayName: 'ACME Corp",
            (7, 16),
            "YAML syntax error while scanning a quoted scalar: found unexpected end of stream",
            "close or fix the quoted scalar that starts here (libyaml noticed the problem at the end of the file)",
        ),
        (
            "services: [payments]",
            "services: [payments",
            (13, 17),
            "YAML syntax error while parsing a flow sequence: did not find expected ',' or ']'",
            "close or fix the flow sequence that starts here (libyaml noticed the problem at 14:11)",
        ),
        (
            "    deletion:\n      mode: retained",
            "    deletion: {mode: retained",
            (18, 15),
            "YAML syntax error while parsing a flow mapping: did not find expected ',' or '}'",
            "close or fix the flow mapping that starts here (libyaml noticed the problem at 19:18)",
        ),
        (
            "  role: Operator",
            " role: Operator",
            (8, 2),
            "YAML syntax error while parsing a block mapping: did not find expected key",
            "check indentation, quoting and that every ':' after a key is followed by a space "
            "(in the block mapping that starts at 2:1)",
        ),
        (
            "  role: Operator",
            "  role: &\n",
            (8, 9),
            "YAML syntax error while scanning an anchor: did not find expected alphabetic or numeric character",
            "close or fix the anchor that starts here (libyaml noticed the problem at 8:10)",
        ),
    ],
    ids=["single-quote", "flow-sequence", "flow-mapping", "block-indentation", "anchor"],
)
def test_syntax_errors_point_at_the_broken_construct(
    base_fleet: Path, old: str, new: str, place: tuple[int, int], message: str, hint: str
) -> None:
    _edit(base_fleet, old, new)
    code, found = diagnostics(base_fleet)
    assert code == 1
    assert [(d["file"], d["line"], d["column"], d["code"], d["message"], d["hint"]) for d in found] == [
        (ACME, *place, "RLC101", message, hint)
    ]
