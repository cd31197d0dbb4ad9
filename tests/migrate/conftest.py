"""A real, throwaway PostgreSQL server per pytest(-xdist) worker (see pgserver.py), and the CLI runner."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from relc_contract import RunSummary
from tests.migrate.fakekube import self_signed
from tests.migrate.pgserver import PgServer, start


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    try:
        server = start()
    except RuntimeError as err:
        pytest.fail(str(err))
    try:
        yield server
    finally:
        server.stop()


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
    undeclared = set(summary) - set(RunSummary.__annotations__)
    assert not undeclared, f"summary keys missing from contract.RunSummary: {sorted(undeclared)}"
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


@pytest.fixture(scope="session")
def kube_tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The fake Kubernetes API server's certificate (also the cluster CA a pod trusts) and key."""
    return self_signed(tmp_path_factory.mktemp("kube-tls"))
