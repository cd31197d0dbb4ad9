"""Building a RenderContext from a fleet folder on disk and looking at what the render sections produce."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from compiler.app import analyse
from compiler.emit.tree import serialise
from compiler.model.settings import Settings
from compiler.render.context import RenderContext
from compiler.render.output import RenderedFile
from compiler.resolve import resolve

Section = Callable[[RenderContext], Iterator[RenderedFile]]


def context(root: Path) -> RenderContext:
    """The fleet at ``root`` (which ``relc validate`` must accept), resolved, with default settings."""
    fleet, problems = analyse(root, date(2026, 11, 22))
    errors = [p for p in problems if p.is_error]
    assert not errors, errors
    return RenderContext(fleet, resolve(fleet), Settings())


def files(root: Path, *sections: Section) -> dict[str, RenderedFile]:
    ctx = context(root)
    out: dict[str, RenderedFile] = {}
    for section in sections:
        for f in section(ctx):
            assert f.path not in out, f"{f.path} rendered twice"
            out[f.path] = f
    return out


def emitted(root: Path, *sections: Section) -> dict[str, bytes]:
    """What the sections' files emit to: shapes compare by identity, so rendered files compare by their bytes."""
    return serialise(files(root, *sections).values())


def docs(rendered: Iterable[RenderedFile], kind: str | None = None) -> list[dict[str, Any]]:
    return [d for f in rendered for d in f.manifests() if kind is None or d["kind"] == kind]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")
