"""Retention (design section 6.1) through the CLI: what the candidate no longer uses is kept until
schema_registry.retention_expires_at, then dropped by a cleanup run; nothing else is ever touched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import relc_contract as contract
from tests.migrate.helpers import provision_args

pytestmark = pytest.mark.postgres

DAY = 24 * 3600


def _cleanup(relc: Any, tenant: str, *in_use: str) -> Any:
    inv = contract.CleanupInvocation(
        tenant, in_use, schema_transition_seconds=30 * DAY, deprecated_versions_seconds=60 * DAY
    )
    return relc(*contract.cleanup_argv(inv))


def _until(entry: str) -> datetime:
    return datetime.strptime(entry.rsplit(" until ", 1)[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def test_a_country_downgrade_is_kept_for_the_schema_transition_then_dropped(relc: Any, pg: Any, tenant: str) -> None:
    main, de = contract.tenant_database(tenant), contract.tenant_database(tenant, "de")
    assert relc(*provision_args(tenant)).exit_code == 0
    assert relc(*provision_args(tenant, "entity-crm=entity", "payments-crm=payments", country="de")).exit_code == 0
    with pg.connect(main) as conn:
        conn.execute("CREATE SCHEMA hand_made")  # not relc's: never touched
    in_use = (f"{main}/auth", f"{main}/entity")  # crm became app-level, payments left the candidate
    started = datetime.now(UTC)
    run = _cleanup(relc, tenant, *in_use)
    assert run.exit_code == 0, run.output
    assert [e.split(" until ")[0] for e in run.summary["retained"]] == [
        f"{main}/payments", f"{de}/entity-crm", f"{de}/payments-crm",
    ]  # fmt: skip
    until = [_until(e) for e in run.summary["retained"]]
    assert started + timedelta(days=60) - timedelta(seconds=2) <= until[0] <= datetime.now(UTC) + timedelta(days=60)
    assert started + timedelta(days=30) - timedelta(seconds=2) <= until[1] <= datetime.now(UTC) + timedelta(days=30)
    assert run.summary["dropped_schemas"] == [] and run.summary["dropped_databases"] == []
    status = relc("status", "--tenant", tenant, "--json")
    assert status.output.count('"retention_expires_at": null') == 2  # auth and entity, in use
    again = _cleanup(relc, tenant, *in_use)  # a second run keeps the first expiry, it does not push it back
    assert again.summary["retained"] == run.summary["retained"]
    with pg.connect(de) as conn:  # time passes for the country database
        conn.execute("UPDATE relc.schema_registry SET retention_expires_at = now() - interval '1 second'")
    done = _cleanup(relc, tenant, *in_use, f"{main}/payments")  # and payments is back in the candidate
    assert done.exit_code == 0, done.output
    assert done.summary["dropped_schemas"] == [f"{de}/entity-crm", f"{de}/payments-crm"]
    assert done.summary["dropped_databases"] == [de] and done.summary["retained"] == []
    with pg.connect() as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (de,)).fetchone() is None
    with pg.connect(main) as conn:
        rows = conn.execute("SELECT schema_name, retention_expires_at FROM relc.schema_registry ORDER BY 1")
        assert rows.fetchall() == [("auth", None), ("entity", None), ("payments", None)]
        assert conn.execute("SELECT to_regnamespace('hand_made') IS NOT NULL").fetchone() == (True,)


def test_cleanup_refuses_another_tenants_database(relc: Any, tenant: str) -> None:
    run = _cleanup(relc, tenant, "tenant_someoneelse/auth")
    assert run.exit_code == 2
    assert run.summary["message"] == (
        f"database 'tenant_someoneelse' is not tenant {tenant!r}'s: its databases are "
        f"{contract.tenant_database(tenant)} and {contract.tenant_database(tenant)}_<country>"
    )
