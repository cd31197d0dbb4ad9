"""Hostile input through `relc validate`: every case is one clear diagnostic and exit 1, never a traceback.

The fleet repository takes pull requests, so its YAML is untrusted input: alias bombs, absurd nesting, huge files,
binary junk, code-running tags, symlinks out of the repository, and names that would escape a folder once they
become paths.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.load.cli import ACME, codes_at, diagnostics, run


def _write(root: Path, rel: str, content: str | bytes) -> None:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")


def _only(root: Path) -> dict[str, object]:
    code, found = diagnostics(root)
    assert code == 1
    assert len(found) == 1, found
    return found[0]


def test_alias_bomb_stops_at_the_node_limit(base_fleet: Path) -> None:
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        levels.append(f"a{i}: &a{i} [{refs}]")
    _write(base_fleet, ACME, "\n".join(levels) + "\n")
    d = _only(base_fleet)
    assert (d["file"], d["code"]) == (ACME, "RLC103")
    assert d["message"] == "more than 100000 values once aliases are expanded"


def test_hundred_thousand_deep_nesting_is_refused_not_a_crash(base_fleet: Path) -> None:
    _write(base_fleet, ACME, "[" * 100_000 + "]" * 100_000 + "\n")
    d = _only(base_fleet)
    assert (d["file"], d["line"], d["code"]) == (ACME, 1, "RLC103")
    assert d["message"] == "nesting deeper than 64 levels"


def test_file_over_one_mebibyte_is_refused_before_parsing(base_fleet: Path) -> None:
    _write(base_fleet, ACME, "# padding\n" * 110_000)
    d = _only(base_fleet)
    assert (d["file"], d["line"], d["code"]) == (ACME, 0, "RLC103")
    assert d["message"] == "file is 1100000 bytes, over the 1048576-byte limit"


def test_control_character_is_a_syntax_error_with_its_place(base_fleet: Path) -> None:
    text = (base_fleet / ACME).read_text().replace("ACME Corp", "ACME\x07Corp")
    _write(base_fleet, ACME, text)
    d = _only(base_fleet)
    assert (d["file"], d["line"], d["column"], d["code"]) == (ACME, 7, 20, "RLC101")
    assert d["message"] == "character U+0007 is not allowed in YAML: control characters are not allowed"


def test_nul_byte_in_the_file_is_a_syntax_error(base_fleet: Path) -> None:
    _write(base_fleet, ACME, (base_fleet / ACME).read_bytes().replace(b"acme\n", b"ac\x00me\n", 1))
    d = _only(base_fleet)
    assert (d["file"], d["line"], d["code"]) == (ACME, 5, "RLC101")


def test_non_utf8_bytes_name_the_line(base_fleet: Path) -> None:
    _write(base_fleet, ACME, (base_fleet / ACME).read_bytes().replace(b"ACME Corp", b"ACME \xe9 Corp"))
    d = _only(base_fleet)
    assert (d["file"], d["line"], d["code"]) == (ACME, 7, "RLC101")
    assert d["hint"] == "save the file as UTF-8"


@pytest.mark.parametrize(
    "tag",
    ["!!python/object:os.system", "!!python/object/apply:os.system", "!!python/name:os.system", "!custom"],
)
def test_code_running_and_custom_tags_are_refused(base_fleet: Path, tag: str) -> None:
    text = (base_fleet / ACME).read_text().replace("displayName: ACME Corp", f"displayName: {tag} [id]")
    _write(base_fleet, ACME, text)
    d = _only(base_fleet)
    assert (d["file"], d["line"], d["code"]) == (ACME, 7, "RLC103")
    assert str(d["message"]).startswith("unsupported tag ")


def test_symlinked_file_is_refused_and_not_followed(base_fleet: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text((base_fleet / ACME).read_text().replace("name: acme", "name: mallory"))
    (base_fleet / "tenants/arematics-prod/mallory.yaml").symlink_to(outside)
    d = _only(base_fleet)
    assert (d["file"], d["line"], d["code"]) == ("tenants/arematics-prod/mallory.yaml", 0, "RLC103")
    assert d["message"] == "the file is a symbolic link"


def test_symlinked_folder_is_not_walked(base_fleet: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "junk.yaml").write_text("{{{ not yaml")
    (base_fleet / "tenants/linked").symlink_to(outside, target_is_directory=True)
    result = run(base_fleet, "--strict")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", ["../../etc/passwd", "acme/evil", "..", '"ac\\0me"', '"ac\\nme"', "ACME"])
def test_tenant_names_that_would_escape_a_path_are_invalid_names(base_fleet: Path, name: str) -> None:
    text = (base_fleet / ACME).read_text().replace("name: acme\n", f"name: {name}\n", 1)
    _write(base_fleet, ACME, text)
    found = codes_at(base_fleet)
    assert f"{ACME}:5:RLC205" in found
    assert all(":RLC205" in f or ":RLC108" in f for f in found), found


def test_hostile_name_is_shown_escaped_in_text_output(base_fleet: Path) -> None:
    text = (base_fleet / ACME).read_text().replace("name: acme\n", 'name: "ac\\0me"\n', 1)
    _write(base_fleet, ACME, text)
    result = run(base_fleet)
    assert result.exit_code == 1
    assert "\x00" not in result.output
    assert "'ac\\x00me' is not a DNS-1123 label" in result.output


def test_file_name_with_an_escape_character_is_shown_escaped(base_fleet: Path) -> None:
    (base_fleet / ACME).rename(base_fleet / "tenants/arematics-prod/ac\x1b[2Jme.yaml")
    result = run(base_fleet, "--strict")
    assert result.exit_code == 1
    assert "\x1b" not in result.output
    assert "tenants/arematics-prod/ac\\x1b[2Jme.yaml:5:9: warning RLC108 file-name" in result.output


def test_named_pipe_is_refused_not_read(base_fleet: Path) -> None:
    """Reading a FIFO blocks until someone writes to it: relc must never open one."""
    os.mkfifo(base_fleet / "tenants/arematics-prod/pipe.yaml")
    d = _only(base_fleet)
    assert (d["file"], d["line"], d["code"]) == ("tenants/arematics-prod/pipe.yaml", 0, "RLC103")
    assert d["message"] == "not a regular file (a named pipe, socket or device)"
