"""A small DOM over the standard library's HTML parser: the report's pages are tested through their elements,
never by matching strings in the HTML text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.walk()

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        """Elements of ``tag`` whose attributes hold ``attrs`` (``class_`` matches one of the classes)."""
        found = []
        for e in self.walk():
            if e.tag != tag:
                continue
            wanted = dict(attrs)
            classes = wanted.pop("class_", None)
            if classes is not None and classes not in e.attrs.get("class", "").split():
                continue
            if all(e.attrs.get(k.replace("_", "-")) == v for k, v in wanted.items()):
                found.append(e)
        return found

    def by_id(self, ident: str) -> Element:
        (found,) = [e for e in self.walk() if e.attrs.get("id") == ident]
        return found


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return
        raise AssertionError(f"</{tag}> closes no open element")

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(text: str) -> Element:
    builder = _Builder()
    builder.feed(text)
    builder.close()
    assert [e.tag for e in builder.stack] == ["#document"], f"unclosed: {[e.tag for e in builder.stack]}"
    return builder.root
