"""Stencils write exactly what the emitter writes for the document's dict, for any texts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.emit.stencil import hole, make_stencil
from compiler.emit.yamlout import Emitter
from compiler.render.output import Manifest, Templated
from compiler.render.pipeline import render_all
from tests.compile.test_emitter import AMBIGUOUS
from tests.render.helpers import context


def _templated(root: Path) -> list[Templated[Any]]:
    return [d for f in render_all(context(root)) for d in f.render() if isinstance(d, Templated)]


def _one_per_shape(docs: list[Templated[Any]]) -> list[Templated[Any]]:
    seen: dict[tuple[object, ...], Templated[Any]] = {}
    for doc in docs:
        seen.setdefault((doc.build, doc.shape, len(doc.texts)), doc)
    return list(seen.values())


def test_every_tenant_document_of_the_example_fleet_is_stencilled_and_identical(example_fleet: Path) -> None:
    docs = _templated(example_fleet)
    kinds = {d.manifest()["kind"] for d in docs}
    assert kinds == {"Job", "CronJob", "TenantProvisionJob", "AppProvisionJob", "TenantSchemaVersion", "HTTPRoute"}
    fast, slow = Emitter(), Emitter()
    for doc in docs:
        assert fast.stencils.text(doc) == slow.document(doc.manifest())
    assert fast.stencils.filled == len(docs)  # no shape fell back to the dict


TEXTS = st.one_of(
    st.sampled_from([*AMBIGUOUS, "a: b", "#x", "- x", "'q'", '"q"', "{x}", "{0}", "}{", "é", "\ue000", "a\nb"]),
    st.text(max_size=12),
)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> list[Templated[Any]]:
    from tests.conftest import REPO

    root = tmp_path_factory.mktemp("fleet")
    for folder in ("blueprints", "releases", "instances", "tenants"):
        (root / folder).symlink_to(REPO / folder)
    return _one_per_shape(_templated(root))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_texts_give_the_dict_paths_bytes(shapes: list[Templated[Any]], data: st.DataObject) -> None:
    doc = data.draw(st.sampled_from(shapes))
    texts = tuple(data.draw(st.lists(TEXTS, min_size=len(doc.texts), max_size=len(doc.texts))))
    probe = Templated(doc.build, doc.shape, texts)
    assert Emitter().stencils.text(probe) == Emitter().document(probe.manifest())


def _joined(shape: str, texts: tuple[str, ...]) -> Manifest:
    return {"kind": shape, "metadata": {"name": f"x-{texts[0]}"}}


def _keyed(shape: str, texts: tuple[str, ...]) -> Manifest:
    return {"kind": shape, "data": {texts[0]: "v"}}


def _plain(shape: str, texts: tuple[str, ...]) -> Manifest:
    return {"kind": shape, "data": {"a": texts[0], "b": [texts[0], "{const}"]}}


@pytest.mark.parametrize("build", [_joined, _keyed])
def test_a_text_joined_into_a_string_or_used_as_a_key_takes_the_dict_path(build: Any) -> None:
    emitter = Emitter()
    doc = Templated(build, "K", ("zz",))
    assert emitter.stencils.text(doc) == emitter.document(doc.manifest())
    assert emitter.stencils.filled == 0
    assert make_stencil(emitter.document(build("K", (hole(0),))), 1) is None


def test_marker_characters_in_the_shape_take_the_dict_path() -> None:
    emitter = Emitter()
    doc = Templated(_plain, "\ue000", ("zz",))
    assert emitter.stencils.text(doc) == 'kind: "\ue000"\ndata:\n  a: zz\n  b:\n    - zz\n    - "{const}"\n'
    assert emitter.stencils.filled == 0


def test_braces_in_the_shape_survive_and_a_multiline_text_takes_the_dict_path() -> None:
    emitter = Emitter()
    doc = Templated(_plain, "K", ("zz",))
    assert emitter.stencils.text(doc) == 'kind: K\ndata:\n  a: zz\n  b:\n    - zz\n    - "{const}"\n'
    assert emitter.stencils.filled == 1
    block = Templated(_plain, "K", ("one\ntwo",))
    assert emitter.stencils.text(block) == emitter.document(block.manifest())
    assert "|-" in emitter.stencils.text(block)
    assert emitter.stencils.filled == 1
