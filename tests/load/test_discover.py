"""read_fleet's one-scandir walk finds and refuses exactly what the os.walk + pathlib reader it replaced did.

The reference below is that reader, kept verbatim in spirit: the order of problems, the relative paths, and every
refusal (links, pipes, oversized and non-UTF-8 files, hidden entries, links to folders) must not change.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from compiler.diagnostics import Diagnostic
from compiler.load.discover import FLEET_FOLDERS, YAML_SUFFIXES, read_fleet
from compiler.load.documents import SourceFile
from compiler.load.yamlread import Limits

NOT_READ = "this file is not read: relc reads only files ending in .yaml or .yml (and skips README.md-style .md files)"


def rel_of(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _reference(root: Path, limits: Limits) -> tuple[list[SourceFile], list[tuple[str, int, str, str]]]:
    """The previous reader: os.walk, then lstat, stat and read_bytes per file."""
    sources: list[SourceFile] = []
    problems: list[tuple[str, int, str, str]] = []
    for folder in FLEET_FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(n for n in filenames if not n.startswith(".")):
                path = Path(dirpath, name)
                if path.suffix not in YAML_SUFFIXES:
                    if path.suffix != ".md":  # RLC110: every other file is a warning
                        problems.append((rel_of(path, root), 0, "RLC110", NOT_READ))
                    continue
                rel = path.relative_to(root).as_posix()
                if path.is_symlink():
                    problems.append((rel, 0, "RLC103", "the file is a symbolic link"))
                elif not stat.S_ISREG(path.stat().st_mode):
                    problems.append((rel, 0, "RLC103", "not a regular file (a named pipe, socket or device)"))
                elif path.stat().st_size > limits.max_bytes:
                    size = path.stat().st_size
                    problems.append((rel, 0, "RLC103", f"file is {size} bytes, over the {limits.max_bytes}-byte limit"))
                else:
                    raw = path.read_bytes()
                    try:
                        sources.append(SourceFile(rel, raw.decode("utf-8").removeprefix("\ufeff")))
                    except UnicodeDecodeError as exc:
                        line = raw.count(b"\n", 0, exc.start) + 1
                        problems.append((rel, line, "RLC101", f"the file is not UTF-8 text (byte {exc.start})"))
    sources.sort(key=lambda s: s.path)
    return sources, problems


def _short(found: list[Diagnostic]) -> list[tuple[str, int, str, str]]:
    return [(d.file, d.line, d.code, d.message) for d in found]


def _hostile_tree(root: Path, outside: Path) -> None:
    (outside / "dir").mkdir(parents=True)
    (outside / "dir" / "x.yaml").write_text("kind: Tenant\n")
    (outside / "file.yaml").write_text("kind: Tenant\n")
    files = {
        "tenants/b/z.yaml": "b: 1\n",
        "tenants/b/a.yml": "\ufeffa: 1\n",
        "tenants/b/c.txt": "not yaml",
        "tenants/b/README.md": "# notes\n",
        "tenants/b/d.YAML": "d: 1\n",
        "tenants/b/.hidden.yaml": "h: 1\n",
        "tenants/.hidden/x.yaml": "h: 1\n",
        "tenants/a/deep/er/x.yaml": "x: 1\n",
        "tenants/a/top.yaml": "t: 1\n",
        "tenants/a/big.yaml": "k: " + "v" * 200 + "\n",
        "tenants/a/empty.yaml": "",
        "releases/r.yaml": "r: 1\n",
        "instances/i.yaml": "i: 1\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    (root / "tenants/a/latin1.yaml").write_bytes(b"name: caf\xe9\n")
    (root / "tenants/a/dir.yaml").mkdir()
    (root / "tenants/a/dir.yaml/inner.yaml").write_text("d: 1\n")
    (root / "tenants/a/link.yaml").symlink_to(outside / "file.yaml")
    (root / "tenants/a/broken.yaml").symlink_to(outside / "missing.yaml")
    (root / "tenants/a/linked-dir").symlink_to(outside / "dir", target_is_directory=True)
    (root / "tenants/a/linked-dir.yaml").symlink_to(outside / "dir", target_is_directory=True)
    os.mkfifo(root / "tenants/b/pipe.yaml")


def test_scandir_reader_matches_the_os_walk_reader(tmp_path: Path) -> None:
    root, outside = tmp_path / "fleet", tmp_path / "outside"
    _hostile_tree(root, outside)
    limits = Limits(max_bytes=100)
    sources, problems = read_fleet(root, limits)
    expected_sources, expected_problems = _reference(root, limits)
    assert sources == expected_sources
    assert _short(problems) == expected_problems
    assert len(expected_sources) == 8 and len(expected_problems) == 7  # the tree exercises every branch
