"""The Job contract is pure and stable: names, identifiers and Job names the compiler renders."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import relc_contract as contract


def test_contract_imports_without_side_effects() -> None:
    code = "import sys, relc_contract; print(sorted(m for m in ('psycopg', 'click', 'pglast') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_database_and_schema_names() -> None:
    assert contract.tenant_database("acme-corp") == "tenant_acme_corp"
    assert contract.tenant_database("acme", "de") == "tenant_acme_de"
    assert contract.service_schema("entity", "crm") == "entity-crm"
    assert contract.service_schema("auth") == "auth"


@pytest.mark.parametrize(
    "tenant",
    ['x"; DROP DATABASE postgres; --', "Acme", "-acme", "a" * 64, "acme\x00", "acme\n", ""],
)
def test_hostile_tenant_names_are_rejected(tenant: str) -> None:
    with pytest.raises(contract.IdentifierError, match="is not a DNS-1123 label"):
        contract.tenant_database(tenant)


def test_identifier_too_long_message() -> None:
    with pytest.raises(contract.IdentifierError) as err:
        contract.validate_identifier("s" * 64, "schema")
    assert str(err.value) == (
        "schema 'ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss' is 64 bytes; PostgreSQL "
        "names are at most 63 bytes (longer ones are truncated silently and could collide)"
    )


def test_reserved_schema() -> None:
    with pytest.raises(contract.IdentifierError, match="reserved"):
        contract.service_schema("relc")


def test_job_name_is_dns1123_bounded_and_changes_with_version() -> None:
    a = contract.job_name("migrate", "a-very-long-tenant-name-" * 3, "payments", "2.1.0")
    b = contract.job_name("migrate", "a-very-long-tenant-name-" * 3, "payments", "2.2.0")
    assert a != b
    for name in (a, b):
        assert len(name) <= 63
        assert re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", name)
    once = contract.job_name("migrate", "acme", "auth", "1.0.0")
    assert once == contract.job_name("migrate", "acme", "auth", "1.0.0")


def test_init_container_command_copies_into_the_mount() -> None:
    expected = ("cp", "-R", "/migrations/auth", "/work/migrations/auth")
    assert contract.init_container_command("auth") == expected


def test_job_environment_holds_paths_not_secrets() -> None:
    env = dict(contract.job_environment(job_name="mig-acme-auth-1", image="relc-migrate:0.1.0"))
    assert env["RELC_DB_DSN_FILE"] == "/vault/secrets/tenant-db-dsn"
    assert env["RELC_CONCURRENCY_LIMIT"] == "3"
    assert "RELC_DB_DSN" not in env
