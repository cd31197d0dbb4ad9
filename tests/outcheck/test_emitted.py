"""The cheap reader of relc's emitted YAML must never disagree with the hardened reader: it reads a document the
same way, or declines it (and the hardened reader then accepts or reports it, as before)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.emit.yamlout import Emitter
from compiler.load.yamlread import YamlProblem, parse
from compiler.outcheck.discover import RENDERED_LIMITS
from compiler.outcheck.documents import split_documents
from compiler.outcheck.emitted import EmittedReader
from tests.conftest import REPO


def _hardened(piece: str) -> list[Any] | None:
    """What the hardened reader makes of a piece (None documents dropped, as read_documents does), None if it
    refuses it."""
    try:
        return [d for d in parse(piece, limits=RENDERED_LIMITS).documents if d is not None]
    except YamlProblem:
        return None


def _agrees(reader: EmittedReader, piece: str) -> bool:
    """True when the cheap reader read the piece (and read it as the hardened reader does), False when it
    declined; fails when it read it otherwise. repr compares types too (True == 1 and 1.0 == 1 in Python)."""
    cheap = reader.read(piece)
    if cheap is None:
        return False
    assert repr(cheap) == repr(_hardened(piece)), piece
    return True


def test_the_golden_rendered_tree_reads_the_same_both_ways() -> None:
    reader = EmittedReader(RENDERED_LIMITS)
    pieces = [
        piece
        for path in sorted((REPO / "rendered").rglob("*.yaml"))
        for _, piece in split_documents(path.read_text(encoding="utf-8"))
        if piece.strip()
    ]
    read = sum(_agrees(reader, piece) for piece in pieces)
    assert read >= 0.85 * len(pieces), (read, len(pieces))  # the cheap path is the common one


_TEXT = st.text(alphabet=st.sampled_from(list("ab:-#'\" \\/{}[]|>&*!%@`,?.~01eE+\t\n\r\x85\u2028\xe9\U0001f600")))
_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TEXT
_VALUES = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4), max_leaves=20
)


@given(st.dictionaries(_TEXT, _VALUES, min_size=1, max_size=5))
@settings(max_examples=400, deadline=None)
def test_what_the_emitter_writes_reads_back(document: dict[str, Any]) -> None:
    piece = Emitter().document(document)
    reader = EmittedReader(RENDERED_LIMITS)
    if _agrees(reader, piece):
        assert json.dumps(reader.read(piece), sort_keys=True) == json.dumps([document], sort_keys=True)


_SNIPPETS = ["#", " #x", ": ", ":", "- ", "-", " ", "  ", "\t", "\n", "\n\n", "'", '"', "\\", "|", ">", "&a ", "*a",
             "!!str ", "{", "}", "[", "]", "? ", "%", "@", "`", ",", "~", "---\n", "...\n", "\r", "\x85", "\ufeff",
             "\\ud800", "\\x41", "\\e", "0x1F", "1e3", ".inf", "null", "yes", "9" * 700]  # fmt: skip


@given(
    st.dictionaries(_TEXT, _VALUES, min_size=1, max_size=4),
    st.lists(
        st.tuples(st.integers(min_value=0), st.integers(0, 2), st.sampled_from(_SNIPPETS)), min_size=1, max_size=3
    ),
)
@settings(max_examples=600, deadline=None)
def test_a_hand_edit_is_read_the_same_or_left_to_the_hardened_reader(
    document: dict[str, Any], edits: list[tuple[int, int, str]]
) -> None:
    piece = Emitter().document(document)
    for at, removed, snippet in edits:
        at %= len(piece) + 1
        piece = piece[:at] + snippet + piece[at + removed :]
    _agrees(EmittedReader(RENDERED_LIMITS), piece)


def test_a_duplicate_key_an_anchor_or_a_comment_is_left_to_the_hardened_reader() -> None:
    reader = EmittedReader(RENDERED_LIMITS)
    assert reader.read("a: 1\nb:\n  c: x\n") == [{"a": 1, "b": {"c": "x"}}]
    long_key = "k" * 1100 + ": 1\n"  # libyaml refuses an implicit key over 1024 characters
    for piece in (
        "a: 1\na: 2\n",
        "a: &x 1\n",
        "a: 1 # why\n",
        "a: 'q'\n",
        "a:\n- 1\n",
        "a: |\n  x\n",
        "a:\n",
        long_key,
    ):
        assert reader.read(piece) is None, piece
