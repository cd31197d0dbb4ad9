"""Locks, slots, kill -9 and SIGTERM with real runner processes against the real server.

Kills land deterministically: a runner started with ``pause=FILE:N[:SECONDS]`` runs through the test-only
wrapper tests/migrate/paused_runner.py, which makes it sleep in the database (``SELECT pg_sleep``) after
statement N of FILE, and the test waits until it sees that sleep in pg_stat_activity before it kills. Nothing is
inferred from timing, and the shipped relc-migrate carries no test hook.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

import relc_contract as contract
from relc_migrate.slots import SLOT_NAMESPACE
from tests.conftest import REPO
from tests.migrate.helpers import migrate_args, provision_args, tenant_args

pytestmark = pytest.mark.postgres


def spawn(args: list[str], env: dict[str, str], *, pause: str | None = None, **extra: str) -> subprocess.Popen[str]:
    """A runner as its own process (``python -m relc_migrate``), like the Job's container; with ``pause``
    (``FILE:N[:SECONDS]``) through the pausing wrapper instead."""
    program = ["-m", "relc_migrate"] if pause is None else ["-m", "tests.migrate.paused_runner", pause]
    pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return subprocess.Popen(
        [sys.executable, *program, *args],
        env={**os.environ, **env, **extra, "PYTHONPATH": pythonpath},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def sleeping_in_db(pg: Any, database: str) -> Callable[[], bool]:
    """True once a runner of ``database`` is inside the hook's pg_sleep."""

    def check() -> bool:
        with pg.connect() as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
                "AND application_name LIKE 'relc-migrate:migrate:%%' AND query LIKE 'SELECT pg_sleep%%'",
                (database,),
            ).fetchone()
            return bool(row and row[0])

    return check


def summary_of(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, dict[str, Any], str]:
    out, err = proc.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return proc.returncode, (json.loads(lines[-1]) if lines else {}), err


def applied_counts(pg: Any, database: str, schema: str) -> dict[str, int]:
    with pg.connect(database) as conn:
        rows = conn.execute(
            "SELECT file, count(*) FROM relc.migration_history WHERE schema_name = %s AND direction = 'up' "
            "AND state = 'applied' GROUP BY file ORDER BY file",
            (schema,),
        ).fetchall()
    return {file: count for file, count in rows}


def test_two_runners_on_one_tenant_service(relc: Any, pg: Any, cli_env: dict[str, str], tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    db = contract.tenant_database(tenant)
    first = spawn(
        migrate_args(tenant, "auth", "1.2.0"), cli_env,
        pause="V1.1.0__01_create_sessions.sql:1:3", RELC_TERMINATION_LOG="",
    )  # fmt: skip
    wait_for(sleeping_in_db(pg, db), what="the first runner to hold the lock mid-file")
    second = relc(*migrate_args(tenant, "auth", "1.2.0", lock_wait_seconds=0.5))
    assert second.exit_code == 4
    assert second.summary["outcome"] == "locked"
    assert str(second.summary["message"]).startswith(f"skipped: locked: another runner holds the lock of {tenant}:auth")
    code, summary, err = summary_of(first)
    assert code == 0, err
    assert summary["applied"] == 5
    assert set(applied_counts(pg, db, "auth").values()) == {1}


def test_different_services_of_one_tenant_migrate_in_parallel(
    relc: Any, pg: Any, cli_env: dict[str, str], tenant: str
) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    db = contract.tenant_database(tenant)
    auth = spawn(
        migrate_args(tenant, "auth", "1.2.0"), cli_env,
        pause="V1.0.0__01_create_users.sql:1:3", RELC_TERMINATION_LOG="",
    )  # fmt: skip
    wait_for(sleeping_in_db(pg, db), what="auth's runner mid-file")
    payments = relc(*migrate_args(tenant, "payments", "2.2.0", lock_wait_seconds=0.5))
    assert payments.exit_code == 0, payments.output  # not blocked by auth's lock
    assert summary_of(auth)[0] == 0


def test_kill_9_during_a_transactional_file(relc: Any, pg: Any, cli_env: dict[str, str], tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    db = contract.tenant_database(tenant)
    runner = spawn(
        migrate_args(tenant, "auth", "1.2.0"), cli_env,
        pause="V1.2.0__01_add_tfa.sql:1", RELC_TERMINATION_LOG="",
    )  # fmt: skip
    wait_for(sleeping_in_db(pg, db), what="the runner inside V1.2.0__01_add_tfa.sql")
    runner.send_signal(signal.SIGKILL)
    runner.wait(10)
    with pg.connect(db) as conn:
        row = conn.execute("SELECT status FROM relc.schema_registry WHERE schema_name = 'auth'").fetchone()
        assert row == ("migrating",)
    run = relc(*migrate_args(tenant, "auth", "1.2.0"))
    assert run.exit_code == 0, run.output
    assert run.summary["recovered"] is True
    assert run.summary["schemas"][0]["applied"] == ["V1.2.0__01_add_tfa.sql", "init_data.sql"]
    assert applied_counts(pg, db, "auth") == {
        "V1.0.0__01_create_users.sql": 1, "V1.0.0__02_create_roles.sql": 1,
        "V1.1.0__01_create_sessions.sql": 1, "V1.2.0__01_add_tfa.sql": 1,
    }  # fmt: skip


def test_kill_9_during_a_no_transaction_file(relc: Any, pg: Any, cli_env: dict[str, str], tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    db = contract.tenant_database(tenant)
    runner = spawn(
        migrate_args(tenant, "payments", "2.1.0"), cli_env,
        pause="V2.1.0__02_index_booked_at.sql:1", RELC_TERMINATION_LOG="",
    )  # fmt: skip
    wait_for(sleeping_in_db(pg, db), what="the runner inside the no-transaction file")
    runner.send_signal(signal.SIGKILL)
    runner.wait(10)
    with pg.connect(db) as conn:
        row = conn.execute(
            "SELECT state, statements_applied FROM relc.migration_history WHERE file = 'V2.1.0__02_index_booked_at.sql'"
        ).fetchall()
        assert row == [("applying", 0)]  # the index was built, the progress was not recorded
    run = relc(*migrate_args(tenant, "payments", "2.1.0"))
    assert run.exit_code == 0, run.output
    assert run.summary["schemas"][0]["resumed"] == ["V2.1.0__02_index_booked_at.sql"]
    counts = applied_counts(pg, db, "payments")
    assert counts["V2.1.0__02_index_booked_at.sql"] == 1 and set(counts.values()) == {1}
    with pg.connect(db) as conn:
        indexes = conn.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = 'transactions_booked_at_idx'"
        ).fetchall()
        assert indexes == [(True,)]


def test_kill_9_during_create_index_concurrently_leaves_no_invalid_index(
    relc: Any, pg: Any, cli_env: dict[str, str], tenant: str, tmp_path: Path
) -> None:
    folder = tmp_path / "svc"
    folder.mkdir()
    (folder / "V1.0.0__01_t.sql").write_text("CREATE TABLE t (a int);\n-- ROLLBACK:\nDROP TABLE t;\n")
    (folder / "V1.1.0__01_idx.sql").write_text(
        "-- relc:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_a ON t (a);\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_slow ON t ((a + pg_sleep_hack(a)));\n"
        "-- ROLLBACK:\nDROP INDEX CONCURRENTLY IF EXISTS t_a_slow;\nDROP INDEX CONCURRENTLY IF EXISTS t_a;\n"
    )
    assert relc(*provision_args(tenant, "svc=svc")).exit_code == 0
    db = contract.tenant_database(tenant)
    assert relc(*migrate_args(tenant, "svc", "1.0.0", migrations_dir=folder)).exit_code == 0
    with pg.connect(db) as conn:  # an immutable function that sleeps: the index build takes seconds
        conn.execute(
            "CREATE FUNCTION svc.pg_sleep_hack(int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT 0 FROM pg_sleep(0.5)'"
        )
        conn.execute("INSERT INTO svc.t SELECT generate_series(1, 6)")
    runner = spawn(migrate_args(tenant, "svc", "1.1.0", migrations_dir=folder), cli_env, RELC_TERMINATION_LOG="")

    def building() -> bool:
        with pg.connect() as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND query LIKE 'CREATE INDEX%%t_a_slow%%'",
                (db,),
            ).fetchone()
            return bool(row and row[0])

    wait_for(building, what="CREATE INDEX CONCURRENTLY t_a_slow in progress")
    runner.send_signal(signal.SIGKILL)
    runner.wait(10)
    run = relc(*migrate_args(tenant, "svc", "1.1.0", migrations_dir=folder, lock_wait_seconds=20))
    assert run.exit_code == 0, run.output
    with pg.connect(db) as conn:
        rows = conn.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'svc' ORDER BY 1"
        ).fetchall()
    assert rows == [("t_a", True), ("t_a_slow", True)]
    assert applied_counts(pg, db, "svc") == {"V1.0.0__01_t.sql": 1, "V1.1.0__01_idx.sql": 1}


def test_sigterm_rolls_back_the_current_file_and_exits(
    relc: Any, pg: Any, cli_env: dict[str, str], tenant: str
) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    db = contract.tenant_database(tenant)
    runner = spawn(
        migrate_args(tenant, "auth", "1.2.0"), cli_env,
        pause="V1.2.0__01_add_tfa.sql:1", RELC_TERMINATION_LOG="",
    )  # fmt: skip
    wait_for(sleeping_in_db(pg, db), what="the runner inside V1.2.0__01_add_tfa.sql")
    started = time.monotonic()
    runner.send_signal(signal.SIGTERM)
    code, summary, err = summary_of(runner, timeout=30)
    assert time.monotonic() - started < 10  # well inside Kubernetes' default 30 s grace period
    assert code == 5, err
    assert summary["outcome"] == "interrupted"
    assert summary["message"] == ("interrupted by SIGTERM: the current file was rolled back and the lock released")
    with pg.connect(db) as conn:
        assert conn.execute("SELECT to_regclass('auth.tfa_secrets')").fetchone() == (None,)
        assert conn.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'auth' "
            "AND column_name = 'tfa_enabled'"
        ).fetchone() == (0,)
        status = conn.execute("SELECT status FROM relc.schema_registry WHERE schema_name = 'auth'").fetchone()
        assert status == ("pending",)
        applied = conn.execute(
            "SELECT file FROM relc.migration_history WHERE schema_name = 'auth' AND state = 'applied' ORDER BY id"
        ).fetchall()
    assert applied == [
        ("V1.0.0__01_create_users.sql",), ("V1.0.0__02_create_roles.sql",), ("V1.1.0__01_create_sessions.sql",)
    ]  # fmt: skip
    # the registry does not lag the history: the versions this interrupted run completed are recorded
    assert "auth                 auth         1.1.0      1.2.0      pending (interrupted; run again to continue)" in (
        relc("status", "--tenant", tenant).output
    )
    run = relc(*migrate_args(tenant, "auth", "1.2.0", lock_wait_seconds=0))  # the lock was released
    assert run.exit_code == 0, run.output
    assert run.summary["schemas"][0]["applied"] == ["V1.2.0__01_add_tfa.sql", "init_data.sql"]


class SlotSampler(threading.Thread):
    """Samples the number of granted slot locks in the infra database; keeps the peak.

    Slot locks are keys (SLOT_NAMESPACE, 0..N-1); the first runners' DDL try-lock is (SLOT_NAMESPACE, -1), an
    objid of 4294967295, and is not a slot: counting it made the peak read 4 when a late runner re-checked the
    tables while three others held slots.
    """

    def __init__(self, dsn: str) -> None:
        super().__init__(daemon=True)
        self.dsn, self.peak, self.samples, self.done = dsn, 0, 0, threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self.done.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s "
                    "AND objsubid = 2 AND objid::int8 < 2147483648 "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                    (SLOT_NAMESPACE,),
                ).fetchone()
                self.peak = max(self.peak, int(row[0]) if row else 0)
                self.samples += 1
                time.sleep(0.005)


def test_thirty_tenants_with_limit_three(pg: Any, cli_env: dict[str, str], tmp_path: Path, relc: Any) -> None:
    folder = tmp_path / "slow"
    folder.mkdir()
    (folder / "V1.0.0__01_slow.sql").write_text(
        "CREATE TABLE t (a int);\nSELECT pg_sleep(0.4);\n-- ROLLBACK:\nDROP TABLE t;\n"
    )
    with pg.connect() as conn:
        conn.execute("DROP DATABASE IF EXISTS relc_infra_limit")
        conn.execute("CREATE DATABASE relc_infra_limit")
    env = {**cli_env, "RELC_INFRA_DSN_FILE": "", "RELC_INFRA_DSN": pg.dsn("relc_infra_limit"),
           "RELC_CONCURRENCY_LIMIT": "3", "RELC_TERMINATION_LOG": ""}  # fmt: skip
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
    tenants = [f"lim-{worker}-{i}" for i in range(30)]
    for name in tenants:
        assert relc(*provision_args(name, "slow=slow")).exit_code == 0
    sampler = SlotSampler(pg.dsn("relc_infra_limit"))
    sampler.start()
    runners = [spawn(migrate_args(t, "slow", "1.0.0", migrations_dir=folder), env) for t in tenants]
    results = [summary_of(r, timeout=240) for r in runners]
    sampler.done.set()
    sampler.join()
    assert [code for code, _, _ in results] == [0] * 30, [err for _, _, err in results if err][:1]
    assert sampler.peak == 3, f"peak {sampler.peak} over {sampler.samples} samples"


def test_sigterm_while_queued_for_a_slot(relc: Any, pg: Any, cli_env: dict[str, str], tenant: str) -> None:
    with pg.connect() as conn:
        conn.execute("DROP DATABASE IF EXISTS relc_infra_queue")
        conn.execute("CREATE DATABASE relc_infra_queue")
    env = {**cli_env, "RELC_INFRA_DSN_FILE": "", "RELC_INFRA_DSN": pg.dsn("relc_infra_queue"),
           "RELC_CONCURRENCY_LIMIT": "1", "RELC_TERMINATION_LOG": ""}  # fmt: skip
    assert relc(*provision_args(tenant)).exit_code == 0
    holder = spawn(migrate_args(tenant, "auth", "1.0.0"), env, pause="V1.0.0__01_create_users.sql:1")
    wait_for(sleeping_in_db(pg, contract.tenant_database(tenant)), what="the slot holder mid-file")
    queued = spawn(migrate_args(tenant, "payments", "2.0.0"), env)

    def waiting() -> bool:
        with pg.connect("relc_infra_queue") as conn:
            row = conn.execute("SELECT count(*) FROM infra.migration_queue").fetchone()
            return bool(row and row[0])

    wait_for(waiting, what="the second runner in infra.migration_queue")
    started = time.monotonic()
    queued.send_signal(signal.SIGTERM)
    code, summary, err = summary_of(queued, timeout=30)
    assert code == 5 and summary["outcome"] == "interrupted", err
    assert time.monotonic() - started < 5
    holder.send_signal(signal.SIGTERM)
    assert summary_of(holder, timeout=30)[0] == 5


def test_a_killed_runner_frees_its_slot(relc: Any, pg: Any, cli_env: dict[str, str], tenant: str) -> None:
    with pg.connect() as conn:
        conn.execute("DROP DATABASE IF EXISTS relc_infra_killed")
        conn.execute("CREATE DATABASE relc_infra_killed")
    env = {
        "RELC_INFRA_DSN_FILE": "",
        "RELC_INFRA_DSN": pg.dsn("relc_infra_killed"),
        "RELC_CONCURRENCY_LIMIT": "1",
    }
    assert relc(*provision_args(tenant)).exit_code == 0
    holder = spawn(
        migrate_args(tenant, "auth", "1.0.0"), {**cli_env, **env},
        pause="V1.0.0__01_create_users.sql:1", RELC_TERMINATION_LOG="",
    )  # fmt: skip
    wait_for(sleeping_in_db(pg, contract.tenant_database(tenant)), what="the only slot's holder mid-file")
    blocked = relc(*migrate_args(tenant, "payments", "2.0.0", slot_wait_seconds=0.5), **env)
    assert blocked.exit_code == 4
    assert blocked.summary["message"] == "skipped: no migration slot (limit 1) freed within 0.5s"
    holder.send_signal(signal.SIGKILL)
    holder.wait(10)
    freed = relc(*migrate_args(tenant, "payments", "2.0.0", slot_wait_seconds=10), **env)
    assert freed.exit_code == 0, freed.output


def test_waiting_runners_get_slots_in_arrival_order_and_at_once(pg: Any) -> None:
    """Limit 1, held; five runners queue one after another; each release hands the slot to the next in line
    within a fraction of the old polling interval (a NOTIFY wakes it), in the order they arrived."""
    from relc_migrate import slots

    with pg.connect() as conn:
        conn.execute("DROP DATABASE IF EXISTS relc_infra_fifo")
        conn.execute("CREATE DATABASE relc_infra_fifo")
    order: list[int] = []
    handovers: list[float] = []
    released = [time.monotonic()]

    def runner(index: int) -> None:
        with psycopg.connect(pg.dsn("relc_infra_fifo"), autocommit=True) as conn:
            slot = slots.acquire_slot(conn, 1, f"fifo-{index}", "svc", None, 30)
            assert slot is not None
            handovers.append(time.monotonic() - released[0])
            order.append(index)
            time.sleep(0.05)
            released[0] = time.monotonic()
            slot.release()

    with psycopg.connect(pg.dsn("relc_infra_fifo"), autocommit=True) as holder:
        first = slots.acquire_slot(holder, 1, "holder", "svc", None, 5)
        assert first is not None
        threads = []
        for index in range(5):
            threads.append(threading.Thread(target=runner, args=(index,)))
            threads[-1].start()
            wait_for(lambda: _queued(holder) == len(threads), what=f"{index + 1} queued runners")
        released[0] = time.monotonic()
        first.release()
        for thread in threads:
            thread.join(60)
    assert order == [0, 1, 2, 3, 4]
    assert max(handovers) < slots.POLL_SECONDS, handovers


def _queued(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM infra.migration_queue").fetchone()
    return int(row[0]) if row else 0


def test_a_tenant_run_survives_sigterm_and_kill_9_in_its_second_step(
    relc: Any, pg: Any, cli_env: dict[str, str], tenant: str
) -> None:
    """migrate-tenant shares a database's connections across steps: a SIGTERM in payments (step 2) still rolls
    back the file and exits 5 naming the step; a kill -9 there is recovered by the next run, every file once."""
    assert relc(*provision_args(tenant)).exit_code == 0
    db = contract.tenant_database(tenant)
    args = tenant_args(tenant, "auth@1.2.0", "payments@2.2.0", "entity@1.2.0")
    runner = spawn(args, cli_env, pause="V2.1.0__01_add_external_ref.sql:1", RELC_TERMINATION_LOG="")
    wait_for(sleeping_in_db(pg, db), what="the runner inside payments' V2.1.0__01_add_external_ref.sql")
    runner.send_signal(signal.SIGTERM)
    code, summary, err = summary_of(runner, timeout=30)
    assert code == 5, err
    assert summary["message"] == (
        f"step 2 of 3 (payments in {db}): interrupted by SIGTERM: the current file was rolled back and the lock "
        "released"
    )
    assert [(s["service"], s["outcome"]) for s in summary["steps"]] == [("auth", "ok"), ("payments", "interrupted")]
    killed = spawn(args, cli_env, pause="V2.2.0__01_drop_balance_cache.sql:1", RELC_TERMINATION_LOG="")
    wait_for(sleeping_in_db(pg, db), what="the runner inside payments' V2.2.0__01_drop_balance_cache.sql")
    killed.kill()
    killed.wait(10)
    run = relc(*args)
    assert run.exit_code == 0, run.output
    assert run.summary["steps"][1]["schemas"][0]["applied"] == ["V2.2.0__01_drop_balance_cache.sql"]
    assert set(applied_counts(pg, db, "payments").values()) == {1}
    assert set(applied_counts(pg, db, "entity").values()) == {1}
