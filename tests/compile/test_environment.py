"""Environment failures (a read-only or full output filesystem) exit 4, name the path and the OS's reason, and
leave the previous output intact. Through the real ``relc`` binary, on a real tmpfs mounted in a private mount
namespace (root here and in CI: ``unshare`` needs CAP_SYS_ADMIN), so the errors are the kernel's own EROFS and
ENOSPC, not injected ones."""

from __future__ import annotations

import errno
import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from compiler.cli import main
from compiler.load import discover
from tests.compile.util import digest
from tests.conftest import REPO, TODAY
from tests.outcheck.conftest import VALID, copy_case, validate_rendered
from tests.outcheck.test_kubeconform import install_fake, on_path

TENANT = "tenants/droneup-production/horizon-aerobotics.yaml"
UNCHANGED = "(The new tree was being built beside it, in .relc-staging/, and was removed.)"


def in_tmpfs(mode: str, fleet: Path, mount: Path) -> dict[str, Any]:
    mount.mkdir()
    namespace = ["unshare", "--mount", "--propagation", "private"]
    edit = [str(fleet / TENANT), "releaseCandidate: q1-2025", "releaseCandidate: q2-2025"]
    args = ["--root", str(fleet), "--today", TODAY, "--jobs", "1"]
    done = subprocess.run(
        [*namespace, sys.executable, "-m", "tests.compile.in_tmpfs", mode, str(mount), *edit, "--", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"the tmpfs helper failed (unshare and mount need root):\n{done.stderr}"
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["first"]["rc"] == 0, report["first"]
    assert report["after"] == report["before"]  # the previous rendered/ is intact, byte for byte
    assert report["second"]["stdout"] == ""
    return report


def test_a_read_only_output_filesystem_exits_4_naming_the_path(example_fleet: Path, tmp_path: Path) -> None:
    mount = tmp_path / "mnt"
    report = in_tmpfs("readonly", example_fleet, mount)
    assert report["second"]["rc"] == 4
    assert report["second"]["stderr"] == (
        f"relc: error: cannot create '{mount}/.relc-staging': Read-only file system [EROFS]\n"
        f"  hint: {mount}/rendered/ is unchanged. The filesystem is mounted read-only: remount it read-write or write"
        " elsewhere.\n"
    )
    assert report["beside"] == ["rendered"]


def test_a_full_output_filesystem_exits_4_naming_the_file(example_fleet: Path, tmp_path: Path) -> None:
    mount = tmp_path / "mnt"
    report = in_tmpfs("full", example_fleet, mount)
    assert report["second"]["rc"] == 4
    pattern = (
        rf"relc: error: cannot write '{re.escape(str(mount))}/rendered/instances/droneup-production/[a-z0-9/._-]+':"
        r" No space left on device \[ENOSPC\]\n"
        rf"  hint: {re.escape(str(mount))}/rendered/ is unchanged\. {re.escape(UNCHANGED)} Free space on that"
        r" filesystem, then run the command again\.\n"
    )
    assert re.fullmatch(pattern, report["second"]["stderr"]), report["second"]["stderr"]
    assert report["beside"] == ["filler", "rendered"]  # the staging tree is gone too


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_file_size_limit_exits_4_naming_the_file(example_fleet: Path, tmp_path: Path, jobs: str) -> None:
    """RLIMIT_FSIZE (EFBIG) needs no privilege; with --jobs 2 the failure crosses from a forked worker."""
    out = tmp_path / "out"
    relc = [str(Path(sys.executable).parent / "relc"), "compile", "--root", str(example_fleet), "--today", TODAY]
    relc += ["--out", str(out), "--jobs", jobs, "--fork-threshold", "0"]
    assert subprocess.run(relc, capture_output=True, check=False).returncode == 0
    before = digest(out)
    tenant = example_fleet / TENANT
    tenant.write_text(tenant.read_text().replace("releaseCandidate: q1-2025", "releaseCandidate: q2-2025"))
    done = subprocess.run(relc, capture_output=True, text=True, check=False, preexec_fn=limit_file_size)
    assert done.returncode == 4, done.stderr
    assert re.fullmatch(
        rf"relc: error: cannot write '{re.escape(str(out))}/[a-z0-9/._-]+\.yaml': File too large \[EFBIG\]\n"
        rf"  hint: {re.escape(str(out))}/ is unchanged\. {re.escape(UNCHANGED)} A file size limit stops the write"
        r" \(ulimit -f, or the filesystem's\): raise it or write elsewhere\.\n",
        done.stderr,
    ), done.stderr
    assert digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["example", "out"]


def limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


FILE_SIZE_LIMIT = 4096
"""Over the staging area's .gitignore, under a tenant's migrations.yaml."""


@pytest.mark.parametrize("command", [["validate"], ["graph"], ["compile"]])
def test_a_fleet_file_failing_to_read_exits_4_naming_it(
    example_fleet: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """EIO from read(2), which names no file (the kernel's error cannot be caused on demand here: injected)."""

    def failing(fd: int, size: int) -> bytes:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(discover, "_read_all", failing)
    before = digest(example_fleet)
    result = CliRunner().invoke(main, [*command, "--root", str(example_fleet), "--today", TODAY])
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr == (
        f"relc: error: cannot read '{example_fleet}/blueprints/arematics-platform.yaml': Input/output error"
        " [EIO]\n  hint: The device reported an I/O error: check the disk (dmesg) before trusting what is on it.\n"
    )
    assert digest(example_fleet) == before


def test_a_full_temporary_folder_for_kubeconform_exits_4_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """relc's other writer in validate --rendered: the schemas it hands kubeconform (write(2) names no file)."""
    bin_dir = tmp_path / "bin"
    install_fake(bin_dir, json.dumps({"resources": []}))
    root = copy_case(VALID, tmp_path / "fleet")

    def full(self: Path, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_bytes", full)
    result = validate_rendered(root, "--format", "text", env=on_path(bin_dir))
    assert result.exit_code == 4
    assert re.fullmatch(
        r"relc: error: cannot write '[^']*/relc-schemas-[^/']+/[^']+\.json': No space left on device \[ENOSPC\]\n"
        r"  hint: Schemas for kubeconform go to a temporary folder\. Free space on that filesystem, then run the"
        r" command again\.\n",
        result.stderr,
    ), result.stderr


def test_a_rendered_file_failing_to_read_exits_4_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """validate --rendered reads what compile wrote; EIO from read(2) names no file (injected)."""
    root = copy_case(VALID, tmp_path / "fleet")

    def failing(self: Path) -> bytes:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(Path, "read_bytes", failing)
    result = validate_rendered(root, "--kubeconform", "off")
    assert result.exit_code == 4
    assert re.fullmatch(
        rf"relc: error: cannot read '{re.escape(str(root))}/rendered/[^']+': Input/output error \[EIO\]\n"
        r"  hint: The device reported an I/O error: check the disk \(dmesg\) before trusting what is on it\.\n",
        result.stderr,
    ), result.stderr
