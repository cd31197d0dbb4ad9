"""parse_all on worker processes gives exactly what parsing in this process gives, in the same order."""

from __future__ import annotations

from compiler.load.documents import SourceFile
from compiler.load.parallel import ParseOutcome, parse_all, parse_one
from compiler.load.yamlread import Parsed, YamlProblem

_TEXTS = [
    "a: 1\nb: [x, y]\n",
    "a: 1\na: 2\n",  # a duplicate key: a problem, shipped back from the worker as one
    "--- 1\n--- {k: &v [1, 2], j: *v}\n",
    "",
    "k: !!python/object x\n",
    "- &n {deep: [true, no, 0x1f, .inf, ~]}\n- *n\n",
]


def _shape(outcome: ParseOutcome) -> object:
    if isinstance(outcome, YamlProblem):
        return ("problem", outcome.code, outcome.message, outcome.hint, outcome.line, outcome.column)
    assert isinstance(outcome, Parsed)
    return ("parsed", outcome.documents, outcome.marks, outcome.key_marks)


def test_parallel_outcomes_equal_serial_ones() -> None:
    sources = [SourceFile(f"tenants/x/{i}.yaml", text) for i, text in enumerate(_TEXTS * 5)]
    parallel = parse_all(sources, workers=2, threshold=1)
    assert [_shape(o) for o in parallel] == [_shape(parse_one(s.text)) for s in sources]
