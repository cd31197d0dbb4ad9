"""``relc schema`` writes like compile: each schema whole or not at all, nothing else in its folder touched,
nothing left beside it, and a machine failure exits 4 naming the file."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from compiler.cli import main
from compiler.model.schema import schema_texts

FILE_SIZE_LIMIT = 4096
"""Over the staging area's .gitignore, under ComponentVersion.json (the first schema written)."""


def test_schema_replaces_its_own_files_only(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    out.mkdir()
    (out / "README.md").write_text("our notes\n")
    (out / "Tenant.json").write_text("{}\n")
    result = CliRunner().invoke(main, ["schema", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "".join(f"wrote {out / name}\n" for name in schema_texts())
    assert (out / "README.md").read_text() == "our notes\n"
    assert {p.name: p.read_text() for p in out.glob("*.json")} == schema_texts()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schemas"]  # no staging area left beside it


def test_a_file_size_limit_exits_4_naming_the_file_and_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    out.mkdir()
    for name in schema_texts():
        (out / name).write_text("old\n")
    relc = Path(sys.executable).parent / "relc"
    done = subprocess.run(
        [str(relc), "schema", "--out", str(out)], capture_output=True, text=True, check=False, preexec_fn=_limit
    )
    assert done.returncode == 4
    assert done.stdout == ""
    assert done.stderr == (
        f"relc: error: cannot write '{out}/ComponentVersion.json': File too large [EFBIG]\n"
        f"  hint: {out}/ is unchanged (the files were being written in .relc-staging/ beside it, then removed). A"
        " file size limit stops the write (ulimit -f, or the filesystem's): raise it or write elsewhere.\n"
    )
    assert {p.name: p.read_text() for p in out.iterdir()} == dict.fromkeys(schema_texts(), "old\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schemas"]


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
