"""Rendered files → one located value per document, so a diagnostic names the line in the whole file.

The hardened reader records positions by field path, which is ambiguous across the documents of one stream, so
a multi-document file is cut at its ``---`` lines first and each piece keeps its first line number. relc writes
every rendered stream itself, with ``---`` only as a separator at column 0, so the cut is exact.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from compiler.diagnostics import Diagnostic, Severity
from compiler.load.documents import field_path
from compiler.load.yamlread import FieldPath, YamlProblem, locate, parse
from compiler.outcheck.discover import CODE, RENDERED_LIMITS, RenderedText
from compiler.outcheck.emitted import EmittedReader

_SEPARATOR = re.compile(r"^---(\s.*)?$")


@dataclass(frozen=True, slots=True)
class RenderedDoc:
    """One document of one rendered file; ``first_line`` is where its text starts in the file (1-based)."""

    file: RenderedText
    text: str
    first_line: int
    data: Any

    def position(self, path: FieldPath, *, key: bool = False) -> tuple[int, int]:
        # JSON is YAML 1.2 flow syntax, so the YAML reader locates fields in JSON files too.
        line, column = locate(self.text, path, key=key, limits=RENDERED_LIMITS)
        return (line + self.first_line - 1, column) if line else (0, 0)

    def diagnostic(
        self, path: FieldPath, message: str, hint: str, *, key: bool = False, severity: Severity = Severity.ERROR
    ) -> Diagnostic:
        line, column = self.position(path, key=key)
        return Diagnostic(self.file.shown, line, column, CODE, message, hint, field_path(path), severity)


def split_documents(text: str) -> list[tuple[int, str]]:
    """(first line, text) of each ``---``-separated piece; pieces holding only comments are dropped later."""
    pieces: list[tuple[int, str]] = []
    start, lines = 1, list[str]()
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if _SEPARATOR.match(line.rstrip("\r\n")):
            pieces.append((start, "".join(lines)))
            start, lines = number + 1, []
        else:
            lines.append(line)
    pieces.append((start, "".join(lines)))
    return pieces


def read_documents(
    file: RenderedText, emitted: EmittedReader | None = None
) -> tuple[list[RenderedDoc], list[Diagnostic]]:
    """Parse one rendered file; YAML or JSON that does not parse is itself a diagnostic. ``emitted`` reads the
    documents in the shapes relc's emitter writes (the cheap path); the others go through the hardened reader."""
    if file.rel.endswith(".json"):
        try:
            return [RenderedDoc(file, file.text, 1, json.loads(file.text))], []
        except json.JSONDecodeError as exc:
            return [], [Diagnostic(file.shown, exc.lineno, exc.colno, CODE, f"not valid JSON: {exc.msg}", _FIX)]
    docs: list[RenderedDoc] = []
    problems: list[Diagnostic] = []
    for first_line, piece in split_documents(file.text):
        cheap = emitted.read(piece) if emitted is not None else None
        if cheap is not None:
            docs.extend(RenderedDoc(file, piece, first_line, data) for data in cheap)
            continue
        try:
            parsed = parse(piece, limits=RENDERED_LIMITS)
        except YamlProblem as exc:  # this document only: the others of the file are still checked
            line = exc.line + first_line - 1 if exc.line else 0
            problems.append(Diagnostic(file.shown, line, exc.column, CODE, exc.message, _FIX))
            continue
        docs.extend(RenderedDoc(file, piece, first_line, data) for data in parsed.documents if data is not None)
    return docs, problems


_FIX = "rendered output is written by relc: this is a bug in a render section or a hand edit of rendered/"
