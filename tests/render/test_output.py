"""Rendered paths come from input names: none may escape rendered/ or hide a file."""

from __future__ import annotations

import pytest

from compiler.render.output import RenderedFile, UnsafePath, safe_path

UNSAFE = ["", "/etc/x", "a//b", "a/", ".git/x", "a/../b", "a/./b", "..", "a\\b", "a\x00b", "a\nb"]


@pytest.mark.parametrize("path", UNSAFE)
def test_unsafe_paths_are_refused(path: str) -> None:
    with pytest.raises(UnsafePath):
        safe_path(path)
    with pytest.raises(UnsafePath):
        RenderedFile(path, raw=b"x")


def test_ordinary_paths_pass() -> None:
    assert safe_path("instances/a-b/tenants/c_d/migrations.yaml") == "instances/a-b/tenants/c_d/migrations.yaml"
