"""How deep a YAML text's flow collections (``[…]``, ``{…}``) nest, found before libyaml sees the text.

Why: libyaml (>= 0.2.5) refuses more than 1000 nested flow levels, and its scanner reads ahead over ``[``/``{``
while a simple key may be pending, so on ``[[[[…`` it fails with its own error before the parser hands us the
events our nesting limit counts. Which library error wins would then depend on the PyYAML/libyaml release. Block
nesting needs no pre-scan: libyaml emits block events as it goes, so the event builder's limit always fires first
(tests/load/test_nesting.py checks both).

The scan is linear and cheap: a file with no more brackets than the limit cannot nest deeper (two ``str.count``
calls, ~1 µs for a fleet file); otherwise a tokenizer follows only what decides flow structure: quoted scalars
(skipped), comments (skipped), block scalars (skipped), plain scalars (where a ``[`` is text, not a collection).
Where it could be wrong it errs towards missing a deep file (libyaml's nesting error is then still RLC103); the
one way it could count text as nesting is a plain scalar continued on a line that starts with ``[`` and leaves
65 of them open, which no fleet file does. A hit is confirmed by the event builder on the text up to it.
"""

from __future__ import annotations

import re

_DOUBLE = re.compile(r'"(?:[^"\\]|\\.)*+"', re.DOTALL)
_SINGLE = re.compile(r"'(?:[^']|'')*+'")
_SPACE = re.compile(r"\s+")
_TO_EOL = re.compile(r"[^\n]*")
_PROPERTY = re.compile(r"[^\s\[\]{},]*")
_PLAIN = re.compile(r"(?:[^\s\[\]{},:]|:(?=[^\s\[\]{},]))+")
_INDICATOR_END = frozenset(" \t\r\n[]{},")

_NODE_START = re.compile(
    r"""[ \t]*+(?:---[ \t]++)?(?:[-?:][ \t]++)*+               # indentation, document start, block indicators
    (?:(?:"(?:[^"\\\n]|\\.)*+"|'(?:[^'\n]|'')*+'             # a quoted key
        |(?:[^\s\#'"\[\]{}|>&!*?:-]|[-?:](?=\S))(?:[^\n\#:]|:(?=[^ \t\n]))*+)  # or a plain one, to ': '
       [ \t]*+:(?:[ \t]++|(?=\n)|\Z))?
    (?:[!&]\S*+[ \t]++)*+                                    # tags and anchors
    """,
    re.VERBOSE,
)
"""In block context: everything on a line before where a node (a flow collection, a quoted or block scalar) may
start. What follows the match is a node's first character; anything else there is plain text or a comment.
Possessive quantifiers throughout: no backtracking, so a hostile 1 MiB line costs linear time."""

_BLOCK_SCALAR = re.compile(r"[|>][-+0-9]*[ \t]*(?:#[^\n]*)?(?=\n|\Z)")


def too_deep_at(text: str, limit: int) -> int | None:
    """The offset of the first ``[``/``{`` that opens flow level ``limit + 1``, or None if there is none."""
    if text.count("[") + text.count("{") <= limit:
        return None
    pos, end = 0, len(text)
    while pos < end:
        line_end = text.find("\n", pos)
        line_end = end if line_end < 0 else line_end
        start = _NODE_START.match(text, pos, line_end)  # always matches (every part is optional)
        node = start.end() if start is not None else pos
        char = text[node] if node < line_end else ""
        if char in ("[", "{"):
            found, pos = _flow(text, node, limit)
            if found is not None:
                return found
            if pos < 0:
                return None
            continue  # the rest of the line after the collection: a comment or an error libyaml reports
        if char in ('"', "'"):
            quoted = (_DOUBLE if char == '"' else _SINGLE).match(text, node)
            if quoted is None:
                return None  # unterminated: a syntax error libyaml reports
            pos = quoted.end()
            continue
        if char in ("|", ">") and _BLOCK_SCALAR.match(text, node, line_end):
            pos = _after_block_scalar(text, pos, line_end)
            continue
        pos = line_end + 1
    return None


def _after_block_scalar(text: str, line_start: int, line_end: int) -> int:
    """The start of the first line after a block scalar's content: its lines are blank or more indented."""
    indent = _indent(text, line_start, line_end)
    pos = line_end + 1
    while pos < len(text):
        nxt = text.find("\n", pos)
        nxt = len(text) if nxt < 0 else nxt
        if text[pos:nxt].strip() and _indent(text, pos, nxt) <= indent:
            return pos
        pos = nxt + 1
    return pos


def _skip(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Past what ``pattern`` matches at ``pos``; at least one character, so every loop advances."""
    found = pattern.match(text, pos)
    return max(found.end(), pos + 1) if found is not None else pos + 1


def _indent(text: str, start: int, end: int) -> int:
    return len(text[start:end]) - len(text[start:end].lstrip(" "))


def _flow(text: str, pos: int, limit: int) -> tuple[int | None, int]:
    """Walk one flow collection from its opening bracket at ``pos``.

    Returns (offset of the bracket over the limit, None) or (None, offset after the closing bracket); (None, -1)
    when the text ends or breaks first (libyaml reports that).
    """
    depth, expect, json_key, end = 0, True, False, len(text)
    while pos < end:
        char = text[pos]
        if char in "[{":
            depth += 1
            if depth > limit:
                return pos, 0
            pos, expect, json_key = pos + 1, True, False
        elif char in "]}":
            depth -= 1
            pos, expect, json_key = pos + 1, False, True
            if depth == 0:
                return None, pos
        elif char == ",":
            pos, expect, json_key = pos + 1, True, False
        elif char in " \t\r\n":
            pos = _skip(_SPACE, text, pos)
        elif char == "#":
            pos = _skip(_TO_EOL, text, pos)
        elif char in "\"'" and expect:
            quoted = (_DOUBLE if char == '"' else _SINGLE).match(text, pos)
            if quoted is None:
                return None, -1
            pos, expect, json_key = quoted.end(), False, True
        elif char in ":?" and (json_key or pos + 1 == end or text[pos + 1] in _INDICATOR_END):
            pos, expect, json_key = pos + 1, True, False
        elif char in "!&" and expect:
            pos = _skip(_PROPERTY, text, pos)
        else:
            pos = _skip(_PLAIN, text, pos)
            expect, json_key = False, False
    return None, -1
