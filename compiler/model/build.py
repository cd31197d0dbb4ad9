"""Documents → typed fleet. Pure: takes :class:`SourceFile` values, returns a :class:`Fleet` and diagnostics.

pydantic's errors are translated here into relc diagnostics with codes, positions and hints, so no caller
ever sees a pydantic message shape.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from compiler.diagnostics import Diagnostic
from compiler.load.documents import Document, SourceFile, field_path
from compiler.load.yamlread import DEFAULT_LIMITS, Limits, Parsed, YamlProblem, parse
from compiler.model.common import API_VERSION
from compiler.model.fleet import Entry, Fleet
from compiler.model.kinds import FOLDERS, KINDS, AnyKind, ComponentVersion, Tenant
from compiler.model.placement import file_name, folder_name, misplaced_kind
from compiler.model.settings import Settings


def build_fleet(
    sources: Iterable[SourceFile],
    limits: Limits = DEFAULT_LIMITS,
    *,
    parse_all: Callable[[Sequence[SourceFile], Limits], Iterable[Parsed | YamlProblem]] | None = None,
    settings: SourceFile | None = None,
) -> tuple[Fleet, list[Diagnostic]]:
    """Type every source, and relc.yaml (``settings``; None: absent). ``parse_all`` lets the caller choose how
    files are parsed (e.g. on --jobs workers); its outcomes come in the order of the sources."""
    fleet = Fleet()
    fleet.settings, problems = build_settings(settings, limits)
    ordered = list(sources)
    outcomes = parse_all(ordered, limits) if parse_all else [_parse(s.text, limits) for s in ordered]
    for source, outcome in zip(ordered, outcomes, strict=True):
        doc, found = _document(source, outcome, limits)
        problems.extend(found)
        if doc is None:
            fleet.invalid.update(_presumed_identity(source.path))
            continue
        fleet.documents.append(doc)
        obj, found = _typed(doc)
        problems.extend(found)
        if obj is None:
            fleet.invalid.update(_identity(doc.data))
        else:
            problems.extend(file_name(doc, obj))
            problems.extend(folder_name(doc, obj))
            problems.extend(_add(fleet, obj, doc))
    return fleet, problems


def build_settings(source: SourceFile | None, limits: Limits = DEFAULT_LIMITS) -> tuple[Settings, list[Diagnostic]]:
    """relc.yaml typed like any kind (one object, unknown fields refused); the defaults when absent or invalid."""
    if source is None:
        return Settings(), []
    doc, problems = _document(source, _parse(source.text, limits), limits)
    if doc is None:
        return Settings(), problems
    if not isinstance(doc.data, dict):
        return Settings(), [doc.diagnostic((), "RLC203", "settings must be a mapping", "write 'key: value' lines")]
    try:
        return Settings.model_validate(doc.data), []
    except ValidationError as exc:
        return Settings(), [translate_error(doc, Settings, err) for err in exc.errors()]


def _parse(text: str, limits: Limits) -> Parsed | YamlProblem:
    try:
        return parse(text, limits=limits)
    except YamlProblem as problem:
        return problem


def _document(
    source: SourceFile, parsed: Parsed | YamlProblem, limits: Limits
) -> tuple[Document | None, list[Diagnostic]]:
    if isinstance(parsed, YamlProblem):
        p = parsed
        return None, [Diagnostic(source.path, p.line, p.column, p.code, p.message, p.hint, field_path(p.field))]
    docs = [d for d in parsed.documents if d is not None]
    if len(docs) != 1:
        message = "the file holds no object" if not docs else f"the file holds {len(docs)} objects"
        return None, [Diagnostic(source.path, 1, 1, "RLC104", message, "put exactly one object in each file")]
    return Document(source, docs[0], limits), []


def _typed(doc: Document) -> tuple[AnyKind | None, list[Diagnostic]]:
    data = doc.data
    if not isinstance(data, dict):
        return None, [
            doc.diagnostic(
                (),
                "RLC203",
                "the object must be a mapping (apiVersion, kind, metadata, spec)",
                "start the file with 'apiVersion: relc.dev/v1alpha1' and 'kind: …'",
            )
        ]
    kind = data.get("kind")
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        return None, [_unknown_kind(doc, kind)]
    problems = misplaced_kind(doc, model.__name__)
    try:
        return model.model_validate(data), problems
    except ValidationError as exc:
        return None, problems + [translate_error(doc, model, err) for err in exc.errors()]


def _identity(data: object) -> list[tuple[str, str]]:
    """(kind, name) of an object that failed validation, when both can still be read.

    A ComponentVersion is found by component and version, not by name: it also yields
    ("ComponentVersion", "<component>/<version>").
    """
    if not isinstance(data, dict):
        return []
    kind, metadata, spec = data.get("kind"), data.get("metadata"), data.get("spec")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    found = [(kind, name)] if isinstance(kind, str) and isinstance(name, str) else []
    if kind == "ComponentVersion" and isinstance(spec, dict):
        component, version = spec.get("component"), spec.get("version")
        if isinstance(component, str) and isinstance(version, str):
            found.append((kind, f"{component}/{version.removeprefix('v')}"))
    return found


def _presumed_identity(path: str) -> list[tuple[str, str]]:
    """(kind, name) a file that could not be read most likely holds, by the README's folder and file-name
    conventions: references to it are then not also reported as missing (its own diagnostic says why)."""
    parts = path.rsplit(".", 1)[0].split("/")
    if len(parts) == 4 and parts[:2] == ["blueprints", "components"]:
        return [("ComponentVersion", f"{parts[2]}/{parts[3].removeprefix('v')}")]
    for kind, folder in sorted(FOLDERS.items(), key=lambda item: -len(item[1])):  # the most specific folder
        if path.startswith(folder + "/") and kind != "ComponentVersion":
            return [(kind, parts[-1])]
    return []


def _unknown_kind(doc: Document, kind: object) -> Diagnostic:
    if kind is None:
        return doc.diagnostic((), "RLC202", "missing required field 'kind'", f"add 'kind:', one of {', '.join(KINDS)}")
    close = difflib.get_close_matches(str(kind), KINDS, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(KINDS)}"
    return doc.diagnostic(("kind",), "RLC105", f"unknown kind '{kind}'", hint)


# --- pydantic error → diagnostic ---------------------------------------------------------------------------


def translate_error(doc: Document, model: type[BaseModel], err: ErrorDetails) -> Diagnostic:
    """One pydantic error as a relc diagnostic (code, position, hint): the only place their shapes are read."""
    loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
    kind = err["type"]
    if kind == "extra_forbidden":
        name = str(loc[-1])
        allowed = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = (
            f"did you mean '{close[0]}'?"
            if close
            else (f"allowed here: {', '.join(sorted(allowed))}" if allowed else "remove it")
        )
        return doc.diagnostic(loc, "RLC201", f"unknown field '{name}'", hint, key=True)
    if kind == "missing":
        name = str(loc[-1])
        return doc.diagnostic(
            loc[:-1],
            "RLC202",
            f"missing required field '{name}'",
            f"add '{name}:' here (see the JSON Schema in schemas/)",
            key=True,
        )
    message = err["msg"].removeprefix("Value error, ")
    if kind == "relc_semver":
        return doc.diagnostic(loc, "RLC204", message, "write MAJOR.MINOR.PATCH, quoted if YAML would read a number")
    if kind == "relc_name":
        return doc.diagnostic(loc, "RLC205", message, "rename it: names become namespaces, databases and paths")
    if (kind == "literal_error" and loc == ("apiVersion",)) or (
        kind == "string_pattern_mismatch" and loc == ("apiVersion",)
    ):
        return doc.diagnostic(loc, "RLC105", f"apiVersion must be {API_VERSION}", f"write 'apiVersion: {API_VERSION}'")
    return doc.diagnostic(loc, "RLC203", message, _hint_for(err))


def _hint_for(err: ErrorDetails) -> str:
    value = err.get("input")
    kind = err["type"]
    if kind == "string_type" and isinstance(value, bool | int | float):
        read_as = {bool: "a boolean", int: "a number", float: "a number"}[type(value)]
        return f"YAML read this as {read_as}; quote it to make it text"
    if kind == "bool_type":
        return "write true or false (unquoted)"
    if kind in ("int_type", "int_parsing"):
        return "write a whole number (unquoted)"
    if kind == "enum":
        expected = err.get("ctx", {}).get("expected", "")
        return f"use one of {expected}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "this field takes a mapping of fields (key: value lines)"
    if kind == "list_type":
        return "this field takes a list (lines starting with '- ')"
    if kind == "too_short":
        return "add at least one entry"
    return "see the field's description in the kind's JSON Schema (relc schema)"


def _fields_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The field names (aliases) a mapping at ``loc`` accepts, following the model's annotations."""
    current: Any = model
    for part in loc:
        current = _unwrap(current, part)
        if current is None:
            return []
    current = _unwrap(current, None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any, part: str | int | None) -> Any:
    """Step one level into ``annotation``: a model field by alias, a list item, a dict value, an Optional."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0], part)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                found = _unwrap(arg, part)
                if found is not None:
                    return found
        return None
    if part is None:
        return annotation
    if origin is list and isinstance(part, int):
        return typing.get_args(annotation)[0]
    if origin is dict:
        return typing.get_args(annotation)[1]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(part, str):
        for name, info in annotation.model_fields.items():
            if (info.alias or name) == part:
                return info.annotation
    return None


# --- file names and duplicates -----------------------------------------------------------------------------


def _add(fleet: Fleet, obj: AnyKind, doc: Document) -> list[Diagnostic]:
    table: dict[Any, Entry[Any]]
    key: Any
    if isinstance(obj, ComponentVersion):
        table, key = fleet.component_versions, (obj.spec.component, obj.spec.version)
    elif isinstance(obj, Tenant):
        table, key = fleet.tenants, (obj.spec.instance, obj.metadata.name)
    else:
        tables: dict[str, dict[Any, Entry[Any]]] = {
            "ReleaseBlueprint": fleet.blueprints,
            "ReleaseCandidate": fleet.candidates,
            "GlobalProductionRelease": fleet.global_releases,
            "Instance": fleet.instances,
        }
        table = tables[obj.kind]
        key = obj.metadata.name
    if key in table:
        first = table[key].doc
        return [
            doc.diagnostic(
                ("metadata", "name"),
                "RLC107",
                f"{obj.kind} '{obj.metadata.name}' is also defined in {first.path}",
                "rename one of them or delete the duplicate",
            )
        ]
    entry: Entry[Any] = Entry(obj, doc)
    table[key] = entry
    return []


# --- a fleet that differs from another in a few files ---------------------------------------------------------


def derive_fleet(
    known: Fleet,
    changed: Iterable[str],
    sources: Sequence[SourceFile],
    settings: SourceFile | None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[Fleet, list[Diagnostic]]:
    """The fleet ``known`` would be if the files at ``changed`` held ``sources`` instead (absent ones: removed),
    with relc.yaml ``settings``, and the diagnostics of typing those files (``known``'s own are the caller's).

    Why: the base of a pull request differs from the working tree in a handful of files, and typing is pure and
    per file, so every unchanged file's typed object is the one ``known`` already holds. Only ``sources`` are
    parsed and typed: at 10,000 tenants a one-pin plan types one file, not 10,000. Duplicates are resolved as in
    :func:`build_fleet` (the first by path wins).
    """
    dropped = set(changed)
    fleet = Fleet()
    fleet.settings, problems = build_settings(settings, limits)
    fresh, typed = build_fleet(sources, limits)
    docs = {doc.path: doc for doc in known.documents if doc.path not in dropped}
    docs.update((doc.path, doc) for doc in fresh.documents)
    fleet.documents = [docs[path] for path in sorted(docs)]
    fleet.invalid = known.invalid | fresh.invalid
    tables = (
        ("blueprints", known.blueprints, fresh.blueprints),
        ("component_versions", known.component_versions, fresh.component_versions),
        ("candidates", known.candidates, fresh.candidates),
        ("global_releases", known.global_releases, fresh.global_releases),
        ("instances", known.instances, fresh.instances),
        ("tenants", known.tenants, fresh.tenants),
    )
    for name, old, new in tables:
        merged: dict[Any, Entry[Any]] = {k: e for k, e in old.items() if e.doc.path not in dropped}
        for key, entry in new.items():
            if key not in merged or entry.doc.path < merged[key].doc.path:
                merged[key] = entry
        setattr(fleet, name, merged)
    return fleet, problems + typed
