"""apply and status against a real PostgreSQL, through the real CLI."""

from __future__ import annotations

from typing import Any

from relc_migrate import contract
from tests.migrate.helpers import migrate_args, provision_args


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
