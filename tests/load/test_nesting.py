"""relc's own nesting limit fires before any library's: the same RLC103 at the same place with any libyaml.

libyaml >= 0.2.5 refuses more than 1000 nested flow levels and its scanner reads ahead over ``[``/``{``, so without
the flow-depth pre-scan (compiler/load/flowdepth.py) a 1001-deep ``[[[…`` was RLC101 "exceeded maximum nesting
depth" while a 999-deep one was RLC103. Every depth from 65 on must read the same.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.load.flowdepth import too_deep_at
from compiler.load.yamlread import Limits, YamlProblem, parse
from tests.load.cli import ACME, diagnostics

DEPTHS = [65, 66, 100, 999, 1000, 1001, 1024, 5000]
MESSAGE = "nesting deeper than 64 levels"


def _refusal(root: Path, text: str) -> tuple[int, int]:
    """(line, column) of the one diagnostic, which must be the nesting refusal."""
    (root / ACME).write_text(text, encoding="utf-8")
    code, found = diagnostics(root)
    assert code == 1
    assert [(d["file"], d["code"], d["message"]) for d in found] == [(ACME, "RLC103", MESSAGE)]
    return found[0]["line"], found[0]["column"]


def _flow_sequences(depth: int) -> str:
    return "[" * depth + "]" * depth + "\n"


def _flow_mappings(depth: int) -> str:
    return "{a: " * depth + "}" * depth + "\n"


def _block_mappings(depth: int) -> str:
    return "".join(" " * i + "k:\n" for i in range(depth)) + " " * depth + "v\n"


def _block_sequences(depth: int) -> str:
    return "- " * depth + "x\n"


@pytest.mark.parametrize("depth", DEPTHS)
def test_flow_sequences_stop_at_the_65th_bracket(base_fleet: Path, depth: int) -> None:
    assert _refusal(base_fleet, _flow_sequences(depth)) == (1, 65)


@pytest.mark.parametrize("depth", DEPTHS)
def test_flow_mappings_stop_at_the_65th_brace(base_fleet: Path, depth: int) -> None:
    assert _refusal(base_fleet, _flow_mappings(depth)) == (1, 4 * 64 + 1)


@pytest.mark.parametrize("depth", [65, 100, 999, 1001])
def test_block_mappings_stop_at_the_65th_level(base_fleet: Path, depth: int) -> None:
    # the document's mapping is level 1; the 64th "k:" opens level 65 with its value on line 65
    assert _refusal(base_fleet, _block_mappings(depth)) == (65, 65)


@pytest.mark.parametrize("depth", [65, 1001, 5000])
def test_block_sequences_stop_at_the_65th_dash(base_fleet: Path, depth: int) -> None:
    assert _refusal(base_fleet, _block_sequences(depth)) == (1, 129)


@pytest.mark.parametrize(("block", "flow"), [(1, 64), (30, 35), (30, 1200), (63, 5000), (10, 999)])
def test_block_and_flow_levels_add_up(base_fleet: Path, block: int, flow: int) -> None:
    # level 65 is the (65 - block)th bracket, wherever the flow part alone would go over the limit
    line, column = _refusal(base_fleet, "- " * block + _flow_sequences(flow))
    assert (line, column) == (1, 2 * block + 65 - block)


def test_mapping_and_tags_before_deep_flow(base_fleet: Path) -> None:
    assert _refusal(base_fleet, "k: &a !!seq " + _flow_sequences(1200)) == (1, len("k: &a !!seq ") + 64)


def test_the_limit_itself_is_accepted(base_fleet: Path) -> None:
    """64 levels are allowed: the document's mapping plus 63 flow levels reach a field, which is then invalid."""
    text = (base_fleet / ACME).read_text(encoding="utf-8").replace("ACME Corp", "[" * 62 + "]" * 62)
    (base_fleet / ACME).write_text(text, encoding="utf-8")
    code, found = diagnostics(base_fleet)
    assert code == 1
    assert [(d["line"], d["code"], d["field"]) for d in found] == [(7, "RLC203", "spec.displayName")]


@pytest.mark.parametrize(
    "text",
    [
        'a: "' + "[" * 5000 + '"\n',
        "a: '" + "{" * 5000 + "'\n",
        "a: |\n  " + "[" * 5000 + "\n  x\nb: 1\n",
        "a: >-\n  " + "{" * 5000 + "\nb: 1\n",
        "a: x" + "[" * 5000 + "\n",
        "# " + "[" * 5000 + "\na: 1\n",
        "a: [x, '" + "[" * 5000 + "', \"" + "{" * 5000 + '"]  # ' + "[" * 5000 + "\n",
        'a: {"k":"' + "[" * 5000 + '", b: c}\n',
        "a: [b" + "'" + "]\n" + "c: '" + "[" * 5000 + "'\n",
        "a: [\n  # " + "[" * 5000 + "\n  1]\n",
    ],
    ids=[
        "double",
        "single",
        "literal",
        "folded",
        "plain",
        "comment",
        "flow-quotes",
        "json",
        "plain-quote",
        "flow-comment",
    ],
)
def test_brackets_in_text_are_not_nesting(text: str) -> None:
    assert too_deep_at(text, 64) is None
    parse(text)


def test_a_library_nesting_error_still_reads_as_rlc103() -> None:
    """The safety net: with our limit above libyaml's (1000 flow levels), libyaml's refusal is still RLC103."""
    limits = Limits(max_depth=100_000)
    with pytest.raises(YamlProblem) as caught:
        parse(_flow_sequences(5000), limits=limits)
    assert (caught.value.code, caught.value.message) == ("RLC103", "nesting deeper than 100000 levels")


_LEAF = st.sampled_from(["1", "a", "'[['", '"{ ]"', "x y", "'it''s'", '"\\"["'])


def _nested(depth: int) -> st.SearchStrategy[tuple[str, int]]:
    """A flow collection and its nesting depth (flow levels); leaves are scalars that contain brackets."""
    if depth == 0:
        return _LEAF.map(lambda leaf: (leaf, 0))
    child = _nested(depth - 1)
    items = st.lists(st.one_of(_LEAF.map(lambda leaf: (leaf, 0)), child), min_size=1, max_size=3)

    def sequence(parts: list[tuple[str, int]]) -> tuple[str, int]:
        return "[" + ", ".join(p for p, _ in parts) + "]", 1 + max(d for _, d in parts)

    def mapping(parts: list[tuple[str, int]]) -> tuple[str, int]:
        body = ", ".join(f"k{i}: {p}" for i, (p, _) in enumerate(parts))
        return "{" + body + "}", 1 + max(d for _, d in parts)

    return st.one_of(items.map(sequence), items.map(mapping))


@settings(max_examples=150, deadline=None)
@given(_nested(8), st.integers(min_value=1, max_value=8))
def test_pre_scan_agrees_with_the_parser(found: tuple[str, int], limit: int) -> None:
    """The pre-scan refuses exactly the texts whose flow collections nest deeper than the limit."""
    text, depth = found
    document = "key: " + text + "\n"
    assert (too_deep_at(document, limit) is not None) == (depth > limit)
    # and the parser, given room for the mapping around it, agrees on the same texts
    try:
        parse(document, limits=Limits(max_depth=limit + 1))
        refused = False
    except YamlProblem as problem:
        assert problem.code == "RLC103", problem
        refused = True
    assert refused == (depth > limit)


@pytest.mark.parametrize(
    "text",
    [
        " " * 500_000 + "a" + " " * 500_000 + "[" * 100,
        "a:" * 500_000 + "[" * 100,
        "a: [" + "! " * 200_000 + "[" * 100,
        "a: b\n" * 200_000 + "[" * 100,
    ],
    ids=["spaces-around-a-key", "colons", "tags", "lines"],
)
def test_the_pre_scan_is_linear_on_hostile_lines(text: str) -> None:
    """A lazy key pattern once made a 1 MiB line of spaces take minutes (quadratic backtracking); linear now, so
    the bound is generous (~0.1 s measured) and still fails on a quadratic scan by orders of magnitude."""
    started = time.process_time()
    too_deep_at(text, 64)
    assert time.process_time() - started < 5
