"""All render sections in one place: ``render_all`` runs each and returns every file, sorted by path.

A section is a function ``render(ctx) -> Iterator[RenderedFile]`` owning some paths of rendered/ (see
:mod:`compiler.render.conventions`). Sections never see each other's output; two producing one path is a bug,
reported by the emitter. To add a section, append it to :data:`SECTIONS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from compiler.render.argocd import render as argocd
from compiler.render.charts import render as charts
from compiler.render.context import RenderContext
from compiler.render.controller import render as migration_controller
from compiler.render.crds import render as crds
from compiler.render.dashboard import render as dashboard
from compiler.render.output import RenderedFile
from compiler.render.platform import render as platform
from compiler.render.registry import render as registry
from compiler.render.routing import render as routing
from compiler.render.tenancy import render as tenancy

Section = Callable[[RenderContext], Iterator[RenderedFile]]

SECTIONS: tuple[Section, ...] = (
    argocd,
    platform,
    charts,
    routing,
    crds,
    tenancy,
    migration_controller,
    dashboard,
    registry,
)


def render_all(ctx: RenderContext, sections: Sequence[Section] = SECTIONS) -> list[RenderedFile]:
    """Every rendered file, in path order (so the emitter and --check see one canonical order)."""
    files = [f for section in sections for f in section(ctx)]
    files.sort(key=lambda f: f.path)
    return files
