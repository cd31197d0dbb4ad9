"""status of one tenant database or many: the schema registry rows, read without any lock."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from relc_contract import database_name, refuse_system_database, validate_tenant
from relc_migrate import db, ownership, state
from relc_migrate.errors import DatabaseError
from relc_migrate.runtime import Runtime


@dataclass
class DatabaseStatus:
    database: str
    provisioned: bool
    rows: list[state.RegistryRow] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "database": self.database,
            "provisioned": self.provisioned,
            "schemas": [r.as_json() for r in self.rows],
        }


def tenant_databases(rt: Runtime) -> list[str]:
    """Every database that looks like a tenant's (``tenant_%``), for ``status --all``."""
    with db.connect(rt.dsn, None, "status") as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'tenant\\_%' ORDER BY datname"
        ).fetchall()
    return [r[0] for r in rows]


def databases_of_tenant(rt: Runtime, tenant: str) -> list[str]:
    """The tenant's main database and every country database whose ownership record names the tenant.

    A name alone is not enough: ``tenant_acme_de`` is tenant ``acme-de``'s main database or tenant ``acme``'s
    ``de`` database, and only the record inside it says which.
    """
    main = database_name(validate_tenant(tenant))
    pattern = re.compile(re.escape(main) + "_[a-z]{2}")
    with db.connect(rt.dsn, None, "status") as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s AND NOT datistemplate AND datallowconn "
            "ORDER BY datname",
            (main.replace("_", "\\_") + "\\_%",),
        ).fetchall()
    countries = []
    for (name,) in rows:
        if not pattern.fullmatch(name):
            continue
        with db.connect(rt.dsn, name, "status") as conn:
            owner = ownership.recorded_owner(conn)
        if owner is not None and owner.tenant == tenant and owner.database == name:
            countries.append(name)
    return [main, *countries]


def database_status(rt: Runtime, database: str, service: str | None) -> DatabaseStatus:
    refuse_system_database(database)
    try:
        conn = db.connect(rt.dsn, database, "status")
    except DatabaseError as err:
        if "does not exist" in str(err):
            return DatabaseStatus(database, provisioned=False)
        raise
    with conn:
        ownership.refuse_special(conn, database, db.maintenance_database(rt.dsn))
        present = conn.execute("SELECT to_regclass('relc.schema_registry') IS NOT NULL").fetchone()
        if not (present and present[0]):
            return DatabaseStatus(database, provisioned=False)
        return DatabaseStatus(database, True, state.registry_rows(conn, service))


def render_text(statuses: list[DatabaseStatus]) -> str:
    header = f"{'DATABASE':<28} {'SCHEMA':<20} {'SERVICE':<12} {'CURRENT':<10} {'DESIRED':<10} STATUS"
    lines = [header]
    for st in statuses:
        if not st.provisioned:
            lines.append(f"{st.database:<28} {'-':<20} {'-':<12} {'-':<10} {'-':<10} not provisioned")
        for r in st.rows:
            reason = f" ({r.status_reason})" if r.status_reason else ""
            lines.append(
                f"{st.database:<28} {r.schema_name:<20} {r.service:<12} {r.current_version or '-':<10} "
                f"{r.desired_version or '-':<10} {r.status}{reason}"
            )
    return "\n".join(lines)
