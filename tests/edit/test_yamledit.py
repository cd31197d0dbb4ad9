"""The one-scalar splice under relc pin: every byte but the value's stays, and the value reads back as the string."""

from __future__ import annotations

import pytest

from compiler.edit.yamledit import NotEditable, add_true_after, set_scalar
from compiler.load.documents import SourceFile
from compiler.load.parallel import ParseCache, parse_all

PIN = ("spec", "releaseCandidate")


@pytest.mark.parametrize(
    ("before", "after", "line"),
    [
        ("spec:\n  releaseCandidate: q1  # why\n", "spec:\n  releaseCandidate: q2  # why\n", 2),
        ("spec:\r\n  releaseCandidate: 'q1'\r\n", "spec:\r\n  releaseCandidate: 'q2'\r\n", 2),
        (
            'kind: T\nspec: {releaseCandidate: "q1", role: Agent}',
            'kind: T\nspec: {releaseCandidate: "q2", role: Agent}',
            2,
        ),
        ("# c\nspec:\n  # c\n  releaseCandidate:\n    q1\n", "# c\nspec:\n  # c\n  releaseCandidate:\n    q2\n", 5),
    ],
)
def test_only_the_value_changes(before: str, after: str, line: int) -> None:
    assert set_scalar(before, PIN, "q2") == (after, line)


def test_a_value_yaml_would_read_as_another_type_is_quoted() -> None:
    assert set_scalar("spec:\n  releaseCandidate: q1\n", PIN, "2025") == ('spec:\n  releaseCandidate: "2025"\n', 2)
    assert set_scalar("spec:\n  releaseCandidate: q1\n", PIN, "null")[0] == 'spec:\n  releaseCandidate: "null"\n'


@pytest.mark.parametrize(
    "text", ["spec:\n  role: Agent\n", "spec: [releaseCandidate]\n", "spec:\n  releaseCandidate: {a: 1}\n"]
)
def test_a_file_without_the_scalar_is_not_editable(text: str) -> None:
    with pytest.raises(NotEditable):
        set_scalar(text, PIN, "q2")


def test_a_parse_cache_parses_only_the_files_it_lacks() -> None:
    one, two = SourceFile("a.yaml", "a: 1\n"), SourceFile("b.yaml", "b: 2\n")
    cache: ParseCache = {}
    first = parse_all([one, two], cache=cache)
    edited = SourceFile("b.yaml", "b: 3\n")
    second = parse_all([one, edited], cache=cache)

    assert second[0] is first[0]  # reused, not parsed again
    assert second[1] is not first[1] and second[1] == parse_all([edited])[0]
    assert set(cache) == {one, two, edited}


@pytest.mark.parametrize(
    ("before", "after", "line"),
    [
        (
            "spec:\n  releaseCandidate: q1  # why\n  apps: []\n",
            "spec:\n  releaseCandidate: q1  # why\n  removed: true\n  apps: []\n",
            3,
        ),
        ("spec:\r\n    releaseCandidate: 'q1'\r\n", "spec:\r\n    releaseCandidate: 'q1'\r\n    removed: true\r\n", 3),
        ("spec:\n  releaseCandidate: q1", "spec:\n  releaseCandidate: q1\n  removed: true\n", 3),
    ],
)
def test_the_tombstone_is_one_added_line_below_the_pin(before: str, after: str, line: int) -> None:
    assert add_true_after(before, PIN, "removed") == (after, line)


@pytest.mark.parametrize(
    "text", ['spec: {releaseCandidate: "q1", role: Agent}\n', "spec:\n  releaseCandidate:\n    q1\n", "spec: {}\n"]
)
def test_a_pin_the_tombstone_cannot_follow_is_not_editable(text: str) -> None:
    with pytest.raises(NotEditable):
        add_true_after(text, PIN, "removed")
