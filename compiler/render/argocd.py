"""Render section (being written): yields nothing yet."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.render.context import RenderContext
from compiler.render.output import RenderedFile


def render(ctx: RenderContext) -> Iterator[RenderedFile]:
    yield from ()
