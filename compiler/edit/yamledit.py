"""Changing one scalar of a YAML file so that the file's git diff is that one line.

ruamel.yaml's composer says where the scalar is (its exact span and quoting style) and the new value
is spliced into the original text there. Why not ruamel's round-trip dump: it re-indents sequences by one
per-file setting, may fold long lines and rewrites flow mappings' spacing, so a file written by hand would come
back with more than one line changed. A splice keeps every other byte (comments, key order, quoting, CRLF line
endings, a missing final newline) by construction, and the result is read back (by relc's own loader, the one
that will read it) to prove the value is the one asked for: a plain ``2025`` would read as a number, so it is then
written double-quoted. ruamel composes in pure Python (~4 ms a tenant file, against ~0.1 ms for the libyaml reader
relc loads with), so each file is composed once and the check uses the fast reader.
"""

from __future__ import annotations

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from compiler.load.yamlread import YamlProblem, parse


class NotEditable(ValueError):
    """The field is not a plain key path of scalars in this file (a flow of aliases, a missing key…)."""


def set_scalar(text: str, path: tuple[str, ...], value: str) -> tuple[str, int]:
    """``text`` with the string scalar at ``path`` (mapping keys from the top) replaced by ``value``, and the
    1-based line it is on."""
    node = _scalar(_compose(text), path)
    style = node.style if node.style in ("'", '"') else None
    for quote in (style, '"'):
        edited = text[: node.start_mark.index] + _quoted(value, quote) + text[node.end_mark.index :]
        if _read_back(edited, path) == value:
            return edited, node.start_mark.line + 1
    raise NotEditable(f"'{value}' cannot be written as a string scalar")


def add_true_after(text: str, after: tuple[str, ...], key: str) -> tuple[str, int]:
    """``text`` with ``key: true`` added on its own line below the block-style scalar at ``after`` (in the same
    mapping, at the same indentation), and that line's 1-based number. The tombstone ``relc tenant remove``
    writes (``spec.removed``): one added line, every other byte kept."""
    node = _scalar(_compose(text), after)
    if node.style not in (None, "", "'", '"') or "\n" in text[node.start_mark.index : node.end_mark.index]:
        raise NotEditable(f"{'.'.join(after)} is not a one-line scalar")
    line_end = text.find("\n", node.end_mark.index)
    if line_end < 0:
        text, line_end = text + "\n", len(text)
    line_start = text.rfind("\n", 0, node.start_mark.index) + 1
    indent = len(text[line_start:]) - len(text[line_start:].lstrip(" "))
    newline = "\r\n" if text[line_end - 1 : line_end] == "\r" else "\n"
    at = line_end + 1
    edited = text[:at] + " " * indent + f"{key}: true" + newline + text[at:]
    if _read_back(edited, (*after[:-1], key)) is not True:
        raise NotEditable(f"'{key}: true' cannot be added below {'.'.join(after)}")
    return edited, node.end_mark.line + 2


def _read_back(text: str, path: tuple[str, ...]) -> object:
    try:
        data: object = parse(text).documents[0]
    except (YamlProblem, IndexError):
        return None
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _compose(text: str) -> Node:
    node = YAML(typ="safe", pure=True).compose(text)  # the round-trip scanner's comment gathering is ~40% slower
    if node is None:
        raise NotEditable("the file holds no document")
    return node  # type: ignore[no-any-return]


def _scalar(node: Node, path: tuple[str, ...]) -> ScalarNode:
    for key in path:
        if not isinstance(node, MappingNode):
            raise NotEditable(f"'{key}' is not inside a mapping")
        found = [v for k, v in node.value if isinstance(k, ScalarNode) and k.value == key]
        if len(found) != 1:
            raise NotEditable(f"'{key}' is not a key of the mapping")
        node = found[0]
    if not isinstance(node, ScalarNode):
        raise NotEditable(f"{'.'.join(path)} is not a scalar")
    return node


def _quoted(value: str, quote: str | None) -> str:
    if quote == "'":
        return "'" + value.replace("'", "''") + "'"
    if quote == '"':
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value
