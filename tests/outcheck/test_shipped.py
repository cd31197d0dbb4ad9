"""The schemas relc ships as package data: verbatim upstream copies, each recorded with its sha256, and loadable.

Only the vendored copies are used (nothing outside the repository): each SOURCE.txt names the upstream source,
commit and licence and the sha256 of every file beside it, so an edited or swapped copy fails here.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from pathlib import Path

import pytest

from compiler.outcheck.discover import shipped_crds
from compiler.outcheck.kinds import SHIPPED

DATA = Path(str(resources.files("compiler").joinpath("data", "schemas")))
FAMILIES = sorted(p.name for p in DATA.iterdir() if p.is_dir())
RECORDED = re.compile(r"^\s+(\S+)\s+.*\bsha256 ([0-9a-f]{64})\s*$", re.MULTILINE)


def recorded(family: str) -> dict[str, str]:
    """file name -> sha256 as written in the family's SOURCE.txt."""
    return dict(RECORDED.findall((DATA / family / "SOURCE.txt").read_text(encoding="utf-8")))


def test_the_vendored_families_are_the_ones_relc_loads() -> None:
    assert FAMILIES == ["argocd", "gateway-api", "helm"]
    assert {f.folder for f in SHIPPED} <= set(FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_vendored_file_has_the_sha256_its_source_note_records(family: str) -> None:
    files = sorted(p.name for p in (DATA / family).iterdir() if p.name != "SOURCE.txt")
    hashes = recorded(family)
    assert sorted(hashes) == files
    actual = {name: hashlib.sha256((DATA / family / name).read_bytes()).hexdigest() for name in files}
    assert actual == hashes


@pytest.mark.parametrize("family", FAMILIES)
def test_every_source_note_names_the_upstream_commit_and_licence(family: str) -> None:
    note = (DATA / family / "SOURCE.txt").read_text(encoding="utf-8")
    assert "Source repository: https://github.com/" in note
    assert re.search(r"\b[0-9a-f]{40}\b", note), "no upstream commit"
    assert "Apache-2.0" in note


@pytest.mark.parametrize("family", FAMILIES)
def test_every_vendored_file_parses(family: str) -> None:
    for path in sorted((DATA / family).iterdir()):
        if path.suffix == ".json":
            assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict), path.name
    if any(p.suffix == ".yaml" for p in (DATA / family).iterdir()):
        group = next(f.group for f in SHIPPED if f.folder == family)
        crds = shipped_crds(family)
        assert crds and all(c["kind"] == "CustomResourceDefinition" and c["spec"]["group"] == group for c in crds)


def test_argocd_kinds_are_all_shipped() -> None:
    kinds = sorted(c["spec"]["names"]["kind"] for c in shipped_crds("argocd"))
    assert kinds == ["AppProject", "Application", "ApplicationSet"]


def test_gateway_api_is_the_upstream_v1_6_1_standard_bundle() -> None:
    crds = shipped_crds("gateway-api")
    assert sorted(c["spec"]["names"]["kind"] for c in crds) == ["Gateway", "HTTPRoute", "ReferenceGrant"]
    for crd in crds:
        annotations = crd["metadata"]["annotations"]
        assert annotations["gateway.networking.k8s.io/bundle-version"] == "v1.6.1"
        assert annotations["gateway.networking.k8s.io/channel"] == "standard"
    assert "Tag: v1.6.1" in (DATA / "gateway-api" / "SOURCE.txt").read_text(encoding="utf-8")
