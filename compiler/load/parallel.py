"""Parse many files on every core: an execution edge (it forks worker processes), kept out of the pure core.

libyaml's event parsing plus our value builder costs ~0.1 ms of CPU per small file, so at 10,000 tenants
parsing is most of `relc validate`. Workers return plain values (cheap to pickle) in input order, so the
result is identical to a serial parse; below ``threshold`` files the fork costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat
from typing import Any

from compiler.load.documents import SourceFile
from compiler.load.yamlread import DEFAULT_LIMITS, Limits, Parsed, YamlProblem, parse

ParseOutcome = Parsed | YamlProblem


def parse_one(text: str, limits: Limits = DEFAULT_LIMITS) -> ParseOutcome:
    try:
        return parse(text, limits=limits)
    except YamlProblem as problem:
        return problem


def _parse_chunk(args: tuple[list[str], Limits]) -> list[list[Any] | YamlProblem]:
    """A worker's share, as the documents alone: the fast path records no positions, and plain lists pickle in
    two thirds of the time :class:`Parsed` objects take."""
    texts, limits = args
    return [
        outcome if isinstance(outcome, YamlProblem) else outcome.documents
        for outcome in map(parse_one, texts, repeat(limits))
    ]


def parse_all(
    sources: Sequence[SourceFile],
    limits: Limits = DEFAULT_LIMITS,
    *,
    workers: int | None = None,
    threshold: int = 2000,
) -> Iterable[ParseOutcome]:
    """Outcomes in the order of ``sources``; parallel only when it pays and ``fork`` is available.

    In parallel, outcomes are yielded as workers finish their chunks, so the caller types the first files while
    later ones are still being parsed. Serially they are all parsed first: interleaving parsing and typing file by
    file measured 10% slower (the two keep evicting each other's code and data from the CPU caches).
    """
    count = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if count < 2 or len(sources) < threshold or "fork" not in multiprocessing.get_all_start_methods():
        return [parse_one(s.text, limits) for s in sources]
    return _stream(sources, limits, count)


def _stream(sources: Sequence[SourceFile], limits: Limits, count: int) -> Iterator[ParseOutcome]:
    size = -(-len(sources) // (count * 8))
    chunks = [([s.text for s in sources[i : i + size]], limits) for i in range(0, len(sources), size)]
    with multiprocessing.get_context("fork").Pool(count) as pool:
        for chunk in pool.imap(_parse_chunk, chunks):
            yield from (o if isinstance(o, YamlProblem) else Parsed(o) for o in chunk)
