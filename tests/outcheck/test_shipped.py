"""The schemas relc ships as package data: verbatim copies of shared/schemas, documented, and loadable."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from compiler.outcheck.discover import shipped_crds
from compiler.outcheck.kinds import SHIPPED
from tests.conftest import REPO

SHARED = REPO.parent / "shared" / "schemas"
DATA = Path(str(resources.files("compiler").joinpath("data", "schemas")))
VERBATIM = [
    "argocd/SOURCE.txt",
    "argocd/application-crd.yaml",
    "argocd/applicationset-crd.yaml",
    "argocd/appproject-crd.yaml",
    "helm/SOURCE.txt",
    "helm/chart.json",
    "helm/chart-lock.json",
]


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/schemas is not beside the repository")
@pytest.mark.parametrize("name", VERBATIM)
def test_shipped_copy_is_byte_identical_to_shared(name: str) -> None:
    assert (DATA / name).read_bytes() == (SHARED / name).read_bytes()


@pytest.mark.parametrize("family", [f.folder for f in SHIPPED])
def test_every_shipped_family_has_a_source_note_and_crds_of_its_group(family: str) -> None:
    assert (
        "Apache-2.0" in (DATA / family / "SOURCE.txt").read_text()
        or "NOT an upstream" in (DATA / family / "SOURCE.txt").read_text()
    )
    group = next(f.group for f in SHIPPED if f.folder == family)
    crds = shipped_crds(family)
    assert crds and all(c["spec"]["group"] == group for c in crds)


def test_argocd_kinds_are_all_shipped() -> None:
    kinds = sorted(c["spec"]["names"]["kind"] for c in shipped_crds("argocd"))
    assert kinds == ["AppProject", "Application", "ApplicationSet"]
