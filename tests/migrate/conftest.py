"""A real, throwaway PostgreSQL server per pytest(-xdist) worker.

initdb refuses to run as root, so as root the server runs as an unprivileged user (``nobody``, or a dedicated
``relcpg`` user created on demand) in a fresh temporary directory chowned to it. It listens on a unix socket
in that directory only (no TCP port to collide on), with fsync off for speed, and is stopped at session end.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "migrations"


def _bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        return Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip())
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    pytest.fail("PostgreSQL server binaries not found (install the postgresql package)")


def _server_user() -> str | None:
    """None when not root; else an unprivileged user that may run initdb."""
    if os.geteuid() != 0:
        return None
    for name in ("nobody", "relcpg"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "relcpg"], check=True)
    return "relcpg"


@dataclass
class PgServer:
    """A running server: ``dsn()`` for the maintenance database, ``dsn(db)`` for any other."""

    root: Path
    socket_dir: Path
    bindir: Path
    user: str | None

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} port=5432 user=relc dbname={dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.dsn(dbname), autocommit=True)

    def pg_dump(self, dbname: str, *extra: str) -> str:
        """Plain-text schema+data dump, for "left exactly as it was" comparisons.

        pg_dump >= 15.14 wraps its output in ``\\restrict <random key>`` lines; they differ on every run.
        """
        cmd = [str(self.bindir / "pg_dump"), "--no-owner", *extra, self.dsn(dbname)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        return "".join(
            line
            for line in out.splitlines(keepends=True)
            if not line.startswith(("\\restrict", "\\unrestrict"))
        )


def _as_user(user: str | None, cmd: Sequence[str]) -> list[str]:
    return list(cmd) if user is None else ["runuser", "-u", user, "--", *cmd]


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    bindir = _bindir()
    user = _server_user()
    root = Path(tempfile.mkdtemp(prefix="relc-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if user is not None:
        os.chmod(root, 0o755)
        shutil.chown(root, user)
        shutil.chown(sock, user)
    subprocess.run(
        _as_user(user, [str(bindir / "initdb"), "-D", str(data), "-U", "relc", "--auth=trust", "-E", "UTF8",
                        "--no-sync", "--locale=C"]),
        check=True, capture_output=True,
    )  # fmt: skip
    options = (
        f"-c listen_addresses='' -c unix_socket_directories={sock} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB"
    )
    subprocess.run(
        _as_user(user, [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
                        "-w", "-t", "60", "start"]),
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield PgServer(root, sock, bindir, user)
    finally:
        subprocess.run(
            _as_user(user, [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Run:
    """One CLI run: exit code, the JSON summary (last stdout line) and the whole output."""

    exit_code: int
    summary: dict[str, object]
    output: str


@pytest.fixture
def cli_env(pg: PgServer, tmp_path: Path) -> dict[str, str]:
    """The environment a Job would get: credentials in files, an infra database, no termination log."""
    dsn_file = tmp_path / "db-dsn"
    dsn_file.write_text(pg.dsn())
    with pg.connect() as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = 'relc_infra'").fetchone() is None:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute("CREATE DATABASE relc_infra")
    infra_file = tmp_path / "infra-dsn"
    infra_file.write_text(pg.dsn("relc_infra"))
    return {
        "RELC_DB_DSN_FILE": str(dsn_file),
        "RELC_INFRA_DSN_FILE": str(infra_file),
        "RELC_TERMINATION_LOG": str(tmp_path / "termination-log"),
        "RELC_METRICS_FILE": str(tmp_path / "metrics.prom"),
        "RELC_JOB_NAME": "test-job",
        "RELC_IMAGE": "relc-migrate:test",
        "RELC_PG_DUMP": str(pg.bindir / "pg_dump"),
    }


def run_cli(args: Sequence[str], env: dict[str, str]) -> Run:
    """Run relc-migrate in-process through click, exactly as the console script would."""
    from relc_migrate.cli import cli

    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    summary = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    return Run(result.exit_code, summary, result.output)


@pytest.fixture
def relc(cli_env: dict[str, str]) -> Iterator[object]:
    """``relc(*args, **env_overrides)`` runs the CLI with the Job environment."""

    def invoke(*args: str, **env: str) -> Run:
        return run_cli(args, {**cli_env, **env})

    yield invoke


_counter = iter(range(1_000_000))


@pytest.fixture
def tenant(request: pytest.FixtureRequest) -> str:
    """A tenant name unique across tests and xdist workers (one server per worker, but be safe)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
    return f"t-{worker}-{next(_counter)}-{abs(hash(request.node.nodeid)) % 10_000}"
