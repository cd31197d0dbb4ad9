"""relc.yaml → :class:`Settings`, through the same hardened reader and error translation as the fleet.

An absent file means the defaults (the example fleet needs none); a present but invalid one is reported with
positions like any input file, so a typo in ``repoURL`` is caught before anything is rendered.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from compiler.diagnostics import Diagnostic
from compiler.load.documents import Document, SourceFile, field_path
from compiler.load.yamlread import YamlProblem, parse
from compiler.model.build import translate_error
from compiler.model.settings import SETTINGS_FILE, Settings


def read_settings(root: Path) -> tuple[Settings, list[Diagnostic]]:
    """The edge: read ``root``/relc.yaml if present."""
    path = root / SETTINGS_FILE
    if not path.is_file():
        return Settings(), []
    return parse_settings(SourceFile(SETTINGS_FILE, path.read_text(encoding="utf-8").removeprefix("\ufeff")))


def parse_settings(source: SourceFile) -> tuple[Settings, list[Diagnostic]]:
    """Pure: the settings in ``source``, or the defaults and the diagnostics explaining why not."""
    try:
        parsed = parse(source.text)
    except YamlProblem as p:
        return Settings(), [Diagnostic(source.path, p.line, p.column, p.code, p.message, p.hint, field_path(p.field))]
    docs = [d for d in parsed.documents if d is not None]
    if len(docs) != 1:
        return Settings(), [
            Diagnostic(source.path, 1, 1, "RLC104", "relc.yaml must hold one object", "keep one Settings object")
        ]
    doc = Document(source, docs[0])
    if not isinstance(doc.data, dict):
        return Settings(), [doc.diagnostic((), "RLC203", "settings must be a mapping", "write 'key: value' lines")]
    try:
        return Settings.model_validate(doc.data), []
    except ValidationError as exc:
        return Settings(), [translate_error(doc, Settings, err) for err in exc.errors()]
