"""apply and status against a real PostgreSQL, through the real CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest

import relc_contract as contract
from tests.migrate.helpers import migrate_args, provision_args

pytestmark = pytest.mark.postgres


def test_provision_then_migrate_then_status(relc: Any, pg: Any, tenant: str) -> None:
    run = relc(*provision_args(tenant))
    assert run.exit_code == 0, run.output
    assert run.summary["schemas_created"] == ["auth", "entity", "payments"]
    again = relc(*provision_args(tenant))
    assert again.exit_code == 0 and again.summary["schemas_existing"] == ["auth", "entity", "payments"]

    run = relc(*migrate_args(tenant, "auth", "1.2.0"))
    assert run.exit_code == 0, run.output
    assert run.summary["outcome"] == "ok"
    assert run.summary["applied"] == 5  # four files and init_data.sql
    db = contract.tenant_database(tenant)
    with pg.connect(db) as conn:
        cols = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'auth' "
            "AND table_name = 'users' ORDER BY ordinal_position"
        ).fetchall()
        assert [c[0] for c in cols] == ["id", "email", "created_at", "tfa_enabled"]
        roles = conn.execute("SELECT name FROM auth.roles ORDER BY name").fetchall()
        assert roles == [("admin",), ("member",)]

    again = relc(*migrate_args(tenant, "auth", "1.2.0"))
    assert again.exit_code == 0 and again.summary["applied"] == 0

    status = relc("status", "--tenant", tenant, "--json")
    assert status.exit_code == 0
    assert '"current_version": "1.2.0"' in status.output
    text = relc("status", "--tenant", tenant)
    assert "auth" in text.output and "complete" in text.output


def test_status_of_many_tenants(relc: Any, tenant: str) -> None:
    other = tenant + "-b"
    for name in (tenant, other):
        assert relc(*provision_args(name)).exit_code == 0
    assert relc(*migrate_args(other, "payments", "2.0.0")).exit_code == 0
    run = relc("status", "--tenant", tenant, "--tenant", other, "--database", "tenant_never_made", "--json")
    assert run.exit_code == 0 and run.summary["databases"] == 3
    document = json.loads(run.output.splitlines()[0])
    assert [d["database"] for d in document] == [
        contract.tenant_database(tenant),
        contract.tenant_database(other),
        "tenant_never_made",
    ]
    assert document[2]["provisioned"] is False
    payments = next(s for s in document[1]["schemas"] if s["schema"] == "payments")
    assert (payments["current_version"], payments["status"]) == ("2.0.0", "complete")
    everything = relc("status", "--all", "--service", "payments")
    assert contract.tenant_database(other) in everything.output
