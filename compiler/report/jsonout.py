"""``--format json``: the :class:`~compiler.report.facts.Report` as one JSON file, for other tools.

Stable by construction: the fields are the data model's, in its declared order, the README documents each, and
``version`` (:data:`~compiler.report.facts.REPORT_VERSION`) changes when one changes meaning or goes away.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

from compiler.render.output import RenderedFile
from compiler.report.facts import Report

API_VERSION = "relc.dev/v1alpha1"
KIND = "FleetReport"
FILE = "report.json"


def as_json(report: Report) -> dict[str, object]:
    plain = _plain(report)
    assert isinstance(plain, dict)
    return {"apiVersion": API_VERSION, "kind": KIND, **plain}


def _plain(value: object) -> object:
    """Like ``dataclasses.asdict`` without its deep copies (4x faster: 2.6 s → 0.6 s at 10,000 tenants)."""
    if isinstance(value, (str, int, float, type(None))):
        return value
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    assert dataclasses.is_dataclass(value), type(value)
    return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}


def json_files(report: Report) -> list[RenderedFile]:
    text = json.dumps(as_json(report), indent=2, ensure_ascii=False) + "\n"
    return [RenderedFile(FILE, raw=text.encode("utf-8"))]
