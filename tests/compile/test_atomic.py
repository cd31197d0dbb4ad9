"""Atomicity and pruning: rendered/ changes as a whole or not at all, and only rendered/ changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compiler.diagnostics import EnvironmentFailure
from compiler.emit import tree
from compiler.emit.tree import replace_tree
from tests.compile.util import compile_fleet, raw_files, siblings, snapshot


class DiskFull(OSError):
    pass


def failing_after(count: int) -> tree.Writer:
    written: list[Path] = []

    def writer(path: Path, data: bytes) -> None:
        if len(written) == count:
            raise DiskFull(28, "No space left on device", str(path))
        written.append(path)
        path.write_bytes(data)

    return writer


def test_a_write_failing_midway_leaves_rendered_byte_identical(tmp_path: Path) -> None:
    target = tmp_path / "rendered"
    replace_tree(target, raw_files({"a/one.yaml": b"1\n", "b/two.yaml": b"2\n", "keep.yaml": b"k\n"}), workers=1)
    before, names = snapshot(target), siblings(target)
    wanted = {f"x/{n}.yaml": b"new\n" for n in range(10)}
    with pytest.raises(EnvironmentFailure) as failure:
        replace_tree(target, raw_files(wanted), workers=1, writer=failing_after(5))
    assert str(failure.value) == f"cannot write '{target}/x/5.yaml': No space left on device [ENOSPC]"
    assert snapshot(target) == before
    assert siblings(target) == names  # no staging directory left behind


def test_a_compile_writes_nothing_when_a_file_fails(example_fleet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the CLI: the first compile succeeds, the second fails writing the second file it changes."""
    assert compile_fleet(example_fleet).exit_code == 0
    rendered = example_fleet / "rendered"
    before, names = snapshot(rendered), siblings(rendered)
    (example_fleet / "tenants" / "droneup-production" / "cherokee-nation.yaml").unlink()
    monkeypatch.setattr(tree, "_write_file", failing_after(1))
    result = compile_fleet(example_fleet)
    assert result.exit_code == 4
    assert result.stderr == (
        "relc: error: cannot write 'rendered/registry/service_versions.json': No space left on device [ENOSPC]\n"
        "  hint: rendered/ is unchanged. (The new tree was being built beside it, in .relc-staging/, and was"
        " removed.) Free space on that filesystem, then run the command again.\n"
    )
    assert snapshot(rendered) == before
    assert siblings(rendered) == names


def test_an_invalid_fleet_writes_nothing(example_fleet: Path) -> None:
    assert compile_fleet(example_fleet).exit_code == 0
    rendered = example_fleet / "rendered"
    before = snapshot(rendered)
    tenant = example_fleet / "tenants" / "arematics-prod" / "acme.yaml"
    tenant.write_text(tenant.read_text().replace("releaseCandidate: platform-2025-07", "releaseCandidate: nope"))
    result = compile_fleet(example_fleet)
    assert result.exit_code == 1
    assert "RLC301" in result.output
    assert snapshot(rendered) == before


def test_a_removed_tenant_is_pruned(example_fleet: Path) -> None:
    assert compile_fleet(example_fleet).exit_code == 0
    gone = example_fleet / "rendered" / "instances" / "droneup-production" / "tenants" / "cherokee-nation"
    assert gone.is_dir()
    (example_fleet / "tenants" / "droneup-production" / "cherokee-nation.yaml").unlink()
    (example_fleet / "rendered" / "stray.txt").write_text("not produced by relc\n")
    result = compile_fleet(example_fleet)
    assert result.exit_code == 0, result.output
    assert not gone.exists()
    assert not (example_fleet / "rendered" / "stray.txt").exists()
    # q4-2024 lost its only tenant and is not kept warm: its chart and Application go too
    assert not (example_fleet / "rendered" / "instances" / "droneup-production" / "candidates" / "q4-2024").exists()


def test_an_unchanged_compile_does_not_touch_rendered(example_fleet: Path) -> None:
    assert compile_fleet(example_fleet).exit_code == 0
    rendered = example_fleet / "rendered"
    inode = os.stat(rendered).st_ino
    result = compile_fleet(example_fleet)
    assert result.exit_code == 0
    assert "0 added, 0 changed, 0 removed" in result.output
    assert os.stat(rendered).st_ino == inode  # no swap happened


def test_exchange_falls_back_to_two_renames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tree, "_renameat2", lambda a, b: False)
    target = tmp_path / "rendered"
    replace_tree(target, raw_files({"old.yaml": b"old\n"}), workers=1)
    replace_tree(target, raw_files({"new.yaml": b"new\n"}), workers=1)
    assert snapshot(target) == {"new.yaml": b"new\n"}
    assert siblings(target) == ["rendered"]


def test_unchanged_files_are_linked_not_rewritten(example_fleet: Path) -> None:
    assert compile_fleet(example_fleet).exit_code == 0
    rendered = example_fleet / "rendered"
    untouched = rendered / "argocd" / "relc.yaml"
    inode = os.stat(untouched).st_ino
    tenant = example_fleet / "tenants" / "droneup-production" / "droneup.yaml"
    tenant.write_text(tenant.read_text().replace("displayName: DroneUp", "displayName: DroneUp Inc"))
    (example_fleet / "tenants" / "droneup-production" / "cherokee-nation.yaml").unlink()
    result = compile_fleet(example_fleet)
    assert result.exit_code == 0, result.output
    assert "0 added" in result.output and " 0 removed" not in result.output
    assert os.stat(untouched).st_ino == inode
    assert siblings(rendered) == ["blueprints", "instances", "releases", "rendered", "tenants"]


def test_a_killed_compiles_staging_tree_is_cleaned_up(example_fleet: Path) -> None:
    area = example_fleet / ".relc-staging"
    abandoned = area / "rendered-99999999"
    (abandoned / "instances").mkdir(parents=True)
    aside = area / "rendered-99999998-old"  # the old tree of a two-rename exchange, killed between the renames
    aside.mkdir()
    legacy = example_fleet / ".relc-staging-rendered-99999997"  # where relc staged before .relc-staging/
    legacy.mkdir()
    running = area / f"rendered-{os.getppid()}"  # a live process: left alone
    running.mkdir()
    assert compile_fleet(example_fleet).exit_code == 0
    assert not abandoned.exists() and not aside.exists() and not legacy.exists()
    assert running.is_dir()
    assert sorted(p.name for p in area.iterdir()) == [".gitignore", running.name]
