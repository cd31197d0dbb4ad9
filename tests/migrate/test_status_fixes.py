"""What status shows must be what happened: country databases, untouched no-ops, versions that never lag the
history, and a SIGTERM during start-up that still ends with exit 5 and the summary. Real server, through the CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import relc_contract as contract
from tests.migrate.helpers import migrate_args, provision_args
from tests.migrate.test_concurrency import summary_of

pytestmark = pytest.mark.postgres


def test_status_of_a_tenant_includes_its_country_databases(relc: Any, tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*provision_args(tenant, "entity-crm=entity", country="de")).exit_code == 0
    assert relc(*provision_args(tenant + "-fr", "auth=auth")).exit_code == 0  # "<t>_fr", another tenant's
    run = relc("status", "--tenant", tenant, "--json")
    assert run.exit_code == 0, run.output
    document = json.loads(run.output.splitlines()[0])
    assert [(d["database"], [s["schema"] for s in d["schemas"]]) for d in document] == [
        (contract.tenant_database(tenant), ["auth", "entity", "payments"]),
        (contract.tenant_database(tenant, "de"), ["entity-crm"]),
    ]
    assert run.summary["databases"] == 2


def _registry(pg: Any, tenant: str, schema: str) -> tuple[Any, ...]:
    with pg.connect(contract.tenant_database(tenant)) as conn:
        row = conn.execute(
            "SELECT current_version, status, last_migrated_at, updated_at FROM relc.schema_registry "
            "WHERE schema_name = %s",
            (schema,),
        ).fetchone()
    assert row is not None
    return tuple(row)


def test_a_no_op_run_writes_nothing(relc: Any, pg: Any, tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*migrate_args(tenant, "auth", "1.1.0")).exit_code == 0
    before = _registry(pg, tenant, "auth")
    assert before[:2] == ("1.1.0", "complete")
    again = relc(*migrate_args(tenant, "auth", "1.1.0"))
    assert again.exit_code == 0, again.output
    assert (again.summary["applied"], again.summary["rolled_back"]) == (0, 0)
    assert _registry(pg, tenant, "auth") == before


def _sigterm_blocked(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    mask = next(line.split()[1] for line in status.splitlines() if line.startswith("SigBlk:"))
    return bool(int(mask, 16) & (1 << (signal.SIGTERM - 1)))


def test_sigterm_during_start_up_exits_5_with_the_summary(cli_env: dict[str, str], tenant: str) -> None:
    program = Path(sys.executable).parent / contract.PROGRAM  # the installed console script, as in the image
    runner = subprocess.Popen(
        [str(program), *provision_args(tenant)],
        env={**cli_env, "RELC_TERMINATION_LOG": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 10
    while not _sigterm_blocked(runner.pid):  # the entry point holds SIGTERM back while it imports
        assert runner.poll() is None and time.monotonic() < deadline, "SIGTERM was never blocked in start-up"
    runner.send_signal(signal.SIGTERM)
    code, summary, err = summary_of(runner, timeout=30)
    assert code == 5, err
    assert summary["outcome"] == "interrupted" and summary["command"] == "provision"
    assert summary["message"] == "interrupted by SIGTERM during start-up: nothing was done"
    assert err == "relc-migrate: interrupted by SIGTERM during start-up: nothing was done\n"
