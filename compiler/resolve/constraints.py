"""Version constraints of a requirement: ``minVersion: v2.1.0`` or ``range: ">=2.1.0, <3.0.0"``.

A range is comparisons joined by commas or spaces, all of which must hold; a leading ``v`` is accepted (the design
documents write ``v1.2.0``). Ordering is semantic versioning's (the ``semver`` package), so ``2.10.0 > 2.9.0`` and
``3.0.0-rc.1 < 3.0.0``. Parsing is pure and raises :class:`InvalidRange`, which carries the text and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import semver

from compiler.model.kinds import Requirement

_OPERATORS: dict[str, Callable[[int], bool]] = {
    ">=": lambda c: c >= 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    "<": lambda c: c < 0,
    "==": lambda c: c == 0,
    "!=": lambda c: c != 0,
}
_TERM = re.compile(r"\s*(>=|<=|==|!=|>|<|=)?\s*(v?[0-9A-Za-z.+-]+)")
_SEPARATOR = re.compile(r"\s*,\s*|\s+")


class InvalidRange(ValueError):
    """A requirement's range that is not a list of comparisons; ``text`` is the range, ``reason`` what is wrong."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"'{text}' is not a version range: {reason}")
        self.text = text
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Comparison:
    operator: str
    version: semver.Version

    def holds(self, version: semver.Version) -> bool:
        return _OPERATORS[self.operator](version.compare(self.version))

    def __str__(self) -> str:
        return f"{self.operator}{self.version}"


@dataclass(frozen=True, slots=True)
class Constraint:
    """Comparisons that must all hold. ``str()`` is the normalised text diagnostics and graphs show."""

    comparisons: tuple[Comparison, ...]

    def allows(self, version: str) -> bool:
        """Whether ``version`` (a validated semantic version, 'v' allowed) satisfies every comparison."""
        parsed = parse_version(version)
        return all(c.holds(parsed) for c in self.comparisons)

    def __str__(self) -> str:
        return ", ".join(str(c) for c in self.comparisons)


def parse_version(text: str) -> semver.Version:
    return semver.Version.parse(text[1:] if text.startswith("v") else text)


def parse_range(text: str) -> Constraint:
    """``">=2.1.0, <3.0.0"``, ``">=2.1.0 <3.0.0"`` or ``"v2.1.0"`` (exact) → a :class:`Constraint`."""
    terms: list[Comparison] = []
    pos, end = 0, len(text.rstrip())
    while pos < end:
        if terms:
            sep = _SEPARATOR.match(text, pos)
            if sep is None or sep.end() == pos:
                raise InvalidRange(text, f"expected ',' or a space before '{text[pos:end]}'")
            pos = sep.end()
        term = _TERM.match(text, pos)
        if term is None:
            raise InvalidRange(text, f"expected a comparison such as '>=2.1.0' at '{text[pos:end]}'")
        operator, version = term.group(1) or "==", term.group(2)
        try:
            parsed = parse_version(version)
        except ValueError:
            raise InvalidRange(text, f"'{version}' is not a semantic version (MAJOR.MINOR.PATCH)") from None
        terms.append(Comparison("==" if operator == "=" else operator, parsed))
        pos = term.end()
    if not terms:
        raise InvalidRange(text, "it is empty")
    return Constraint(tuple(terms))


def constraint_of(requirement: Requirement) -> Constraint:
    """The constraint a requirement states; raises :class:`InvalidRange` for an unparsable ``range``."""
    if requirement.range is not None:
        return parse_range(requirement.range)
    assert requirement.min_version is not None  # the model requires exactly one of the two
    return Constraint((Comparison(">=", parse_version(requirement.min_version)),))
