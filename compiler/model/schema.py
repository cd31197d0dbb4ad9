"""JSON Schemas for the input kinds, generated from the models so editors and relc never disagree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from compiler.model.kinds import KINDS


def kind_schema(kind: str) -> dict[str, Any]:
    model = KINDS[kind]
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://relc.dev/schemas/{kind}.json"
    return schema


def schema_file_name(kind: str) -> str:
    return f"{kind}.json"


def write_schemas(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in sorted(KINDS):
        path = out_dir / schema_file_name(kind)
        path.write_text(json.dumps(kind_schema(kind), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
