"""Every exit code relc can return is listed, with one line each, in ``relc --help`` and the README's table."""

from __future__ import annotations

import errno
import io
import re

from click.testing import CliRunner

from compiler import app
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


def test_an_os_error_no_edge_translated_is_still_an_environment_failure_naming_its_path() -> None:
    """The handler's last resort for an OSError: exit 4 (not 2, the usage code), the path and reason, never '()'."""

    def failing() -> ExitCode:
        raise OSError(errno.EACCES, "Permission denied", "/srv/fleet/relc.yaml")

    err = io.StringIO()
    assert app.handle(failing, app.Console(io.StringIO(), err)) == 4
    assert err.getvalue() == (
        "relc: error: cannot access '/srv/fleet/relc.yaml': Permission denied [EACCES]\n"
        "  hint: The user running relc may not do this: check the path's owner and permissions.\n"
    )
