"""Every exit code relc can return is listed, with one line each, in ``relc --help`` and the README's table."""

from __future__ import annotations

import re

from click.testing import CliRunner

from compiler.cli import main
from compiler.diagnostics import ExitCode
from tests.conftest import REPO


def test_relc_help_lists_every_exit_code() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = [int(n) for n in re.findall(r"^    (\d)  \S", result.stdout, re.MULTILINE)]
    assert listed == [int(code) for code in ExitCode]
    assert "    4  environment failure: a read or write the machine refused" in result.stdout


def test_the_readme_table_lists_every_exit_code() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## CLI reference") : text.index("## The fleet: input reference")]
    rows = [int(n) for n in re.findall(r"^\| \*\*(\d)\*\* \| ", section, re.MULTILINE)]
    assert rows == [int(code) for code in ExitCode]
