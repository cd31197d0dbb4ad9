"""RLC801: values templates render wherever their candidate is deployed.

Rendering is compile's job, but a template typo should fail ``relc validate`` (the pull request's first check)
too, at the template's file:line; this rule renders the values exactly as compile does and keeps the problems.
"""

from __future__ import annotations

from collections.abc import Iterable

from compiler.diagnostics import Diagnostic
from compiler.render.charts import template_problems
from compiler.validate.context import Context


def check(ctx: Context) -> Iterable[Diagnostic]:
    return template_problems(ctx.fleet)
