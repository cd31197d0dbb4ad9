"""RLC204 (ranges), RLC401 to RLC405: dependency satisfaction inside each candidate and between the shared bundles and
every candidate they serve, dependency cycles, and migrationOrder. The checks live in compiler.resolve (the
renderer needs the same graph); this rule only reports what the resolution found."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.diagnostics import Diagnostic
from compiler.resolve import resolve
from compiler.validate.context import Context


def check(ctx: Context) -> Iterator[Diagnostic]:
    resolution = ctx.resolution if ctx.resolution is not None else resolve(ctx.fleet)
    yield from resolution.diagnostics
