"""Helm values that are jinja2 templates, rendered in a sandbox where an undefined variable is an error.

Why a sandbox: values come from every product team's blueprint and candidate; an ImmutableSandboxedEnvironment
cannot reach Python internals or mutate the context, and StrictUndefined turns ``{{ instance.imageTagSufix }}``
(a typo) into an RLC801 diagnostic at the template's file:line instead of an empty string in production.
What a template may build is bounded (:mod:`compiler.render.sandbox`). Only strings containing ``{{``, ``{%`` or
``{#`` are templates; everything else is copied as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import jinja2
from jinja2 import meta

from compiler.diagnostics import Diagnostic
from compiler.load.documents import Document
from compiler.load.yamlread import FieldPath
from compiler.render.sandbox import MAX_STEPS, MAX_TEXT, BoundedSandbox, TemplateLimit

_MARKERS = ("{{", "{%", "{#")
_RENDER_ERRORS = (
    jinja2.TemplateError,
    ArithmeticError,
    LookupError,
    TypeError,
    ValueError,
    AttributeError,
    RecursionError,
)
"""What a template can raise while rendering (jinja2's own errors, :class:`TemplateLimit` among them, and the
Python errors of its expressions; RecursionError: a macro calling itself without end)."""


class Templates:
    """One sandbox per compile; compiled templates are cached by their text."""

    def __init__(self) -> None:
        self._env = BoundedSandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
        self._cache: dict[str, jinja2.Template] = {}
        self._names: dict[str, frozenset[str]] = {}
        self._failures: dict[Diagnostic, list[str]] = {}
        """Each failure once, with the Instances it failed in (a candidate is deployed by several)."""

    @property
    def problems(self) -> list[Diagnostic]:
        """One RLC801 per distinct failure, naming where it happened: a template deployed by three Instances
        that fails identically in each is one problem in one place, reported once."""
        return [
            replace(found, message=f"{found.message} (in {_names(where)})") for found, where in self._failures.items()
        ]

    def render(self, values: object, context: Mapping[str, Any], doc: Document, at: FieldPath, where: str) -> Any:
        """A copy of ``values`` with every template string rendered; failures become diagnostics (value: '').
        ``where`` names the Instance being rendered, for the diagnostic."""
        if isinstance(values, dict):
            return {k: self.render(v, context, doc, (*at, k), where) for k, v in values.items()}
        if isinstance(values, list):
            return [self.render(v, context, doc, (*at, n), where) for n, v in enumerate(values)]
        if isinstance(values, str) and any(m in values for m in _MARKERS):
            return self._string(values, context, doc, at, where)
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

    def _string(self, text: str, context: Mapping[str, Any], doc: Document, at: FieldPath, where: str) -> str:
        try:
            template = self._cache.get(text)
            if template is None:
                template = self._cache[text] = self._env.from_string(text)
            return self._env.render(template, dict(context))
        except _RENDER_ERRORS as exc:
            instances = self._failures.setdefault(_diagnostic(doc, at, exc), [])
            if where not in instances:
                instances.append(where)
            return ""


_SHOWN = 10
"""Instances a diagnostic names before '... and N more' (a candidate may be deployed by a hundred)."""


def _names(instances: list[str]) -> str:
    more = len(instances) - _SHOWN
    return ", ".join(instances[:_SHOWN]) + (f" and {more} more" if more > 0 else "")


def _diagnostic(doc: Document, at: FieldPath, exc: Exception) -> Diagnostic:
    reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, TemplateLimit):
        hint = (
            f"a values template may build {MAX_TEXT:,} characters and run {MAX_STEPS:,} loop iterations and calls "
            "(README: values templates, limits); compute less, or put large data in the chart, not in a template"
        )
    elif isinstance(exc, jinja2.UndefinedError):
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
