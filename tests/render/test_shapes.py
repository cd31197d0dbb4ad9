"""Shapes are keyed by every field they are made from: two documents differing in any shape field never share one.

A shape is shared by many tenants' documents and emitted once as a stencil, so a key that missed a field would
give a tenant another tenant's dryRun, backup or deletion policy, silently, with byte-for-byte plausible YAML.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest

from compiler.render import routing
from compiler.render.jobs import CleanupShape, MigrationShape, ProvisionShape
from compiler.render.output import Shapes, Templated
from compiler.render.tenancy import AppShape, Owner, TenantShape, VersionShape
from tests.compile.util import compile_fleet
from tests.render.helpers import edit, files

INTERNED = (ProvisionShape, MigrationShape, CleanupShape, TenantShape, AppShape, VersionShape, Owner)
"""The shape classes made through Shapes (declared eq=False: compared by identity, so interning must be right)."""


@pytest.mark.parametrize("cls", INTERNED, ids=lambda c: c.__name__)
def test_shapes_differing_in_any_field_are_different_objects(cls: type[object]) -> None:
    shapes, make = Shapes(), cast(Callable[..., object], cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    base = tuple(object() for _ in fields)
    first = shapes.get(make, *base)
    assert shapes.get(make, *base) is first
    for i, field in enumerate(fields):
        other = object()
        varied = shapes.get(make, *base[:i], other, *base[i + 1 :])
        assert varied is not first, field.name
        assert getattr(varied, field.name) is other


def test_shape_fields_are_positional() -> None:
    with pytest.raises(TypeError, match=r"shape fields are positional, got \['candidate'\]"):
        Shapes().get(Owner, "prod", candidate="x")


def test_every_tenant_document_shape_is_interned_or_compared_by_value(example_fleet: Path) -> None:
    """A new shape class must either go through Shapes (and the test above) or compare by its fields."""
    from compiler.render import tenancy

    kinds: set[type[object]] = set()
    for rendered in files(example_fleet, tenancy.render, routing.render).values():
        kinds |= {type(d.shape) for d in rendered.render() if isinstance(d, Templated)}
    by_value = {k for k in kinds if k.__dataclass_params__.eq}  # type: ignore[attr-defined]
    assert kinds - by_value == set(INTERNED) - {Owner}  # Owner is a field of the others, never a document's shape


@pytest.mark.parametrize(
    ("old", "new", "file", "rendered"),
    [
        ("dryRun: false", "dryRun: true", "schema-versions.yaml", "dryRun: true"),
        ("backupBeforeMigration: true", "backupBeforeMigration: false", "schema-versions.yaml", "Migration: false"),
        ("autoUpgrade: false", "autoUpgrade: true", "schema-versions.yaml", "autoUpgrade: true"),
        ("mode: retained", "mode: immediate", "provisioning.yaml", "mode: immediate"),
        ("gracePeriod: 30d", "gracePeriod: 7d", "provisioning.yaml", 'gracePeriod: "7d"'),
    ],
)
def test_a_tenant_differing_in_one_policy_gets_its_own_documents(
    example_fleet: Path, tmp_path: Path, old: str, new: str, file: str, rendered: str
) -> None:
    """Through the CLI and the stencils: tenant xyz2 is xyz with one shape field changed."""
    source = example_fleet / "tenants/arematics-prod/xyz.yaml"
    twin = source.with_name("xyz2.yaml")
    twin.write_text(source.read_text(encoding="utf-8").replace("name: xyz\n", "name: xyz2\n"), encoding="utf-8")
    edit(twin, old, new)
    out = tmp_path / "out"
    result = compile_fleet(example_fleet, "--out", str(out))
    assert result.exit_code == 0, result.output
    tenants = out / "instances/arematics-prod/tenants"
    original, changed = (tenants / t / file for t in ("xyz", "xyz2"))
    assert rendered not in original.read_text(encoding="utf-8")
    assert rendered in changed.read_text(encoding="utf-8")
    if old == "dryRun: false":
        migrations = (tenants / "xyz2/migrations.yaml").read_text(encoding="utf-8")
        assert "--dry-run" in migrations
        assert "--dry-run" not in (tenants / "xyz/migrations.yaml").read_text(encoding="utf-8")
