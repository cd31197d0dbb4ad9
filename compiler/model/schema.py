"""JSON Schemas for the input kinds (and relc.yaml's Settings), generated from the models so editors and relc
never disagree. Example files point at them with a ``yaml-language-server`` comment."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from compiler.model.kinds import KINDS
from compiler.model.settings import Settings

MODELS: dict[str, type[BaseModel]] = {**KINDS, "Settings": Settings}


def kind_schema(kind: str) -> dict[str, Any]:
    schema = MODELS[kind].model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://relc.dev/schemas/{kind}.json"
    return schema


def schema_file_name(kind: str) -> str:
    return f"{kind}.json"


def schema_texts() -> dict[str, str]:
    """File name → content, in a stable form (sorted keys) so the committed files diff cleanly."""
    return {
        schema_file_name(kind): json.dumps(kind_schema(kind), indent=2, sort_keys=True) + "\n"
        for kind in sorted(MODELS)
    }
