"""Emitting, comparing and writing on forked workers changes nothing observable: same Delta, same bytes, same
atomicity. ``threshold=0`` forces the fork path on trees small enough to keep the suite fast."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from compiler.diagnostics import EnvironmentFailure
from compiler.emit import tree
from compiler.emit.tree import DIFFS_KEPT, Delta, compare, replace_tree
from compiler.render.output import RenderedFile
from tests.compile.test_atomic import failing_after
from tests.compile.util import compile_fleet, siblings, snapshot


def fleet_files(changed: bool) -> list[RenderedFile]:
    """~300 files over nested folders, half YAML documents (the emitter runs in each worker), half raw bytes.

    With ``changed``: some files differ at the same size, some at another size, some are new, some are gone.
    """
    files: list[RenderedFile] = []
    for n in range(300):
        if changed and n % 37 == 0:
            continue  # removed
        path = f"tenants/t{n % 23:02}/{n:03}.{'yaml' if n % 2 else 'json'}"
        value = f"v{n}-new" if changed and n % 11 == 0 else f"v{n}-old"
        if changed and n % 13 == 0:
            value += " and longer"
        if n % 2:
            files.append(RenderedFile(path, ({"kind": "ConfigMap", "metadata": {"name": f"cm-{n}"}, "data": value},)))
        else:
            files.append(RenderedFile(path, raw=f'{{"value": "{value}"}}\n'.encode()))
    if changed:
        files += [RenderedFile(f"added/{n}.txt", raw=b"added\n") for n in range(7)]
    return sorted(files, key=lambda f: f.path)


@pytest.fixture
def before(tmp_path: Path) -> Path:
    target = tmp_path / "before" / "rendered"
    replace_tree(target, fleet_files(changed=False), workers=1)
    return target


def copied(source: Path, to: Path) -> Path:
    shutil.copytree(source, to / "rendered")
    return to / "rendered"


def test_two_workers_give_the_same_delta_and_bytes_as_one(before: Path, tmp_path: Path) -> None:
    serial, forked = copied(before, tmp_path / "serial"), copied(before, tmp_path / "forked")
    files = fleet_files(changed=True)
    unchanged = "tenants/t01/001.yaml"
    inode = os.stat(forked / unchanged).st_ino

    one = replace_tree(serial, files, workers=1)
    two = replace_tree(forked, files, workers=2, threshold=0)

    assert one == two
    assert one.missing and one.stale and one.extra  # the tree exercises every kind of change
    assert snapshot(forked) == snapshot(serial) == tree.serialise(files)
    assert siblings(forked) == ["rendered"]
    assert os.stat(forked / unchanged).st_ino == inode  # hard-linked by a worker, not rewritten


def test_two_workers_that_change_nothing_swap_nothing(before: Path) -> None:
    inode = os.stat(before).st_ino
    delta = replace_tree(before, fleet_files(changed=False), workers=2, threshold=0)
    assert delta.clean and delta.files == 300
    assert os.stat(before).st_ino == inode


def test_check_with_two_workers_reports_the_same_stale_files_and_the_first_diffs_in_path_order(before: Path) -> None:
    files = fleet_files(changed=True)

    one = compare(before, files, workers=1)
    two = compare(before, files, workers=2, threshold=0)
    three = compare(before, files, workers=3, threshold=0)

    assert one == two == three
    assert len(one.stale) > DIFFS_KEPT
    assert [path for path, _, _ in two.diffs] == one.stale[:DIFFS_KEPT]
    assert set(two.first_lines) == set(two.stale)


def test_the_first_diffs_are_the_smallest_paths_whatever_order_the_files_come_in(before: Path) -> None:
    files = fleet_files(changed=True)
    assert compare(before, files[::-1], workers=2, threshold=0) == compare(before, files, workers=1)


def test_a_failing_write_in_a_worker_leaves_rendered_byte_identical(before: Path) -> None:
    snapshot_before, names = snapshot(before), siblings(before)
    with pytest.raises(EnvironmentFailure, match=r"No space left on device \[ENOSPC\]") as failure:
        replace_tree(before, fleet_files(changed=True), workers=2, threshold=0, writer=failing_after(3))
    assert failure.value.code == errno.ENOSPC and failure.value.path.startswith(f"{before}/")
    assert snapshot(before) == snapshot_before
    assert siblings(before) == names  # no staging directory left behind


def test_a_duplicate_path_in_different_shares_is_still_found(tmp_path: Path) -> None:
    files = [RenderedFile("a.yaml", raw=b"1\n"), RenderedFile("b.yaml", raw=b"2\n"), RenderedFile("a.yaml", raw=b"3\n")]
    with pytest.raises(tree.DuplicateOutput, match=r"a\.yaml"):
        replace_tree(tmp_path / "rendered", files, workers=2, threshold=0)
    assert siblings(tmp_path / "rendered") == []


def test_compile_with_jobs_2_writes_and_checks_like_jobs_1(example_fleet: Path, tmp_path: Path) -> None:
    outs = {"1": tmp_path / "one" / "rendered", "2": tmp_path / "two" / "rendered"}
    for jobs, out in outs.items():
        result = compile_fleet(example_fleet, "--out", str(out), "--jobs", jobs, "--fork-threshold", "0")
        assert result.exit_code == 0, result.output
    assert snapshot(outs["2"]) == snapshot(outs["1"])

    for out in outs.values():  # the same stale tree twice: --check must report it the same way
        for name in ("platform/shared.yaml", "tenants/acme/tenant.yaml", "tenants/acme/jobs.yaml"):
            for stale in out.glob(f"instances/*/{name}"):
                stale.write_bytes(stale.read_bytes().replace(b"name: ", b"name: x", 1))
        (out / "argocd" / "relc.yaml").unlink()
        (out / "extra.yaml").write_text("{}\n")
    checks = {
        jobs: compile_fleet(example_fleet, "--out", str(out), "--check", "--jobs", jobs, "--fork-threshold", "0")
        for jobs, out in outs.items()
    }
    assert [c.exit_code for c in checks.values()] == [1, 1]
    one, two = (
        c.stdout.replace(str(outs[j]), "OUT") + c.stderr.replace(str(outs[j]), "OUT") for j, c in checks.items()
    )
    assert two == one
    assert one.count("stale: differs") > DIFFS_KEPT and one.count("(on disk)") == DIFFS_KEPT


def test_a_compile_with_jobs_2_writes_nothing_when_a_file_fails(
    example_fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert compile_fleet(example_fleet).exit_code == 0
    rendered = example_fleet / "rendered"
    before, names = snapshot(rendered), siblings(rendered)
    (example_fleet / "tenants" / "droneup-production" / "cherokee-nation.yaml").unlink()
    tenant = example_fleet / "tenants" / "droneup-production" / "droneup.yaml"
    tenant.write_text(tenant.read_text().replace("displayName: DroneUp", "displayName: DroneUp Inc"))
    monkeypatch.setattr(tree, "_write_file", failing_after(0))  # inherited by the forked workers
    result = compile_fleet(example_fleet, "--jobs", "2", "--fork-threshold", "0")
    assert result.exit_code == 4
    assert result.stderr.startswith("relc: error: cannot write 'rendered/instances/droneup-production/")
    assert ": No space left on device [ENOSPC]\n  hint: rendered/ is unchanged." in result.stderr
    assert snapshot(rendered) == before
    assert siblings(rendered) == names


def test_delta_survives_the_trip_from_a_worker() -> None:
    import pickle

    delta = Delta(["a"], ["b"], [], {"b": 3}, [("b", b"x", b"y")], 2)
    assert pickle.loads(pickle.dumps(delta)) == delta


def test_a_tenant_render_error_on_a_worker_is_reported_and_writes_nothing(
    example_fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tenants' documents are rendered on the workers (deferred): an error there is the command's error."""
    from compiler.render import jobs

    assert compile_fleet(example_fleet).exit_code == 0
    rendered = example_fleet / "rendered"
    before, names = snapshot(rendered), siblings(rendered)
    (example_fleet / "tenants" / "droneup-production" / "cherokee-nation.yaml").unlink()

    def refuse(instance: object, tenant: str) -> jobs.VaultFile:
        raise jobs.UnsafeVaultPath("droneup-production", f"secret/{tenant}?")

    monkeypatch.setattr(jobs, "tenant_dsn", refuse)  # inherited by the forked workers
    result = compile_fleet(example_fleet, "--jobs", "2", "--fork-threshold", "0")
    assert result.exit_code == 1
    assert "relc: error: Instance droneup-production: Vault path 'secret/" in result.output
    assert "may only hold letters, digits and _ . / -" in result.output
    assert snapshot(rendered) == before
    assert siblings(rendered) == names
