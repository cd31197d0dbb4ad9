"""The block YAML relc's emitter writes, read line by line: the cheap path of ``relc validate --rendered``.

Why: at 1,000 tenants rendered/ holds ~58 MB of YAML in ~30,000 documents, and reading it through the hardened
reader (compiler.load.yamlread: libyaml's events, each turned into a value in Python) was most of the check's
time. Nearly every line relc writes has one of a few shapes (compiler.emit.yamlout): ``key: scalar``, ``key:``
opening a block two columns deeper, ``- item``, ``key: {}`` / ``key: []``, where a scalar is plain
(YAML 1.2 core schema, resolved by the hardened reader's own :func:`~compiler.load.yamlread.resolve_plain`) or a
JSON string (a valid YAML double-quoted scalar). Such a document is read here with one regular expression per
distinct line (1,000 tenants' 1.85 million lines hold ~45,000 distinct ones) and a stack of open blocks, and
means exactly what the hardened reader reads from it.

Anything else, however valid YAML it is — a comment, a literal block, a single-quoted or multi-line scalar,
another indentation, an anchor, a tag, a flow collection, a duplicate key, a character some reader takes for a
line break, a number past relc's limit — gives None, and the caller reads the document with the hardened
reader, which accepts or reports it as before. So a hand edit can slow the check down, never change its verdict
(tests compare both readers on every rendered file and on mutated ones).
"""

from __future__ import annotations

import json
import re
from typing import Any

from compiler.load.yamlread import Limits, NumberTooLarge, resolve_plain

_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
"""Tabs, carriage returns, control characters, and what YAML 1.1 readers take for line breaks: never read here."""
_QUOTED = r'"(?:[^"\\]|\\["\\/bfnrt]|\\u(?![dD][89abAB])[0-9a-fA-F]{4})*"'
"""A JSON string whose escapes mean the same in YAML (no surrogate halves, which JSON pairs and YAML refuses)."""
_PLAIN = r"[A-Za-z0-9_./][A-Za-z0-9_./:@+=-]*"
_KEY = rf"(?:[A-Za-z0-9_./][A-Za-z0-9_./@+=-]*|{_QUOTED})"
_LINE = re.compile(rf"( *)(- )?(?:({_KEY}):(?: ({_PLAIN}|{_QUOTED}|\{{\}}|\[\]))?|({_PLAIN}|{_QUOTED}|\{{\}}|\[\]))\Z")
"""indent, "- ", then ``key:`` with an optional value, or (after "- ") a value alone."""


_BLOCK, _SCALAR, _MAPPING, _SEQUENCE = range(4)
"""What follows a key (or a ``- ``): a nested block on the next lines, a scalar, ``{}``, ``[]``."""

Line = tuple[int, bool, str | None, int, Any]
"""(indent, after "- ", key or None, what follows, the scalar): one line, read once however often it recurs."""

MAX_KEY = 1000
"""Longer keys are left to the hardened reader: libyaml refuses an implicit key past 1024 characters."""

RECENT = 100_000
"""Distinct lines remembered (1,000 tenants' 1.85 million lines hold ~45,000 distinct ones: names repeat)."""


class EmittedReader:
    """Reads documents in the emitter's shapes; remembers each distinct line's reading (one per check run)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._lines: dict[str, Line | None] = {}

    def _line(self, text: str) -> Line | None:
        match = _LINE.match(text)
        if match is None:
            return None
        pad, dash, key, value, alone = match.groups()
        if key is not None and len(key) > MAX_KEY:
            return None
        if key is not None and key[0] == '"':
            key = json.loads(key)
        raw = value if key is not None else alone
        if raw is None:
            return (len(pad), dash is not None, key, _BLOCK, None)
        if raw == "{}":
            return (len(pad), dash is not None, key, _MAPPING, None)
        if raw == "[]":
            return (len(pad), dash is not None, key, _SEQUENCE, None)
        if raw[0] == '"':
            return (len(pad), dash is not None, key, _SCALAR, json.loads(raw))
        if raw[-1] == ":":
            return None
        try:
            return (len(pad), dash is not None, key, _SCALAR, resolve_plain(raw))
        except NumberTooLarge:
            return None

    def read(self, text: str) -> list[Any] | None:
        """The one document of ``text`` (a piece between two ``---`` lines) if it is in the emitter's shapes,
        else None. The value equals what :func:`compiler.load.yamlread.parse` returns as its only document."""
        limits = self.limits
        if not text.endswith("\n") or len(text) > limits.max_bytes or _UNSAFE.search(text):
            return None
        known = self._lines
        if len(known) > RECENT:
            known.clear()
        rows = text[:-1].split("\n")
        if 2 * len(rows) + 1 > limits.max_nodes:  # at most a key and a value per line: never over the limit
            return None
        root: dict[str, Any] = {}
        stack: list[tuple[int, Any]] = [(0, root)]  # (indent, open mapping or list), innermost last
        pending: tuple[dict[str, Any], str, int] | None = None  # a "key:" waiting for its block
        for row in rows:
            line = known.get(row, _UNREAD)
            if line is _UNREAD:
                line = known[row] = self._line(row)
            if line is None:
                return None
            indent, dash, key, kind, value = line
            if pending is not None:
                parent, name, wanted = pending
                pending = None
                if indent != wanted or len(stack) >= limits.max_depth:
                    return None
                block: Any = [] if dash else {}
                parent[name] = block
                stack.append((indent, block))
            else:
                while stack[-1][0] > indent:
                    stack.pop()
                if stack[-1][0] != indent:
                    return None
            container = stack[-1][1]
            if type(container) is list:
                if not dash:
                    return None
                if key is None:  # "- value" (a value alone is never a block: the line's expression needs one)
                    container.append({} if kind == _MAPPING else [] if kind == _SEQUENCE else value)
                    continue
                if len(stack) >= limits.max_depth:
                    return None
                container = {}
                stack[-1][1].append(container)
                indent += 2
                stack.append((indent, container))
            elif dash or key is None:
                return None
            if key in container:
                return None  # a duplicate key: the hardened reader reports it
            if kind == _BLOCK:
                pending = (container, key, indent + 2)
            else:
                container[key] = {} if kind == _MAPPING else [] if kind == _SEQUENCE else value
        return None if pending is not None else [root]


_UNREAD: Any = object()
