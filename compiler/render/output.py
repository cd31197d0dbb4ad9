"""What rendering produces: files relative to rendered/, as manifests or raw bytes."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar, cast

Manifest = dict[str, Any]
S = TypeVar("S", bound=Hashable)


class UnsafePath(ValueError):
    """A rendered path that would escape rendered/ (absolute, '..', empty or hidden parts)."""


_UNSAFE_CHARACTER = re.compile(r"[\x00-\x1f\\]")


def safe_path(path: str) -> str:
    """Return ``path`` if it stays inside rendered/; names come from input, so this is checked, not assumed.

    Refused: an absolute path, an empty, '.', '..' or hidden part (so also '//' and a trailing '/'), a
    backslash or a control character.
    """
    if _UNSAFE_CHARACTER.search(path) or any(not part or part[0] == "." for part in path.split("/")):
        raise UnsafePath(path)
    return path


@dataclass(slots=True)
class Templated(Generic[S]):
    """A manifest as ``build(shape, texts)``: the form of the documents rendered once per tenant.

    Why: at 10,000 tenants the tenant folders hold ~1 GB of YAML, nearly all of it the same Job, custom
    resource and route repeated with other names. Splitting each into a ``shape`` (everything shared by the
    tenants of one Instance and candidate: made once per value by :class:`Shapes`, so compared by identity) and
    ``texts`` (the per-tenant strings)
    lets the emitter write each shape once with holes and then only fill the holes per tenant
    (:mod:`compiler.emit.stencil`), byte-identical to emitting :meth:`manifest`.

    The contract ``build`` keeps: it may branch on ``shape`` freely, but it only *places* each text as a whole
    string value (a mapping value or a list item), never inspects it, joins it into a longer string or uses it
    as a mapping key. The stencil builder detects the last two and falls back to the dict; tests compare both
    paths on generated fleets.

    Not ``frozen``, though nothing may change one after it is made: one is made per tenant document (~500,000 at
    10,000 tenants), and a frozen dataclass's ``__init__`` (``object.__setattr__`` per field) costs 1.1 µs where
    this one costs 0.44 µs. Measured at 1,000 tenants, that saving pays for naming the texts (NamedTuples).
    """

    build: Callable[[S, tuple[str, ...]], Manifest]
    shape: S
    texts: tuple[str, ...]

    def manifest(self) -> Manifest:
        return self.build(self.shape, self.texts)


T = TypeVar("T")
P = ParamSpec("P")


def shape_key(make: Callable[..., object], fields: tuple[object, ...]) -> Hashable:
    """The key of the shape ``make(*fields)``: its maker and every field it is made from, nothing hand-picked.

    Why derived: a hand-written key that left out one field the shape holds would silently hand two documents
    that differ in it one shape, and so one stencil (tests/render/test_shapes.py varies every field of every shape).
    """
    return (make, *fields)


class Shapes:
    """One object per distinct shape in a render (per-render state, never module-global).

    Shape classes are declared ``eq=False``: the emitter looks a stencil up for each of ~500,000 documents at
    10,000 tenants, and an identity hash costs nothing where a dataclass hash rehashes every field each time.
    Interning here is what makes identity right: equal shapes are the same object.
    """

    def __init__(self) -> None:
        self._made: dict[Hashable, Any] = {}

    def get(self, make: Callable[P, T], *fields: P.args, **named: P.kwargs) -> T:
        """The shape ``make(*fields)``, made now if no shape was made from the same maker and fields before.

        Fields are positional (a keyword would give one shape two keys); the key is :func:`shape_key`.
        """
        if named:
            raise TypeError(f"shape fields are positional, got {sorted(named)}")
        key = shape_key(make, fields)
        found = self._made.get(key)
        if found is None:
            found = self._made[key] = make(*fields, **named)
        return cast(T, found)


Document = Manifest | Templated[Any]


def manifest(document: Document) -> Manifest:
    """The plain dict of either form of document."""
    return document.manifest() if isinstance(document, Templated) else document


@dataclass(frozen=True, slots=True)
class RenderedFile:
    """One output file. ``documents`` are emitted as a YAML stream; ``raw`` (JSON, SQL, …) verbatim; ``deferred``
    makes the documents when the file is emitted: tenant files, so that their rendering runs on the emitter's
    workers (every core) and a render never holds all of them at once."""

    path: str
    documents: tuple[Document, ...] = ()
    raw: bytes | None = None
    deferred: Callable[[], tuple[Document, ...]] | None = None

    def __post_init__(self) -> None:
        safe_path(self.path)
        if sum((self.raw is not None, bool(self.documents), self.deferred is not None)) != 1:
            raise ValueError(f"{self.path}: give documents, deferred documents or raw bytes")

    def render(self) -> tuple[Document, ...]:
        """The documents, making deferred ones now (never empty: an empty YAML file is a rendering bug)."""
        if self.deferred is None:
            return self.documents
        made = self.deferred()
        if not made:
            raise ValueError(f"{self.path}: deferred rendering made no documents")
        return made

    def manifests(self) -> list[Manifest]:
        """The documents as plain dicts (what the emitter writes), for tests and tools that read them."""
        return [manifest(d) for d in self.render()]
