"""jsonschema's validation errors → Diagnostics that point at the offending field, key or value.

An unknown field is reported once per field at its key (where the typo is); a missing field at its parent's
key; anything else at the value. ``oneOf``/``anyOf`` failures are narrowed to the most relevant sub-error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from jsonschema.exceptions import ValidationError, best_match

from compiler.diagnostics import Diagnostic
from compiler.load.yamlread import FieldPath
from compiler.outcheck.documents import RenderedDoc


class Checker(Protocol):
    """A jsonschema validator, or anything that yields its errors (see :mod:`compiler.outcheck.fastpath`)."""

    def iter_errors(self, instance: Any) -> Iterable[ValidationError]: ...


def schema_diagnostics(doc: RenderedDoc, validator: Checker, against: str) -> list[Diagnostic]:
    """Every violation of ``validator``'s schema in ``doc``; ``against`` names the schema in messages."""
    out: list[Diagnostic] = []
    for error in validator.iter_errors(doc.data):
        out.extend(_diagnose(doc, _narrow(error), against))
    return out


def _narrow(error: ValidationError) -> ValidationError:
    if error.validator in ("oneOf", "anyOf") and error.context:
        narrowed: ValidationError = best_match(error.context)
        return narrowed
    return error


def _path(error: ValidationError) -> FieldPath:
    return tuple(p for p in error.absolute_path if isinstance(p, str | int))


def _diagnose(doc: RenderedDoc, error: ValidationError, against: str) -> Iterator[Diagnostic]:
    path = _path(error)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        for name in _unexpected(error):
            yield doc.diagnostic(
                (*path, name),
                f"unknown field '{name}' ({against})",
                "remove the field or fix its spelling; the schema does not define it",
                key=True,
            )
        return
    if error.validator == "required":
        yield doc.diagnostic(path, f"{error.message} ({against})", "add the field: the schema requires it", key=True)
        return
    yield doc.diagnostic(path, f"{error.message} ({against})", _hint(error))


def _unexpected(error: ValidationError) -> list[str]:
    schema: Any = error.schema
    known = set(schema.get("properties", {})) if isinstance(schema, dict) else set()
    patterns = schema.get("patternProperties", {}) if isinstance(schema, dict) else {}
    instance: Any = error.instance
    if patterns:
        return sorted(k for k in instance if k not in known and not any(re.search(p, k) for p in patterns))
    return sorted(k for k in instance if k not in known)


def _hint(error: ValidationError) -> str:
    if error.validator == "type":
        return f"give a value of type {error.validator_value}"
    if error.validator == "enum":
        return f"use one of {error.validator_value}"
    if error.validator == "pattern":
        return f"the value must match {error.validator_value}"
    return "fix the value so it satisfies the schema"
