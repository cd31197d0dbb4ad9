"""Helm values that are jinja2 templates, rendered in a sandbox where an undefined variable is an error.

Why a sandbox: values come from every product team's blueprint and candidate; an ImmutableSandboxedEnvironment
cannot reach Python internals or mutate the context, and StrictUndefined turns ``{{ instance.imageTagSufix }}``
(a typo) into an RLC801 diagnostic at the template's file:line instead of an empty string in production.
Only strings containing ``{{``, ``{%`` or ``{#`` are templates; everything else is copied as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from compiler.diagnostics import Diagnostic
from compiler.load.documents import Document
from compiler.load.yamlread import Path

_MARKERS = ("{{", "{%", "{#")
_RENDER_ERRORS = (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError, AttributeError)
"""What a template can raise while rendering (jinja2's own errors and the Python errors of its expressions)."""


class Templates:
    """One sandbox per compile; compiled templates are cached by their text."""

    def __init__(self) -> None:
        self._env = ImmutableSandboxedEnvironment(
            undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
        )
        self._cache: dict[str, jinja2.Template] = {}
        self._names: dict[str, frozenset[str]] = {}
        self.problems: list[Diagnostic] = []

    def render(self, values: object, context: Mapping[str, Any], doc: Document, at: Path) -> Any:
        """A copy of ``values`` with every template string rendered; failures become diagnostics (value: '')."""
        if isinstance(values, dict):
            return {k: self.render(v, context, doc, (*at, k)) for k, v in values.items()}
        if isinstance(values, list):
            return [self.render(v, context, doc, (*at, n)) for n, v in enumerate(values)]
        if isinstance(values, str) and any(m in values for m in _MARKERS):
            return self._string(values, context, doc, at)
        return values

    def uses(self, values: object, variable: str) -> bool:
        """Whether any template in ``values`` names ``variable``, so costly context can be built only when read
        (the ``tenants`` list is per-tenant work on every candidate; most values never mention it)."""
        if isinstance(values, dict):
            return any(self.uses(v, variable) for v in values.values())
        if isinstance(values, list):
            return any(self.uses(v, variable) for v in values)
        if isinstance(values, str) and any(m in values for m in _MARKERS):
            names = self._names.get(values)
            if names is None:
                try:
                    names = self._names[values] = frozenset(meta.find_undeclared_variables(self._env.parse(values)))
                except jinja2.TemplateSyntaxError:
                    return False  # reported when rendered
            return variable in names
        return False

    def _string(self, text: str, context: Mapping[str, Any], doc: Document, at: Path) -> str:
        try:
            template = self._cache.get(text)
            if template is None:
                template = self._cache[text] = self._env.from_string(text)
            return template.render(context)
        except _RENDER_ERRORS as exc:
            self.problems.append(_diagnostic(doc, at, exc))
            return ""


def _diagnostic(doc: Document, at: Path, exc: Exception) -> Diagnostic:
    reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, jinja2.UndefinedError):
        hint = "use one of the variables instance, candidate, component, tenants (see README: values templates)"
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        hint = "fix the jinja2 syntax: {{ expression }}, {% statement %}"
    elif isinstance(exc, jinja2.exceptions.SecurityError):
        hint = "templates run in a sandbox: use plain expressions over the variables, no attributes of Python objects"
    else:
        hint = f"the expression raised {type(exc).__name__}; fix it or quote the value if it is not a template"
    return doc.diagnostic(at, "RLC801", f"values template fails: {reason}", hint)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``: mappings merge key by key, anything else (lists included) replaces."""
    out = dict(base)
    for key, value in override.items():
        current = out.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            out[key] = deep_merge(current, value)
        else:
            out[key] = value
    return out
