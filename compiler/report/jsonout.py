"""``--format json``: the :class:`~compiler.report.facts.Report` as one JSON file, for other tools.

Stable by construction: the fields are the data model's, in its declared order, the README documents each, and
``version`` (:data:`~compiler.report.facts.REPORT_VERSION`) changes when one changes meaning or goes away.
"""

from __future__ import annotations

import dataclasses
import json

from compiler.render.output import RenderedFile
from compiler.report.facts import Report

API_VERSION = "relc.dev/v1alpha1"
KIND = "FleetReport"
FILE = "report.json"


def as_json(report: Report) -> dict[str, object]:
    return {"apiVersion": API_VERSION, "kind": KIND, **dataclasses.asdict(report)}


def json_files(report: Report) -> list[RenderedFile]:
    text = json.dumps(as_json(report), indent=2, ensure_ascii=False) + "\n"
    return [RenderedFile(FILE, raw=text.encode("utf-8"))]
