"""migrate-tenant through the CLI against the real server: one process, steps in order, stop at the first
failure, and a run with nothing to do takes no slot and writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import relc_contract as contract
from tests.migrate.helpers import copy_service, provision_args, tenant_args

pytestmark = pytest.mark.postgres

ALL = ("auth@1.2.0", "payments@2.2.0", "entity@1.2.0")


def _registry(pg: Any, tenant: str) -> list[tuple[Any, ...]]:
    with pg.connect(contract.tenant_database(tenant)) as conn:
        return [
            tuple(row)
            for row in conn.execute(
                "SELECT schema_name, current_version, status, to_char(last_migrated_at, 'HH24:MI:SS.US') "
                "FROM relc.schema_registry ORDER BY schema_name"
            ).fetchall()
        ]


def test_one_process_migrates_every_step_in_order(relc: Any, pg: Any, tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    run = relc(*tenant_args(tenant, *ALL))
    assert run.exit_code == 0, run.output
    assert run.summary["outcome"] == "ok"
    assert run.summary["noop"] is False
    steps: Any = run.summary["steps"]
    assert [(s["service"], s["outcome"]) for s in steps] == [("auth", "ok"), ("payments", "ok"), ("entity", "ok")]
    assert run.summary["applied"] == 5 + 5 + 3  # auth's 4 files and init_data, payments' 5, entity's 3
    assert [(r[0], r[1], r[2]) for r in _registry(pg, tenant)] == [
        ("auth", "1.2.0", "complete"),
        ("entity", "1.2.0", "complete"),
        ("payments", "2.2.0", "complete"),
    ]


def test_a_no_op_run_takes_no_slot_and_writes_nothing(relc: Any, pg: Any, tenant: str) -> None:
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*tenant_args(tenant, *ALL)).exit_code == 0
    before = _registry(pg, tenant)
    # a limit of 1 whose only slot is held by someone else: a run that needed a slot would time out (exit 4)
    with pg.connect("relc_infra") as holder:
        holder.execute("SELECT pg_advisory_lock(%s, 0)", (0x72656C65,))
        run = relc(*tenant_args(tenant, *ALL, slot_wait_seconds=0.2), RELC_CONCURRENCY_LIMIT="1")
        older = relc(*tenant_args(tenant, "auth@1.1.0", slot_wait_seconds=0.2), RELC_CONCURRENCY_LIMIT="1")
    assert older.summary["message"] == "skipped: no migration slot (limit 1) freed within 0.2s"  # work needs one
    assert (run.exit_code, run.summary["outcome"], run.summary["noop"], run.summary["steps"]) == (0, "ok", True, [])
    assert _registry(pg, tenant) == before  # last_migrated_at included: nothing was rewritten


def test_the_first_failing_step_stops_the_run(relc: Any, pg: Any, tenant: str, tmp_path: Path) -> None:
    """entity needs auth >= 1.2.0: listed first, it is blocked, and auth never runs."""
    assert relc(*provision_args(tenant)).exit_code == 0
    run = relc(*tenant_args(tenant, "entity@1.2.0", "auth@1.2.0", "payments@2.2.0"))
    assert run.exit_code == int(contract.ExitCode.BLOCKED), run.output
    assert run.summary["steps"] == [
        {"service": "entity", "database": contract.tenant_database(tenant), "to_version": "1.2.0", "outcome": "blocked"}
    ]
    assert run.summary["steps_total"] == 3
    message = str(run.summary["message"])
    assert message.startswith(f"step 1 of 3 (entity in {contract.tenant_database(tenant)}): blocked: requires auth")
    assert [(r[0], r[1], r[2]) for r in _registry(pg, tenant)] == [
        ("auth", None, "pending"),
        ("entity", None, "blocked"),
        ("payments", None, "pending"),
    ]


def test_a_drifted_file_is_refused_even_when_there_is_nothing_to_do(
    relc: Any, pg: Any, tenant: str, tmp_path: Path
) -> None:
    root = tmp_path / "migrations"
    for service in ("auth", "payments", "entity"):
        copy_service(tmp_path, service)
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*tenant_args(tenant, *ALL, root=root)).exit_code == 0
    edited = root / "auth" / "V1.0.0__01_create_users.sql"
    edited.write_text(edited.read_text() + "\n-- edited\n")
    run = relc(*tenant_args(tenant, *ALL, root=root))
    assert run.exit_code == int(contract.ExitCode.USAGE)
    assert str(run.summary["message"]).startswith(
        "drift: auth/V1.0.0__01_create_users.sql changed after it was applied"
    )


def test_a_bad_step_is_a_usage_error(relc: Any, tenant: str) -> None:
    args = tenant_args(tenant, "auth@1.2.0")
    args[args.index("--step") + 1] = "auth@1.2:main:auth"
    run = relc(*args)
    assert run.exit_code == 2
    assert "'1.2' is not a semantic version" in run.output
