"""What a migrations folder's ``dependencies.yml`` means.

relc-migrate enforces it before migrating and the compiler checks ComponentVersions against it; each reads the
file with its own YAML loader and hands the data to :func:`read_dependencies`, so the two can never disagree on
what a requirement or a malformed file is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from relc_contract.names import IdentifierError, validate_identifier

# --- dependencies.yml -------------------------------------------------------------------------------------

#: The file in which a migrations folder (``/migrations/<service>/``, or ``migrations/<service>/`` in the fleet
#: repository) states what the release shipping it requires of other services' schemas.
DEPENDENCIES_FILE: Final = "dependencies.yml"
#: The fix for every problem :func:`read_dependencies` reports.
DEPENDENCIES_HINT: Final = "write 'requires:' as a list of '- service: <name>' / '  minVersion: v<semver>' items"

# Semantic Versioning 2.0.0's own regular expression (semver.org), with ASCII digits: Python's ``\d`` also matches
# other scripts' digits, which no registry row or image tag ever holds.
_SEMVER: Final = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(-(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?"
    r"(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?"
)
_SHOWN: Final = 70
"""How much of a bad value a message quotes: enough to recognise it, never a hostile file's megabyte."""


@dataclass(frozen=True, slots=True)
class DependencyRequirement:
    """``- service: auth`` / ``minVersion: v1.2.0``: the tenant's ``auth`` schema must be at 1.2.0 or later."""

    service: str
    min_version: str  #: semver, the leading ``v`` dropped (as the registry and ``desiredVersion`` write it)


@dataclass(frozen=True, slots=True)
class DependencyProblem:
    """Why relc-migrate refuses a dependencies.yml, and where: a field path into the file's data.

    The path (``("requires", 0, "minVersion")``; ``()`` for the whole document) lets a reader that knows positions
    (the compiler's YAML reader) point at line:column; the message names the field too, for one that does not.
    ``at_key``: the key itself is the problem (one that must not be there), so show the key, not its value.
    """

    path: tuple[str | int, ...]
    message: str
    at_key: bool = False


def normalised_semver(text: str) -> str | None:
    """``text`` without its optional leading ``v`` if the rest is a semantic version, else None."""
    bare = text.removeprefix("v")
    return bare if _SEMVER.fullmatch(bare) else None


def read_dependencies(data: object) -> tuple[tuple[DependencyRequirement, ...], tuple[DependencyProblem, ...]]:
    """What a dependencies.yml requires, from its parsed YAML (any loader's dicts, lists and scalars).

    The file is a mapping with only the key ``requires`` (absent: nothing required), a list of mappings with
    exactly ``service`` (a valid service name) and ``minVersion`` (semver, optional leading ``v``). Returns the
    requirements and no problem, or no requirement and every problem found: relc-migrate refuses the whole
    folder (exit 2) and the compiler reports each problem (RLC406) rather than trusting part of the file.
    Pure: the caller reads the file with its own loader (and reports that loader's syntax errors).
    """
    if not isinstance(data, dict):
        return (), (DependencyProblem((), f"expected a mapping with only the key 'requires', not {_shown(data)}"),)
    problems = [
        DependencyProblem((str(key),), f"unexpected key {_shown(key)}: the file holds only 'requires'", True)
        for key in data
        if key != "requires"
    ]
    items = data.get("requires", [])
    if not isinstance(items, list):
        message = f"requires must be a list of service/minVersion items, not {_shown(items)}"
        problems.append(DependencyProblem(("requires",), message))
        items = []
    requirements: list[DependencyRequirement] = []
    for index, item in enumerate(items):
        found = _requirement(index, item)
        if isinstance(found, DependencyRequirement):
            requirements.append(found)
        else:
            problems += found
    return ((), tuple(problems)) if problems else (tuple(requirements), ())


def _requirement(index: int, item: object) -> DependencyRequirement | list[DependencyProblem]:
    here = f"requires[{index}]"
    if not isinstance(item, dict):
        return [DependencyProblem(("requires", index), f"{here} must be a mapping of service and minVersion")]
    problems: list[DependencyProblem] = []
    extra = [key for key in item if key not in ("service", "minVersion")]
    missing = [key for key in ("service", "minVersion") if key not in item]
    if extra or missing:  # one problem per item: a misspelt key is both an extra and a missing one
        wrong = [f"has {_shown(key)}" for key in extra] + [f"lacks {key}" for key in missing]
        where = ("requires", index, str(extra[0])) if extra else ("requires", index)
        message = f"{here} needs exactly service and minVersion: it {' and '.join(wrong)}"
        problems.append(DependencyProblem(where, message, bool(extra)))
    service, version = item.get("service"), item.get("minVersion")
    if "service" in item and (wrong_name := _wrong_service(here, service)) is not None:
        problems.append(DependencyProblem(("requires", index, "service"), wrong_name))
    normalised = normalised_semver(version) if isinstance(version, str) else None
    if "minVersion" in item and normalised is None:
        problems.append(
            DependencyProblem(
                ("requires", index, "minVersion"),
                f"{here}.minVersion {_shown(version)} is not a semantic version (MAJOR.MINOR.PATCH, optionally "
                "with a leading v: v2.1.0)",
            )
        )
    if problems or not isinstance(service, str) or normalised is None:
        return problems
    return DependencyRequirement(service, normalised)


def _wrong_service(here: str, value: object) -> str | None:
    """Why ``value`` cannot name the service whose schema is required (the names relc-migrate's schemas have)."""
    if not isinstance(value, str):
        return f"{here}.service must be a service name, not {_shown(value)}"
    try:
        validate_identifier(value, f"{here}.service")
    except IdentifierError as err:
        return str(err)
    return None


def _shown(value: object) -> str:
    """A value in the file's terms, cut short: ``'v1.2'``, ``1.2``, ``null``, ``true``, ``a mapping``, ``a list``."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
