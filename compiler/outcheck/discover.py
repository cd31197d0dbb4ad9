"""The output check's filesystem edge: read rendered/ and the schemas relc ships or depends on.

Everything here touches the disk (rendered files, package data, kubernetes-validate's schema files); everything
else in compiler.outcheck works on the values returned.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from compiler.diagnostics import Diagnostic, EnvironmentFailure
from compiler.load.yamlread import Limits, parse

# rendered/ is machine-written and may be larger than a hand-written fleet file (umbrella charts, registries).
RENDERED_LIMITS = Limits(max_bytes=8 << 20, max_depth=128, max_nodes=1_000_000)
# Shipped upstream CRDs are trusted but big: Argo CD's ApplicationSet CRD is 1.4 MB.
SHIPPED_LIMITS = Limits(max_bytes=16 << 20, max_depth=256, max_nodes=4_000_000)
RENDERED_SUFFIXES = (".yaml", ".yml", ".json")
CODE = "RLC802"


@dataclass(frozen=True, slots=True)
class RenderedText:
    """One file of rendered/: its path relative to rendered/, the path reported to people, and its text."""

    rel: str
    shown: str
    text: str


def read_rendered(rendered: Path, shown_prefix: str) -> tuple[list[RenderedText], list[Diagnostic]]:
    """Every YAML/JSON file under ``rendered`` (hidden ones skipped, links refused), sorted by path."""
    texts: list[RenderedText] = []
    problems: list[Diagnostic] = []
    prefix = shown_prefix.rstrip("/")
    for dirpath, dirnames, filenames in os.walk(rendered, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if name.startswith(".") or path.suffix not in RENDERED_SUFFIXES:
                continue
            rel = path.relative_to(rendered).as_posix()
            shown = f"{prefix}/{rel}" if prefix else rel
            text, problem = _read_text(path, shown)
            if problem is not None:
                problems.append(problem)
            elif text is not None:
                texts.append(RenderedText(rel, shown, text))
    return texts, problems


def _read_text(path: Path, shown: str) -> tuple[str | None, Diagnostic | None]:
    if path.is_symlink():
        return None, Diagnostic(shown, 0, 0, CODE, "the rendered file is a symbolic link", "relc never renders links")
    try:
        raw = path.read_bytes()
    except OSError as exc:  # read(2) names no file (EIO)
        raise EnvironmentFailure.of(exc, "read", path) from exc
    if len(raw) > RENDERED_LIMITS.max_bytes:
        return None, Diagnostic(
            shown, 0, 0, CODE, f"file is {len(raw)} bytes, too large to validate", "split the rendered output"
        )
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, Diagnostic(shown, 0, 0, CODE, f"not UTF-8 text (byte {exc.start})", "render UTF-8 text only")


def _data_dir(family: str) -> Any:
    return resources.files("compiler").joinpath("data", "schemas", family)


def shipped_crds(family: str) -> list[dict[str, Any]]:
    """The CRD manifests shipped under compiler/data/schemas/<family>/ (every *.yaml there)."""
    folder = _data_dir(family)
    crds: list[dict[str, Any]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            crds.extend(d for d in parse(entry.read_text("utf-8"), limits=SHIPPED_LIMITS).documents if d)
    return crds


def shipped_json(family: str, name: str) -> dict[str, Any]:
    """A JSON Schema shipped under compiler/data/schemas/<family>/."""
    loaded: dict[str, Any] = json.loads(_data_dir(family).joinpath(name).read_text("utf-8"))
    return loaded


def kubernetes_schema(kubernetes_version: str, name: str) -> dict[str, Any] | None:
    """A strict schema file from kubernetes-validate's bundle (``<kind>-<group>-<version>.json``), or None."""
    entry = resources.files("kubernetes_validate").joinpath(
        "kubernetes-json-schema", f"v{kubernetes_version}-local-strict", name
    )
    if not entry.is_file():
        return None
    loaded: dict[str, Any] = json.loads(entry.read_text("utf-8"))
    return loaded
