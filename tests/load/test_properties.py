"""Property tests of the loader: arbitrary input never crashes relc, plain data round-trips, positions are right.

Example counts stay modest: the suite runs on two cores in CI, and each CLI example reads a whole small fleet.
"""

from __future__ import annotations

import io
import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from compiler.load.yamlread import FieldPath, YamlProblem, locate, parse
from tests.conftest import EXAMPLES
from tests.load.cli import ACME, run

CLI = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PURE = settings(max_examples=100, deadline=None)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One fleet copy for the module: each example overwrites the same tenant file (it is all the test varies)."""
    target = tmp_path_factory.mktemp("props") / "fleet"
    shutil.copytree(EXAMPLES / "base", target)
    return target


def _never_crashes(root: Path) -> None:
    result = run(root, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"diagnostics", "summary"}


@CLI
@given(st.text(max_size=400))
def test_arbitrary_text_in_a_tenant_file_never_crashes(fleet: Path, text: str) -> None:
    (fleet / ACME).write_text(text, encoding="utf-8", errors="surrogatepass")
    _never_crashes(fleet)


@CLI
@given(st.binary(max_size=400))
def test_arbitrary_bytes_in_a_tenant_file_never_crash(fleet: Path, data: bytes) -> None:
    (fleet / ACME).write_bytes(data)
    _never_crashes(fleet)


_YAMLISH = st.sampled_from(["- ", ": ", "&a ", "*a ", "!!", "[", "]", "{", "}", "'", '"', "\n", "  ", "#", "---\n"])


@CLI
@given(st.lists(st.one_of(_YAMLISH, st.text(max_size=5)), max_size=60))
def test_yaml_looking_junk_never_crashes(fleet: Path, parts: list[str]) -> None:
    (fleet / ACME).write_text("".join(parts), encoding="utf-8", errors="surrogatepass")
    _never_crashes(fleet)


@PURE
@given(st.lists(st.one_of(_YAMLISH, st.text(max_size=5)), max_size=80))
def test_parse_returns_or_raises_a_yaml_problem_only(parts: list[str]) -> None:
    """The reader's contract, below the CLI: data or a located YamlProblem, never any other exception."""
    text = "".join(parts)
    try:
        parse(text)
    except YamlProblem as problem:
        assert problem.code in {"RLC101", "RLC102", "RLC103"}
        assert problem.message and problem.hint
    line, column = locate(text, ("a", 0, "b"))
    assert (line, column) == (0, 0) or (line >= 1 and column >= 1)


# --- round trip ------------------------------------------------------------------------------------------------

# YAML-1.2-safe text: no surrogates, none of the characters YAML 1.1 (libyaml, under relc's reader) treats as line
# breaks while YAML 1.2 (ruamel, the dumper) does not, and no plain scalar starting with ':' or '?', which ruamel
# writes unquoted and libyaml reads as indicators. Where the two specs differ, the test would check the dumper.
_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x85\u2028\u2029"), max_size=20).filter(
    lambda s: not s.startswith((":", "?"))
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    _text,
)
_data = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=4)),
    max_leaves=25,
)


def _dump(data: Any) -> str:
    """A YAML 1.2 dumper (ruamel's safe dumper), so strings like 'no' or '0o17' are quoted as 1.2 requires."""
    out = io.StringIO()
    dumper = YAML(typ="safe", pure=True)
    dumper.width = 4096
    dumper.default_flow_style = False
    dumper.dump(data, out)
    return out.getvalue()


def _same(a: Any, b: Any) -> bool:
    """Equality that also tells 1 from 1.0 and True from 1, as a typed model would."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isinf(a) and a == b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@PURE
@given(_data)
def test_plain_data_round_trips_through_the_reader(data: Any) -> None:
    text = _dump(data)
    parsed = parse(text).documents
    assert len(parsed) == 1
    assert _same(parsed[0], data), text


# --- positions --------------------------------------------------------------------------------------------------

_keys = st.builds(
    str.__add__, st.sampled_from("abcxyz"), st.text(alphabet="abcxyzABC019", max_size=8)
)  # identifier-like: never a YAML 1.1 boolean or null (which the dumper would quote)
_tree: st.SearchStrategy[Any] = st.recursive(
    st.one_of(st.integers(), st.text(alphabet="abc xyz", max_size=6)),
    lambda inner: st.one_of(
        st.dictionaries(_keys, inner, min_size=1, max_size=4),
        st.lists(inner, min_size=1, max_size=3),
    ),
    max_leaves=8,
)


def _key_paths(value: Any, prefix: FieldPath = ()) -> list[tuple[FieldPath, str]]:
    """Every (path, key) of a mapping entry in ``value``."""
    found: list[tuple[FieldPath, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append(((*prefix, key), key))
            found += _key_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _key_paths(item, (*prefix, i))
    return found


@PURE
@given(st.dictionaries(_keys, _tree, min_size=1, max_size=4), st.data())
def test_locate_finds_the_line_of_a_generated_key(doc: dict[str, Any], draw: st.DataObject) -> None:
    text = yaml.safe_dump(doc, default_flow_style=False, sort_keys=False)
    path, key = draw.draw(st.sampled_from(_key_paths(doc)))
    line, column = locate(text, path, key=True)
    at = text.splitlines()[line - 1][column - 1 :]
    assert at.startswith((f"{key}:", f"'{key}':")), (text, path, line, column)
