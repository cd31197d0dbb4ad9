"""relc-migrate's console script, as a Job runs it: stderr holds only what a person needs, metrics go only where
they are configured, ``--version`` names the package's version, and the shipped program carries no test hook.

No PostgreSQL: every run here stops before connecting (missing credentials, a click usage error, lint).
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import compiler
from tests.conftest import REPO

PROGRAM = Path(sys.executable).with_name("relc-migrate")
MIGRATE = ["migrate", "--tenant", "acme", "--service", "auth", "--database", "tenant_acme", "--schema", "auth",
           "--desired-version", "1.2.0", "--migrations-dir", str(REPO / "migrations" / "auth")]  # fmt: skip
NO_CREDENTIALS = (
    "relc-migrate: usage: no database credentials: set RELC_DB_DSN_FILE (path of a Vault-injected file) "
    "or RELC_DB_DSN\n"
)


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed console script in an environment with none of relc-migrate's variables but ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RELC_")}
    return subprocess.run(
        [str(PROGRAM), *args], cwd=cwd, env={**clean, "RELC_TERMINATION_LOG": "", **env},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_usage_error_without_metrics_configuration_prints_one_line_on_stderr(tmp_path: Path) -> None:
    proc = run(MIGRATE, tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == NO_CREDENTIALS
    assert sorted(tmp_path.iterdir()) == []


TARGET = MIGRATE[1:9] + MIGRATE[11:]  # --tenant ... --schema auth --migrations-dir ...


@pytest.mark.parametrize(
    "args",
    [
        ["rollback", *TARGET, "--to-version", "1.0.0"],
        ["retry", *TARGET],
        ["migrate", "--tenant", "acme"],
        ["lint", str(REPO / "migrations")],
    ],
    ids=["rollback-without-credentials", "retry-without-credentials", "click-usage-error", "lint"],
)
def test_no_prometheus_text_on_stderr_without_configuration(args: list[str], tmp_path: Path) -> None:
    proc = run(args, tmp_path)
    assert "# HELP" not in proc.stderr and "# TYPE" not in proc.stderr and "tenant_migration" not in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) <= 4  # at most click's usage text
    assert sorted(tmp_path.iterdir()) == []


def test_the_metrics_file_is_written_when_configured_and_stderr_stays_one_line(tmp_path: Path) -> None:
    proc = run(MIGRATE, tmp_path, RELC_METRICS_FILE=str(tmp_path / "metrics.prom"))
    assert proc.returncode == 2
    assert proc.stderr == NO_CREDENTIALS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.prom"]
    text = (tmp_path / "metrics.prom").read_text(encoding="utf-8")
    assert 'tenant_migration_total{cluster="none",outcome="usage",relc_instance="none"} 1.0' in text
    assert "# TYPE tenant_migration_duration_seconds histogram" in text


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    proc = run(["--version"], tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"relc-migrate, version {compiler.__version__}\n", "")
    assert metadata.version("relc") == compiler.__version__


def test_the_shipped_program_has_no_test_hook() -> None:
    """The kill tests pause runners through tests/migrate/paused_runner.py, outside the package."""
    sources = {p.name: p.read_text(encoding="utf-8") for p in (REPO / "relc_migrate").glob("*.py")}
    assert [name for name, text in sources.items() if "RELC_TEST" in text or "pg_sleep" in text] == []
