"""Version constraints: the range grammar, its errors, and agreement with plain semver ordering."""

from __future__ import annotations

import pytest
import semver
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.resolve.constraints import InvalidRange, parse_range


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        (">=2.1.0, <3.0.0", ">=2.1.0, <3.0.0"),
        (">=2.1.0 <3.0.0", ">=2.1.0, <3.0.0"),
        (">= v2.1.0 ,<3.0.0", ">=2.1.0, <3.0.0"),
        ("v1.2.0", "==1.2.0"),
        ("=1.2.0", "==1.2.0"),
        ("!=2.0.0", "!=2.0.0"),
        (">1.0.0-rc.1", ">1.0.0-rc.1"),
    ],
)
def test_ranges_parse_and_normalise(text: str, normalised: str) -> None:
    assert str(parse_range(text)) == normalised


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "it is empty"),
        ("   ", "it is empty"),
        (">=2.1.0 <3", "'3' is not a semantic version (MAJOR.MINOR.PATCH)"),
        (">=2.1.0,,<3.0.0", "expected a comparison such as '>=2.1.0' at ',<3.0.0'"),
        (">=2.1.0<3.0.0", "expected ',' or a space before '<3.0.0'"),
        ("~2.1.0", "expected a comparison such as '>=2.1.0' at '~2.1.0'"),
    ],
)
def test_bad_ranges_say_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(InvalidRange) as caught:
        parse_range(text)
    assert caught.value.text == text
    assert caught.value.reason == reason


def test_ordering_is_semantic_not_textual() -> None:
    assert parse_range(">2.9.0").allows("2.10.0")
    assert parse_range("<3.0.0").allows("3.0.0-rc.1")
    assert not parse_range(">=2.1.0, <3.0.0").allows("3.0.0")
    assert parse_range(">=2.1.0").allows("v2.1.0")


VERSIONS = st.tuples(*(st.integers(0, 4) for _ in range(3)))
OPERATORS = st.sampled_from([">=", ">", "<=", "<", "==", "!="])
BRUTE = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _text(v: tuple[int, int, int]) -> str:
    return ".".join(map(str, v))


@settings(max_examples=300, deadline=None)
@given(
    terms=st.lists(st.tuples(OPERATORS, VERSIONS), min_size=1, max_size=3),
    version=VERSIONS,
    joiner=st.sampled_from([", ", " ", ",", " , "]),
    prefix=st.booleans(),
)
def test_satisfaction_agrees_with_brute_force(
    terms: list[tuple[str, tuple[int, int, int]]], version: tuple[int, int, int], joiner: str, prefix: bool
) -> None:
    text = joiner.join(f"{op}{'v' if prefix else ''}{_text(v)}" for op, v in terms)
    expected = all(BRUTE[op](version, bound) for op, bound in terms)  # tuples compare like release versions
    assert parse_range(text).allows(_text(version)) is expected
    # and the normalised text means the same
    assert parse_range(str(parse_range(text))).allows(_text(version)) is expected


@settings(max_examples=200, deadline=None)
@given(a=VERSIONS, b=VERSIONS, pre=st.sampled_from(["", "-alpha", "-rc.1"]))
def test_prereleases_order_like_semver(a: tuple[int, int, int], b: tuple[int, int, int], pre: str) -> None:
    left, right = _text(a) + pre, _text(b)
    assert parse_range(f"<{right}").allows(left) is (semver.Version.parse(left) < semver.Version.parse(right))
