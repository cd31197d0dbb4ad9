"""A hardened YAML reader over libyaml's event stream.

Why not ``yaml.safe_load`` or ``yaml.compose``: PyYAML's C composer recurses once per nesting level and crashes
the interpreter on deeply nested input (a 100,000-deep ``[[[…`` segfaults), its constructor silently keeps the
last of two duplicate keys, reads ``no`` as ``False`` (YAML 1.1: the "Norway problem") and expands alias bombs.
Here we drive the C parser's flat event stream and build values ourselves, iteratively, with:

- limits on bytes, nesting depth, aliases and the *expanded* node count (alias bombs fail fast), all relc's own
  and checked before any library's (flow nesting is pre-scanned before libyaml reads ahead: see flowdepth.py);
- whole numbers of at most MAX_DIGITS digits (Python refuses to convert longer ones): RLC203 at the field;
- YAML 1.2 core-schema scalars (only ``true``/``false`` are booleans; no timestamps, no sexagesimals);
- duplicate-key detection; keys are always the key's text;
- positions recorded only on request (``record_marks``): the fast path builds values, and the rare file that
  needs a diagnostic is re-read with marks (see :func:`locate`).

Measured on 10,000 tenant files (600 B each): C event parsing 0.8 s; ``yaml.compose`` 1.1 s; ``safe_load`` 2.0 s.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from sys import intern
from typing import Any

import yaml

from compiler.load.flowdepth import too_deep_at

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep hostile input from exhausting memory or the stack."""

    max_bytes: int = 1 << 20
    max_depth: int = 64
    max_nodes: int = 100_000
    max_aliases: int = 256


DEFAULT_LIMITS = Limits()


@dataclass(eq=False)
class YamlProblem(Exception):
    """Why a file could not be read as YAML, with the place (1-based) and the diagnostic code.

    Not frozen and without slots: Python sets ``__traceback__`` on exceptions it propagates through context
    managers, which a frozen dataclass refuses (and with slots, the refusal itself fails with a TypeError).
    """

    code: str
    message: str
    hint: str
    line: int = 0
    column: int = 0
    field: FieldPath = ()
    """The field path, for problems with a value rather than with the text (e.g. a number too large to read)."""


@dataclass(slots=True)
class Parsed:
    """The documents of one file; ``marks``/``key_marks`` map a field path to (line, column) when recorded."""

    documents: list[Any]
    marks: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)


_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INF = frozenset({".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})
_NINF = frozenset({"-.inf", "-.Inf", "-.INF"})
_NAN = frozenset({".nan", ".NaN", ".NAN"})

_TAG = "tag:yaml.org,2002:"


MAX_DIGITS = 640
"""The most digits a whole number may have (in decimal, however it is written). Python refuses to convert longer
ones between text and int (4300 digits by default, as little as 640 when configured: this is relc's own limit, so
it fires first whatever the interpreter's setting), and converting them costs quadratic time."""

_TOO_LARGE = 10**MAX_DIGITS


class NumberTooLarge(ValueError):
    """A plain scalar reads as a whole number with more than :data:`MAX_DIGITS` digits."""


def _whole(text: str, digits: str, base: int) -> int:
    if base == 10 and len(digits) > MAX_DIGITS:  # checked before converting: int() itself refuses or is slow
        raise NumberTooLarge(text)
    value = int(digits, base)
    if base != 10 and abs(value) >= _TOO_LARGE:  # hex and octal convert in linear time; then no str() could print it
        raise NumberTooLarge(text)
    return value


def resolve_plain(text: str) -> Any:
    """Resolve a plain (unquoted) scalar by the YAML 1.2 core schema; :class:`NumberTooLarge` past MAX_DIGITS."""
    if text in _NULLS:
        return None
    first = text[0]
    if first in "tTfF":
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return text
    if first in "0123456789-+.":
        if _INT.match(text):
            return _whole(text, text.lstrip("+-"), 10) * (-1 if first == "-" else 1)
        if _OCT.match(text):
            return _whole(text, text[2:], 8)
        if _HEX.match(text):
            return _whole(text, text[2:], 16)
        if _FLOAT.match(text):
            return float(text)
        if text in _INF:
            return float("inf")
        if text in _NINF:
            return float("-inf")
        if text in _NAN:
            return float("nan")
    return text


def _tagged(tag: str, text: str, mark: Any) -> Any:
    """Apply an explicit standard tag; any other tag is refused (no arbitrary constructors, ever)."""
    name = tag[len(_TAG) :] if tag.startswith(_TAG) else tag
    try:
        if name == "str":
            return text
        if name == "int":
            return _tagged_int(text)
        if name == "float":
            return float(text)
        if name == "bool":
            return {"true": True, "false": False}[text.lower()]
        if name == "null":
            return None
    except NumberTooLarge:
        raise
    except (ValueError, KeyError):
        raise YamlProblem(
            "RLC101",
            f"'{text}' is not a valid !!{name}",
            "fix the value or drop the tag",
            mark.line + 1,
            mark.column + 1,
        ) from None
    raise _unsupported_tag(tag, mark)


def _tagged_int(text: str) -> int:
    """``!!int``, as Python reads ``int(text, 0)``, within the digit limit of plain numbers (at most MAX_DIGITS
    characters: then no interpreter setting makes ``int`` refuse it)."""
    if len(text) > MAX_DIGITS:
        raise NumberTooLarge(text)
    value = int(text, 0)
    if abs(value) >= _TOO_LARGE:
        raise NumberTooLarge(text)
    return value


def _unsupported_tag(tag: str, mark: Any) -> YamlProblem:
    return YamlProblem(
        "RLC103",
        f"unsupported tag {tag!r}",
        "relc reads plain YAML data only; remove the tag (custom tags could run constructors)",
        mark.line + 1,
        mark.column + 1,
    )


class _Frame:
    """One open mapping or sequence while walking events."""

    __slots__ = ("anchor", "key", "key_mark", "path", "size", "value")

    def __init__(self, value: dict[str, Any] | list[Any], path: FieldPath, anchor: str | None) -> None:
        self.value = value
        self.path = path
        self.anchor = anchor
        self.key: str | None = None
        self.key_mark: tuple[int, int] = (0, 0)
        self.size = 1


def parse(text: str, *, limits: Limits = DEFAULT_LIMITS, record_marks: bool = False) -> Parsed:
    """Parse every document of ``text``. Raises :class:`YamlProblem` on syntax errors or exceeded limits."""
    if len(text) > limits.max_bytes:
        raise YamlProblem(
            "RLC103",
            f"file is {len(text)} bytes, over the {limits.max_bytes}-byte limit",
            "split the object or move bulky data out of the fleet repository",
        )
    deep = too_deep_at(text, limits.max_depth)
    if deep is not None:  # before libyaml, whose own flow-nesting limit would otherwise fire first
        raise _nesting_problem(text[: deep + 1], limits, deep)
    try:
        loader = yaml.CSafeLoader(text)
        try:
            return _Builder(limits, record_marks).run(loader.get_event)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if "nesting depth" in (exc.problem or ""):  # safety net: a libyaml limit the pre-scan did not foresee
            raise _too_deep(limits, mark.line + 1 if mark else 0, mark.column + 1 if mark else 0) from None
        raise _syntax_problem(exc) from None
    except yaml.reader.ReaderError as exc:  # bad encoding, control characters
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise YamlProblem(
            "RLC101",
            f"character {_codepoint(exc.character)} is not allowed in YAML: {exc.reason}",
            "remove the control character; save the file as UTF-8 text",
            line,
            column,
        ) from None
    except yaml.YAMLError as exc:
        raise YamlProblem("RLC101", f"YAML error: {exc}", "check the file is valid YAML") from None


_HINT = "check indentation, quoting and that every ':' after a key is followed by a space"


def _syntax_problem(exc: yaml.MarkedYAMLError) -> YamlProblem:
    """libyaml's error, placed at the construct that is broken.

    libyaml reports where it noticed the problem (``problem_mark``: for an unclosed quote, the end of the file) and,
    for most errors, the construct it was reading (``context_mark``: where the quote opened). A token (quoted,
    plain or block scalar, key, tag, anchor) or a flow collection is what needs the fix, so its start is the place
    and the hint says where libyaml noticed it. In a block collection the context is the collection's first line
    (often line 1), while the line that breaks the indentation is the problem mark: that stays the place.
    """
    problem, context = exc.problem or exc.context or "invalid YAML", exc.context if exc.problem else None
    at, seen = exc.problem_mark or exc.context_mark, exc.context_mark if exc.problem else None
    message = f"YAML syntax error {context}: {problem}" if context else f"YAML syntax error: {problem}"
    hint = _HINT
    if context and seen is not None and at is not None and (seen.line, seen.column) != (at.line, at.column):
        construct = context.split(" ", 3)[-1]  # "while scanning a quoted scalar" -> "quoted scalar"
        if context.startswith("while scanning") or "flow" in context:
            at, seen = seen, at
            where = "at the end of the file" if "end of stream" in problem else f"at {seen.line + 1}:{seen.column + 1}"
            hint = f"close or fix the {construct} that starts here (libyaml noticed the problem {where})"
        else:
            hint = f"{_HINT} (in the {construct} that starts at {seen.line + 1}:{seen.column + 1})"
    return YamlProblem("RLC101", message, hint, at.line + 1 if at else 0, at.column + 1 if at else 0)


def _nesting_problem(head: str, limits: Limits, deep: int) -> YamlProblem:
    """Where the event builder's limit fires in ``head``, the text up to the flow bracket over the limit (too
    short for libyaml's own limit): block collections around the brackets count too, so it may fire before
    ``deep``. Block nesting is found the same way as in any other file."""
    try:
        loader = yaml.CSafeLoader(head)
        try:
            _Builder(limits, False).run(loader.get_event)
        finally:
            loader.dispose()
    except YamlProblem as problem:
        if problem.code == "RLC103":
            return problem
    except yaml.YAMLError:
        pass  # the cut text ends inside its collections: the bracket itself is the place
    return _too_deep(limits, head.count("\n") + 1, deep - head.rfind("\n"))


def _too_deep(limits: Limits, line: int, column: int) -> YamlProblem:
    return YamlProblem(
        "RLC103",
        f"nesting deeper than {limits.max_depth} levels",
        "flatten the structure; fleet objects are never this deep",
        line,
        column,
    )


def _codepoint(character: int | str) -> str:
    """U+0007 rather than the raw character (which would reach the terminal) or libyaml's bare int."""
    value = character if isinstance(character, int) else ord(character[:1] or "\0")
    return f"U+{value:04X}"


_SCALAR, _ALIAS = yaml.ScalarEvent, yaml.AliasEvent
_MAPPING_START, _MAPPING_END = yaml.MappingStartEvent, yaml.MappingEndEvent
_SEQUENCE_START, _SEQUENCE_END = yaml.SequenceStartEvent, yaml.SequenceEndEvent
_DOCUMENT_START = yaml.DocumentStartEvent


class _Builder:
    """Turns the event stream into values; one instance per parse."""

    def __init__(self, limits: Limits, record_marks: bool) -> None:
        self.limits = limits
        self.record = record_marks
        self.out = Parsed([])
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.nodes = 0
        self.aliases = 0

    def run(self, next_event: Callable[[], Any]) -> Parsed:
        """Pull libyaml's events straight from the C parser until it returns None.

        ``yaml.parse`` (or a generator around ``get_event``) costs two more Python frames per event; pulling
        directly saves a third of the parse time. Events are dispatched by exact type, most frequent first.
        """
        scalar, open_, close = self._scalar, self._open, self._close
        event = next_event()
        while event is not None:
            kind = type(event)
            if kind is _SCALAR:
                scalar(event)
            elif kind is _MAPPING_START:
                open_(event, {})
            elif kind is _MAPPING_END or kind is _SEQUENCE_END:
                close()
            elif kind is _SEQUENCE_START:
                open_(event, [])
            elif kind is _ALIAS:
                self._alias(event)
            elif kind is _DOCUMENT_START:
                self.anchors = {}
            event = next_event()
        return self.out

    # -- nodes -------------------------------------------------------------------------------------------

    def _scalar(self, ev: Any) -> None:
        """The hot path (most events are scalars): inlined placement, marks only when recording."""
        text: str = ev.value
        stack = self.stack
        frame = stack[-1] if stack else None
        if frame is not None and frame.key is None and type(frame.value) is dict:
            self._set_key(frame, text, ev)
            return
        tag = ev.tag
        try:
            if tag is None or tag == "!":
                value = resolve_plain(text) if ev.implicit[0] and not ev.style else text
            else:
                value = _tagged(tag, text, ev.start_mark)
        except NumberTooLarge:
            raise self._too_large(text, ev.start_mark) from None
        if ev.anchor is not None:
            self.anchors[ev.anchor] = (value, 1)
        if frame is None or self.record:
            self._place(value, 1, ev.start_mark)
            return
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            self._count(0, ev.start_mark)
        frame.size += 1
        container = frame.value
        if type(container) is dict:
            container[frame.key] = value  # type: ignore[index]
            frame.key = None
        else:
            container.append(value)  # type: ignore[union-attr]

    def _too_large(self, text: str, mark: Any) -> YamlProblem:
        """The value's field path from the open frames (recorded or not): each holds the key or index being filled."""
        here: FieldPath = tuple(f.key if type(f.value) is dict else len(f.value) for f in self.stack)  # type: ignore[misc]
        return YamlProblem(
            "RLC203",
            f"the number '{text[:12]}…' ({len(text)} characters) is over relc's limit of {MAX_DIGITS} digits",
            "quote it if it is text (an ID, a key); no field takes a number this large",
            mark.line + 1,
            mark.column + 1,
            here,
        )

    def _set_key(self, frame: _Frame, key: str, ev: Any) -> None:
        mapping = frame.value
        assert isinstance(mapping, dict)
        if key in mapping:
            m = ev.start_mark
            raise YamlProblem(
                "RLC102",
                f"duplicate key '{key}'",
                "remove one of the two entries: YAML loaders silently keep only one of them",
                m.line + 1,
                m.column + 1,
            )
        # Interned: thousands of files repeat the same few keys, so one shared string each makes pickling the
        # parse workers' results (a pickle memoizes by identity) 40% smaller and unpickling nearly twice as fast.
        frame.key = intern(key)
        if self.record:
            frame.key_mark = (ev.start_mark.line + 1, ev.start_mark.column + 1)

    def _open(self, ev: Any, value: dict[str, Any] | list[Any]) -> None:
        if ev.tag not in (None, "!", _TAG + "map", _TAG + "seq"):
            raise _unsupported_tag(ev.tag, ev.start_mark)
        parent = self.stack[-1] if self.stack else None
        if parent is not None and type(parent.value) is dict and parent.key is None:
            m = ev.start_mark
            raise YamlProblem(
                "RLC101",
                "a mapping key must be a plain scalar, not a mapping or list",
                "write the key as text",
                m.line + 1,
                m.column + 1,
            )
        if len(self.stack) >= self.limits.max_depth:
            raise _too_deep(self.limits, ev.start_mark.line + 1, ev.start_mark.column + 1)
        path = self._child_path(parent) if self.record else ()
        if self.record:
            self.out.marks[path] = (ev.start_mark.line + 1, ev.start_mark.column + 1)
            if parent is not None and type(parent.value) is dict:
                self.out.key_marks[path] = parent.key_mark
        self.stack.append(_Frame(value, path, ev.anchor))
        self._count(1, ev.start_mark)

    def _close(self) -> None:
        frame = self.stack.pop()
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (frame.value, frame.size)
        self._attach(frame.value, frame.size)

    def _alias(self, ev: Any) -> None:
        self.aliases += 1
        m = ev.start_mark
        if self.aliases > self.limits.max_aliases:
            raise YamlProblem(
                "RLC103",
                f"more than {self.limits.max_aliases} aliases",
                "expand the repeated values; fleet files should not need many anchors",
                m.line + 1,
                m.column + 1,
            )
        if ev.anchor not in self.anchors:
            raise YamlProblem(
                "RLC101",
                f"alias *{ev.anchor} refers to an undefined anchor",
                "define the anchor (&name) before using it",
                m.line + 1,
                m.column + 1,
            )
        value, size = self.anchors[ev.anchor]
        frame = self.stack[-1] if self.stack else None
        if frame is not None and type(frame.value) is dict and frame.key is None:
            if not isinstance(value, str):
                raise YamlProblem(
                    "RLC101",
                    "an alias used as a key must be a string",
                    "write the key as text",
                    m.line + 1,
                    m.column + 1,
                )
            self._set_key(frame, value, ev)
            return
        self._place(value, size, m)

    # -- placement ---------------------------------------------------------------------------------------

    def _count(self, size: int, mark: Any) -> None:
        self.nodes += size
        if self.nodes > self.limits.max_nodes:
            raise YamlProblem(
                "RLC103",
                f"more than {self.limits.max_nodes} values once aliases are expanded",
                "this looks like an alias bomb (anchors referencing anchors); expand or remove the aliases",
                mark.line + 1,
                mark.column + 1,
            )

    def _place(self, value: Any, size: int, mark: Any) -> None:
        if self.record and self.stack:
            parent = self.stack[-1]
            path = self._child_path(parent)
            self.out.marks[path] = (mark.line + 1, mark.column + 1)
            if type(parent.value) is dict:
                self.out.key_marks[path] = parent.key_mark
        self._count(size, mark)
        self._attach(value, size)

    def _attach(self, value: Any, size: int) -> None:
        if not self.stack:
            self.out.documents.append(value)
            return
        parent = self.stack[-1]
        parent.size += size
        container = parent.value
        if type(container) is dict:
            assert parent.key is not None
            container[parent.key] = value
            parent.key = None
        else:
            assert isinstance(container, list)
            container.append(value)

    @staticmethod
    def _child_path(parent: _Frame | None) -> FieldPath:
        if parent is None:
            return ()
        if type(parent.value) is dict:
            assert parent.key is not None
            return (*parent.path, parent.key)
        return (*parent.path, len(parent.value))


def locate(text: str, path: FieldPath, *, key: bool = False, limits: Limits = DEFAULT_LIMITS) -> tuple[int, int]:
    """(line, column) of ``path`` in ``text``, or of its nearest recorded ancestor; (0, 0) if unreadable.

    ``key=True`` prefers the position of the mapping key (where an unknown or misspelt field is best shown).
    """
    return position_in(marks_of(text, limits), path, key=key)


def marks_of(text: str, limits: Limits = DEFAULT_LIMITS) -> Parsed | None:
    """``text`` parsed with positions recorded, or None if it cannot be read (callers may keep it for reuse)."""
    try:
        return parse(text, limits=limits, record_marks=True)
    except YamlProblem:
        return None


def position_in(parsed: Parsed | None, path: FieldPath, *, key: bool = False) -> tuple[int, int]:
    """The lookup half of :func:`locate`, over an already parsed text."""
    if parsed is None:
        return (0, 0)
    probe = tuple(path)
    while True:
        if key and probe in parsed.key_marks:
            return parsed.key_marks[probe]
        if probe in parsed.marks:
            return parsed.marks[probe]
        if not probe:
            return (1, 1)
        probe = probe[:-1]
