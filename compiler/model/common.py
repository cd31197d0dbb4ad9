"""Field types shared by every kind: names, versions, durations, metadata, the strict base model."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

import semver
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

API_VERSION = "relc.dev/v1alpha1"

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DURATION = re.compile(r"([0-9]+)(s|m|h|d|w)\Z")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class Strict(BaseModel):
    """Base of every input model: unknown keys are errors and objects are immutable.

    Booleans and integers are declared StrictBool/StrictInt so "yes" or "3" are not coerced silently;
    strings never accept numbers (pydantic v2's lax mode), so an unquoted 1.10 version is an error, not 1.1.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _check_name(value: str) -> str:
    if len(value) > 63 or not _DNS1123_LABEL.match(value):
        raise PydanticCustomError(
            "relc_name",
            "'{value}' is not a DNS-1123 label (lower-case letters, digits and '-', starting and ending with "
            "a letter or digit, at most 63 characters)",
            {"value": value[:80]},
        )
    return value


def _check_semver(value: str) -> str:
    text = value[1:] if value.startswith("v") else value
    if not semver.Version.is_valid(text):
        raise PydanticCustomError(
            "relc_semver", "'{value}' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 2.1.0)", {"value": value}
        )
    return text


def _check_duration(value: str) -> str:
    if not _DURATION.match(value):
        raise PydanticCustomError(
            "relc_duration",
            "'{value}' is not a duration (a whole number and a unit s, m, h, d or w, e.g. 30d)",
            {"value": value},
        )
    return value


Name = Annotated[
    str,
    AfterValidator(_check_name),
    WithJsonSchema({"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}),
]
"""A DNS-1123 label: it becomes namespaces, Kubernetes names, file names and (with '_') PostgreSQL names."""

SemVer = Annotated[
    str,
    AfterValidator(_check_semver),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$",
        }
    ),
]
"""A semantic version; a leading 'v' (as in the design documents) is accepted and dropped."""

Duration = Annotated[
    str, AfterValidator(_check_duration), WithJsonSchema({"type": "string", "pattern": "^[0-9]+(s|m|h|d|w)$"})
]
"""A duration such as 30d or 10m."""

Text = Annotated[str, StringConstraints(max_length=1024)]


def duration_seconds(value: str) -> int:
    """Seconds in a validated :data:`Duration`."""
    match = _DURATION.match(value)
    assert match is not None, value
    return int(match.group(1)) * _UNITS[match.group(2)]


def duration_delta(value: str) -> timedelta:
    return timedelta(seconds=duration_seconds(value))


class Metadata(Strict):
    name: Name
    labels: dict[str, Text] = Field(default_factory=dict)
    annotations: dict[str, Text] = Field(default_factory=dict)


class Envelope(Strict):
    """apiVersion/kind/metadata/spec, like every Kubernetes object."""

    api_version: str = Field(alias="apiVersion", pattern=r"^relc\.dev/v1alpha1$")
    metadata: Metadata

    def describe(self) -> str:
        return f"{type(self).__name__} {self.metadata.name}"
