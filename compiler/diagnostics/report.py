"""Renderings of diagnostics: text for people, JSON for tools, GitHub workflow annotations for pull requests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum

from compiler.diagnostics.codes import CODES
from compiler.diagnostics.core import Diagnostic, Severity, sort_key


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"


def render(diagnostics: Sequence[Diagnostic], fmt: OutputFormat) -> str:
    ordered = sorted(diagnostics, key=sort_key)
    if fmt is OutputFormat.JSON:
        return _json(ordered)
    if fmt is OutputFormat.GITHUB:
        return _github(ordered)
    return _text(ordered)


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = len(diagnostics) - errors
    files = len({d.file for d in diagnostics})
    if not diagnostics:
        return "no problems found"
    return f"{errors} error(s), {warnings} warning(s) in {files} file(s)"


def _place(d: Diagnostic) -> str:
    return f"{d.file}:{d.line}:{d.column}" if d.line else d.file


def printable(text: str) -> str:
    """Escape control characters: messages quote hostile input (a NUL or ESC in a name) that must not reach a
    terminal or a CI log raw."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _text(diagnostics: Sequence[Diagnostic]) -> str:
    lines = []
    for d in diagnostics:
        name = CODES[d.code].name if d.code in CODES else ""
        where = f" [{printable(d.field)}]" if d.field else ""
        place = printable(_place(d))
        lines.append(f"{place}: {d.severity.value} {d.code} {name}{where}: {printable(d.message)}")
        if d.hint:
            lines.append(f"    hint: {printable(d.hint)}")
    lines.append(summary(diagnostics))
    return "\n".join(lines) + "\n"


def _json(diagnostics: Sequence[Diagnostic]) -> str:
    payload = {
        "diagnostics": [d.to_dict() for d in diagnostics],
        "summary": {
            "errors": sum(1 for d in diagnostics if d.is_error),
            "warnings": sum(1 for d in diagnostics if not d.is_error),
        },
    }
    return json.dumps(payload, indent=2, sort_keys=True) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands: each diagnostic becomes an annotation on the pull request's diff."""
    lines = []
    for d in diagnostics:
        props = [f"file={_escape_property(printable(d.file))}"]
        if d.line:
            props += [f"line={d.line}", f"col={d.column}"]
        name = CODES[d.code].name if d.code in CODES else d.code
        props.append(f"title={_escape_property(f'{d.code} {name}')}")
        body = printable(f"{d.field}: {d.message}" if d.field else d.message)
        if d.hint:
            body += f"\nhint: {printable(d.hint)}"
        level = "error" if d.is_error else "warning"
        lines.append(f"::{level} {','.join(props)}::{_escape_data(body)}")
    return "\n".join(lines) + ("\n" if lines else "")
