"""Parse many files on forked workers: an execution edge, kept out of the pure core.

libyaml's event parsing plus our value builder costs ~0.1 ms of CPU per small file, so at 10,000 tenants
parsing is most of ``relc validate``. The workers are :func:`compiler.fanout.fan_out`'s (the mechanism emit uses
too), as many as the command's ``--jobs``; they return plain values (cheap to pickle) in input order, so the
result is identical to a serial parse. Below :data:`compiler.fanout.PARSE_THRESHOLD` files the fork costs more
than it saves and the parse stays in-process.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from compiler.fanout import PARSE_THRESHOLD, fan_out
from compiler.load.documents import SourceFile
from compiler.load.yamlread import DEFAULT_LIMITS, Limits, Parsed, YamlProblem, parse

ParseOutcome = Parsed | YamlProblem


def parse_one(text: str, limits: Limits = DEFAULT_LIMITS) -> ParseOutcome:
    try:
        return parse(text, limits=limits)
    except YamlProblem as problem:
        return problem


ParseCache = dict[SourceFile, ParseOutcome]
"""Outcomes already computed, by file (path and text): an edit command loads the fleet, then analyses it with the
few files it changed, and only those are parsed again. Outcomes are shared, never mutated (typing reads them)."""


def parse_all(
    sources: Sequence[SourceFile],
    limits: Limits = DEFAULT_LIMITS,
    *,
    workers: int = 1,
    threshold: int = PARSE_THRESHOLD,
    cache: ParseCache | None = None,
) -> list[ParseOutcome]:
    """Outcomes in the order of ``sources``: on ``workers`` forked children once there are ``threshold`` files;
    with ``cache``, only the files it lacks are parsed (and added to it).

    Serially every file is parsed before any is typed: interleaving parsing and typing file by file measured
    10% slower (the two keep evicting each other's code and data from the CPU caches).
    """
    if cache is not None:
        todo = [s for s in sources if s not in cache]
        cache.update(zip(todo, parse_all(todo, limits, workers=workers, threshold=threshold), strict=True))
        return [cache[s] for s in sources]
    if workers < 2 or len(sources) < threshold:
        return [parse_one(s.text, limits) for s in sources]

    def chunk(share: Sequence[SourceFile]) -> list[list[Any] | YamlProblem]:
        """A worker's share, as the documents alone: the fast path records no positions, and plain lists pickle
        in two thirds of the time :class:`Parsed` objects take."""
        return [o if isinstance(o, YamlProblem) else o.documents for o in (parse_one(s.text, limits) for s in share)]

    return [
        o if isinstance(o, YamlProblem) else Parsed(o)
        for part in fan_out(chunk, sources, workers=workers, threshold=threshold)
        for o in part
    ]
