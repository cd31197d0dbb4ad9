"""The YAML emitter: every reader (PyYAML's YAML 1.1 and relc's YAML 1.2 reader) reads back exactly the data."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.emit.yamlout import EmitError, dump
from compiler.load.yamlread import parse

AMBIGUOUS = [
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Y",
    "NO",
    "True",
    "false",
    "~",
    "null",
    "Null",
    "",
    " ",
    "1.10",
    "0o7",
    "0x1F",
    "1_000",
    "1:20",
    "1e3",
    ".inf",
    "-.inf",
    ".nan",
    "2026-11-22",
    "-",
    "- a",
    "a: b",
    "a #b",
    "a:",
    " lead",
    "trail ",
    "@x",
    "`x",
    "!tag",
    "&a",
    "*a",
    "|",
    ">",
    "%x",
    "=",
    "<<",
    "? x",
    "{a}",
    "[a]",
    "'q'",
    '"q"',
    "tab\there",
    "line\nbreak",
    "two\n\nbreaks\n\n",
    "\ufeffbom",
    "nel\x85",
    "ls\u2028",
    "del\x7f",
    "é ü 日本",
    "{{ .path.basename }}",
    "0",
    "-1",
    "+1",
    "010",
    "yes\n",
    "x\n y",
    " x\ny",
    "x \ny",
]


def both(text: bytes) -> tuple[Any, Any]:
    decoded = text.decode("utf-8")
    return list(yaml.load_all(decoded, Loader=yaml.CSafeLoader)), parse(decoded).documents


@pytest.mark.parametrize("value", AMBIGUOUS)
def test_strings_stay_strings(value: str) -> None:
    doc = {"key": value, value or "empty": [value], "n": {"x": value}}
    pyyaml, relc = both(dump([doc]))
    assert pyyaml == [doc]
    assert relc == [doc]


def test_kubernetes_order_and_block_style() -> None:
    text = dump(
        [
            {
                "spec": {"b": 1, "a": [{"z": 1, "name": "web"}]},
                "metadata": {"labels": {}, "name": "x"},
                "kind": "K",
                "apiVersion": "v1",
                "data": None,
            }
        ]
    )
    assert text.decode() == (
        "---\napiVersion: v1\nkind: K\nmetadata:\n  name: x\n  labels: {}\nspec:\n  a:\n    - name: web\n      z: 1\n"
        "  b: 1\ndata: null\n"
    )


def test_multiline_text_is_a_literal_block() -> None:
    text = dump([{"script": "set -e\nrun one\n  indented\n"}]).decode()
    assert "script: |\n  set -e\n  run one\n    indented\n" in text


def test_floats_keep_a_dot_for_yaml_1_1() -> None:
    docs = [{"a": 1e20, "b": 1e-05, "c": 2.0, "d": float("inf"), "e": -0.5}]
    assert "1.0e+20" in dump(docs).decode()
    pyyaml, relc = both(dump(docs))
    assert pyyaml == docs and relc == docs


def test_long_keys_use_explicit_form() -> None:
    doc = {"k" * 2000: {"v": 1}}
    pyyaml, relc = both(dump([doc]))
    assert pyyaml == [doc] and relc == [doc]


@pytest.mark.parametrize("bad", [{1: "x"}, {"a": object()}, {"a": {"b": b"bytes"}}])
def test_values_yaml_cannot_carry_are_refused(bad: dict[Any, Any]) -> None:
    with pytest.raises(EmitError):
        dump([bad])


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
)
data = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=12), data, max_size=5), min_size=1, max_size=3))
def test_round_trip(docs: list[dict[str, Any]]) -> None:
    pyyaml, relc = both(dump(docs))
    assert pyyaml == docs
    assert relc == docs
