"""Semantic checks of rendered Argo CD objects: RLC807 duplicate names, RLC808 Applications that refresh on every
commit.

Why beyond the schemas: both defects validate. Two Applications of one name in Argo CD's namespace are one
object that two parents (a root Application and the tenants' ApplicationSet, whose controller adopts and
rewrites an existing Application of its name in ``createOrUpdateInCluster``) keep rewriting. An Application
without ``argocd.argoproj.io/manifest-generate-paths`` covering its own folder is re-rendered on every commit of
the repository, and synced again, hooks and all, whenever it is OutOfSync at the new commit (controller/
appcontroller.go ``alreadyAttemptedSync`` compares revisions only for commits with changes in those paths).

The ApplicationSet's tenant Applications exist only in the cluster, so they are expanded here as its git
directory generator does: one per folder of rendered/ matching the generator's path (the repository path of
rendered/ is stripped by finding the suffix that names folders of the tree), named by the template with
``path.basename`` filled in. RLC505 refuses colliding names in the fleet; this check catches a hand edit, an
older relc's output, or a render section that names an object without compiler.model.names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from typing import Any

from compiler.diagnostics import Diagnostic
from compiler.load.documents import field_path
from compiler.load.yamlread import FieldPath
from compiler.outcheck.documents import RenderedDoc
from compiler.render.argocd import API, GENERATE_PATHS, OWN_FOLDER

ARGO_KINDS = ("Application", "ApplicationSet", "AppProject")
_BASENAME = re.compile(r"\{\{\s*\.?path\.basename\s*\}\}")
_DUPLICATE_HINT = "Argo CD objects of one kind share its namespace: rename one (relc validate reports the inputs)"
_PATHS_HINT = (
    f"add {GENERATE_PATHS}: '{OWN_FOLDER}' (its own source folder, as relc renders it); without it every commit "
    "refreshes the Application"
)


def check(docs: Iterable[RenderedDoc]) -> list[Diagnostic]:
    argo = [d for d in docs if isinstance(d.data, dict) and d.data.get("apiVersion") == API]
    folders = _folders(docs)
    return [*_duplicates(argo, folders), *_generate_paths(argo)]


def _folders(docs: Iterable[RenderedDoc]) -> set[str]:
    """The folders holding documents (string cuts, not PurePosixPath: ~450,000 documents at 10,000 tenants)."""
    return {rel.rpartition("/")[0] for rel in {d.file.rel for d in docs}}


class _Named:
    """One Argo CD object: where its name is written, and what to call it (a tenant folder for generated ones)."""

    def __init__(self, doc: RenderedDoc, path: FieldPath, kind: str, name: str, via: str = "") -> None:
        self.doc, self.path, self.kind, self.name, self.via = doc, path, kind, name, via

    def where(self) -> str:
        line, _ = self.doc.position(self.path)
        return f"{self.doc.file.shown}:{line}{self.via}"


def _named(argo: Iterable[RenderedDoc], folders: set[str]) -> Iterator[_Named]:
    for doc in argo:
        data: dict[str, Any] = doc.data
        kind, meta = data.get("kind"), data.get("metadata")
        if kind not in ARGO_KINDS or not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
            continue
        yield _Named(doc, ("metadata", "name"), kind, meta["name"])
        if kind == "ApplicationSet":
            yield from _generated(doc, folders)


def _generated(doc: RenderedDoc, folders: set[str]) -> Iterator[_Named]:
    """The Applications a git directory generator makes of the folders of rendered/ (template name filled in)."""
    spec = doc.data.get("spec")
    template = spec.get("template") if isinstance(spec, dict) else None
    name = template.get("metadata", {}).get("name") if isinstance(template, dict) else None
    if not isinstance(name, str) or not isinstance(spec, dict):
        return
    for generator in spec.get("generators") or []:
        git = generator.get("git") if isinstance(generator, dict) else None
        for entry in (git.get("directories") or []) if isinstance(git, dict) else []:
            pattern = entry.get("path") if isinstance(entry, dict) else None
            if not isinstance(pattern, str) or entry.get("exclude"):
                continue
            for folder in sorted(_matching(pattern, folders)):
                basename = PurePosixPath(folder).name
                via = f" (generated for {folder}/)"
                yield _Named(
                    doc, ("spec", "template", "metadata", "name"), "Application", _BASENAME.sub(basename, name), via
                )


def _matching(pattern: str, folders: set[str]) -> set[str]:
    """Folders of rendered/ the repository path ``pattern`` names: the shortest suffix of it that names any."""
    parts = pattern.strip("/").split("/")
    for start in range(len(parts)):
        suffix = parts[start:]
        found = {
            f
            for f in folders
            if len(f.split("/")) == len(suffix)
            and all(fnmatchcase(a, b) for a, b in zip(f.split("/"), suffix, strict=True))
        }
        if found:
            return found
    return set()


def _duplicates(argo: Iterable[RenderedDoc], folders: set[str]) -> Iterator[Diagnostic]:
    first: dict[tuple[str, str], _Named] = {}
    for named in _named(argo, folders):
        other = first.setdefault((named.kind, named.name), named)
        if other is named:
            continue
        line, column = named.doc.position(named.path)
        yield Diagnostic(
            named.doc.file.shown,
            line,
            column,
            "RLC807",
            f"{named.kind} '{named.name}'{named.via} is also defined at {other.where()}",
            _DUPLICATE_HINT,
            field_path(named.path),
        )


def _generate_paths(argo: Iterable[RenderedDoc]) -> Iterator[Diagnostic]:
    for doc in argo:
        data: dict[str, Any] = doc.data
        if data.get("kind") == "Application":
            where: FieldPath = ("metadata",)
            what = f"Application '{data.get('metadata', {}).get('name')}'"
        elif data.get("kind") == "ApplicationSet":
            where = ("spec", "template", "metadata")
            what = f"the template of ApplicationSet '{data.get('metadata', {}).get('name')}'"
        else:
            continue
        meta = _at(data, where)
        annotations = meta.get("annotations") if isinstance(meta, dict) else None
        value = annotations.get(GENERATE_PATHS) if isinstance(annotations, dict) else None
        paths = [p.strip() for p in value.split(";")] if isinstance(value, str) else []
        source = _at(data, (*where[:-1], "spec", "source", "path") if where[-1] == "metadata" else ())
        own = {OWN_FOLDER, "./", f"/{source}".rstrip("/") if isinstance(source, str) else OWN_FOLDER}
        if own.intersection(paths):
            continue
        problem = (
            f"has no {GENERATE_PATHS}"
            if value is None
            else f"has {GENERATE_PATHS} '{value}' without its own folder '.'"
        )
        at = (*where, "annotations") if isinstance(annotations, dict) else where
        line, column = doc.position(at, key=True)
        yield Diagnostic(doc.file.shown, line, column, "RLC808", f"{what} {problem}", _PATHS_HINT, field_path(at))


def _at(data: dict[str, Any], path: FieldPath) -> object:
    found: object = data
    for part in path:
        found = found.get(part) if isinstance(found, dict) else None
    return found
