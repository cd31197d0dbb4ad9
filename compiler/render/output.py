"""What rendering produces: files relative to rendered/, as manifests or raw bytes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

Manifest = dict[str, Any]


class UnsafePath(ValueError):
    """A rendered path that would escape rendered/ (absolute, '..', empty or hidden parts)."""


def safe_path(path: str) -> str:
    """Return ``path`` if it stays inside rendered/; names come from input, so this is checked, not assumed."""
    p = PurePosixPath(path)
    if p.is_absolute() or not p.parts or any(part in ("", ".", "..") or part.startswith(".") for part in p.parts):
        raise UnsafePath(path)
    if any(ch in path for ch in "\\\x00") or any(ord(ch) < 32 for ch in path):
        raise UnsafePath(path)
    return path


@dataclass(frozen=True, slots=True)
class RenderedFile:
    """One output file. ``documents`` are emitted as a YAML stream; ``raw`` (JSON, SQL, …) verbatim."""

    path: str
    documents: tuple[Manifest, ...] = ()
    raw: bytes | None = None

    def __post_init__(self) -> None:
        safe_path(self.path)
        if (self.raw is None) == (not self.documents):
            raise ValueError(f"{self.path}: give either documents or raw bytes")
