"""A small bounded YAML reader for the one YAML file relc-migrate reads: a migrations folder's dependencies.yml.

Why not ``yaml.safe_load``: it reads YAML 1.1 (``no`` is False, ``1:30`` is a number), keeps the last of two
duplicate keys, expands alias bombs, recurses once per nesting level, and has no size limit, while the file comes
from a service image relc-migrate does not control. The compiler's hardened reader (compiler/load/yamlread.py)
fixes all of that, but relc-migrate never imports the compiler and relc_contract is standard library only, so this
is the same hardening cut to what dependencies.yml needs, over libyaml's flat event stream, built iteratively:

- a size cap (``MAX_BYTES``) checked before parsing, a nesting cap (``MAX_DEPTH``);
- no anchors, aliases or explicit tags at all (a dependencies file never needs them; refusing them is the
  tightest alias limit there is);
- YAML 1.2 core-schema plain scalars: only ``true``/``false`` are booleans, ``null``/``~``/empty is null,
  decimal integers and floats are numbers (at most ``MAX_DIGITS`` digits), everything else is text;
- duplicate keys refused; keys are scalars;
- every value's and key's line:column kept by field path, so a problem ``read_dependencies`` reports by path
  names its line.

PyYAML itself is imported only when a folder has a dependencies.yml: no other run pays for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

MAX_BYTES: Final = 64 * 1024
MAX_DEPTH: Final = 16
MAX_DIGITS: Final = 64

FieldPath = tuple[str | int, ...]

_INT: Final = re.compile(r"[-+]?[0-9]+")
_FLOAT: Final = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NULLS: Final = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE: Final = frozenset({"true", "True", "TRUE"})
_FALSE: Final = frozenset({"false", "False", "FALSE"})


class YamlFileError(ValueError):
    """Why the file cannot be read, at a 1-based line (0: the file as a whole)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Read:
    """The file's one document, and where each field path's value (``marks``) and key (``key_marks``) is."""

    data: Any
    marks: dict[FieldPath, int] = field(default_factory=dict)
    key_marks: dict[FieldPath, int] = field(default_factory=dict)

    def line_of(self, path: FieldPath, *, at_key: bool = False) -> int:
        """The line of ``path`` (its key's when ``at_key``), or of its nearest enclosing field that has one."""
        for end in range(len(path), -1, -1):
            found = (self.key_marks if at_key and end == len(path) else self.marks).get(path[:end])
            if found is not None:
                return found
        return 0


def resolve_plain(text: str) -> object:
    """A plain (unquoted) scalar by the YAML 1.2 core schema, without hex/octal/inf/nan (no field takes them)."""
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    digits = len(text.lstrip("+-"))
    if _INT.fullmatch(text):
        if digits > MAX_DIGITS:
            raise ValueError(f"the number {text[:12]}... has more than {MAX_DIGITS} digits")
        return int(text)
    if _FLOAT.fullmatch(text) and digits <= MAX_DIGITS:
        return float(text)
    return text


def read_text(text: str) -> Read:
    """The single document of ``text``; YamlFileError (with its line) when it is not one this reader accepts."""
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise YamlFileError(f"the file is {size} bytes, over the limit of {MAX_BYTES}")
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        return _build(loader.get_event)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        raise YamlFileError(f"not valid YAML: {err.problem or err.context}", mark.line + 1 if mark else 0) from None
    except yaml.YAMLError as err:
        raise YamlFileError(f"not valid YAML: {err}") from None
    finally:
        loader.dispose()


def _build(next_event: Any) -> Read:
    import yaml

    out = Read(None)
    stack: list[tuple[dict[str, Any] | list[Any], FieldPath]] = []
    key: list[str | None] = []  # per open mapping: the key awaiting its value
    documents = 0

    def place(value: object, line: int) -> FieldPath:
        if not stack:
            out.data = value
            out.marks[()] = line
            return ()
        container, path = stack[-1]
        if isinstance(container, dict):
            name = key[-1]
            assert name is not None  # a value event in a mapping always follows its key
            container[name] = value
            key[-1] = None
            here: FieldPath = (*path, name)
        else:
            here = (*path, len(container))
            container.append(value)
        out.marks[here] = line
        return here

    while (event := next_event()) is not None:
        line = event.start_mark.line + 1
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise YamlFileError("more than one YAML document ('---'): the file holds one", line)
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise YamlFileError("anchors and aliases (&name, *name) are not allowed here: write the values out", line)
        if getattr(event, "tag", None) not in (None, "!"):
            raise YamlFileError(f"explicit tags ({event.tag}) are not allowed here", line)
        if isinstance(event, yaml.ScalarEvent):
            in_mapping = bool(stack) and isinstance(stack[-1][0], dict)
            if in_mapping and key[-1] is None:
                mapping, path = stack[-1]
                if event.value in mapping:
                    raise YamlFileError(f"duplicate key {event.value!r}: YAML loaders silently keep only one", line)
                key[-1] = event.value
                out.key_marks[(*path, event.value)] = line
                continue
            plain = event.implicit[0] and not event.style
            try:
                place(resolve_plain(event.value) if plain else event.value, line)
            except ValueError as err:
                raise YamlFileError(str(err), line) from None
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if stack and isinstance(stack[-1][0], dict) and key[-1] is None:
                raise YamlFileError("a key must be a plain value, not a mapping or a list", line)
            if len(stack) >= MAX_DEPTH:
                raise YamlFileError(f"nested deeper than {MAX_DEPTH} levels", line)
            container: dict[str, Any] | list[Any] = {} if isinstance(event, yaml.MappingStartEvent) else []
            path = place(container, line)
            stack.append((container, path))
            key.append(None)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            stack.pop()
            key.pop()
    return out
