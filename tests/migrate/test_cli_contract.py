"""The CLI parses exactly what the contract builds: the seam between the compiler and relc-migrate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

import relc_contract as contract
from relc_migrate.cli import cli, invocation_from_params, provision_invocation, tenant_invocation_from_params


def _parse(argv: tuple[str, ...]) -> tuple[str, dict[str, object]]:
    command = cli.commands[argv[0]]
    ctx = command.make_context(argv[0], list(argv[1:]))
    return argv[0], dict(ctx.params)


@pytest.mark.parametrize(
    "inv",
    [
        contract.MigrateInvocation("acme", "entity", "tenant_acme_de", ("entity-crm",), "1.2.0"),
        contract.MigrateInvocation(
            tenant="acme-corp", service="payments", database="tenant_acme_corp",
            schemas=("payments", "payments-crm"), desired_version="2.1.0",
            migrations_dir="/somewhere/payments", dependency_database="tenant_acme_corp",
            dry_run=True, backup_before_migration=True, backup_destination="s3://bucket/prefix",
            backup_timeout_seconds=120, backup_retries=4, lock_wait_seconds=2.5, slot_wait_seconds=60,
            lock_timeout_ms=1000, statement_timeout_ms=0, lock_retries=1,
        ),
    ],
)  # fmt: skip
def test_migrate_argv_round_trips(inv: contract.MigrateInvocation) -> None:
    name, params = _parse(contract.migrate_argv(inv))
    assert name == "migrate"
    desired = str(params.pop("desired_version"))
    parsed = invocation_from_params(params, desired)
    expected = inv if inv.migrations_dir else _with_default_dir(inv)
    assert parsed == expected


def _with_default_dir(inv: contract.MigrateInvocation) -> contract.MigrateInvocation:
    import dataclasses

    return dataclasses.replace(inv, migrations_dir=contract.default_migrations_dir(inv.service))


@pytest.mark.parametrize(
    "inv",
    [
        contract.TenantMigrateInvocation("acme", (contract.TenantStep("auth", "1.2.0", None, ("auth",)),)),
        contract.TenantMigrateInvocation(
            tenant="acme-corp",
            steps=(
                contract.TenantStep("payments", "2.1.0-rc.1+build.7", None, ("payments", "payments-crm"),
                                    backup=True),
                contract.TenantStep("entity", "1.2.0", "de", ("entity-crm",)),
            ),
            migrations_root="/somewhere", dry_run=True, backup_destination="s3://bucket/prefix",
            backup_timeout_seconds=120, backup_retries=4, lock_wait_seconds=2.5, slot_wait_seconds=60,
            lock_timeout_ms=1000, statement_timeout_ms=0, lock_retries=1,
        ),
    ],
)  # fmt: skip
def test_migrate_tenant_argv_round_trips(inv: contract.TenantMigrateInvocation) -> None:
    name, params = _parse(contract.migrate_tenant_argv(inv))
    assert name == "migrate-tenant"
    assert tenant_invocation_from_params(params) == inv


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("auth:main:auth", "step 'auth:main:auth' is not SERVICE@VERSION:main|COUNTRY:SCHEMA[,SCHEMA...][:backup]"),
        ("auth@1.2.0:main:auth:now", "step 'auth@1.2.0:main:auth:now' is not "
         "SERVICE@VERSION:main|COUNTRY:SCHEMA[,SCHEMA...][:backup]"),
        ("auth@v1.2.0:main:auth",
         "step 'auth@v1.2.0:main:auth': 'v1.2.0' is not a semantic version (e.g. 2.1.0)"),
        ("auth@1.2.0:main:relc", "schema 'relc' is reserved (reserved: information_schema, infra, public, relc)"),
        ("auth@1.2.0:main:auth,auth", "step 'auth@1.2.0:main:auth,auth' lists a schema twice"),
        ("auth@1.2.0:DE:auth", "step 'auth@1.2.0:DE:auth': 'DE' is neither 'main' nor a lower-case ISO 3166-1 "
         "alpha-2 code"),
        ('au"th@1.2.0:main:auth', "service 'au\"th' may only contain a-z, 0-9, '_' and '-' and must start with "
         "a letter or '_'"),
    ],
)  # fmt: skip
def test_a_malformed_step_is_refused_saying_why(text: str, message: str) -> None:
    with pytest.raises(contract.IdentifierError) as err:
        contract.parse_step(text)
    assert str(err.value) == message


def test_the_tenant_job_name_changes_with_any_step() -> None:
    step = (contract.TenantStep("auth", "1.2.0", None, ("auth",)),)
    newer = (contract.TenantStep("auth", "1.3.0", None, ("auth",)),)
    in_de = (contract.TenantStep("auth", "1.2.0", "de", ("auth",)),)
    runs = ((step, False), (newer, False), (in_de, False), (step, True))
    names = {contract.tenant_job_name("acme", steps, dry) for steps, dry in runs}
    assert len(names) == 4 and all(n.startswith("mig-acme-") and len(n) == len("mig-acme-") + 10 for n in names)


def test_provision_argv_round_trips() -> None:
    inv = contract.ProvisionInvocation("acme", "tenant_acme", ("auth", "entity-crm"), ("auth", "entity"))
    name, params = _parse(contract.provision_argv(inv))
    assert name == "provision"
    assert provision_invocation(params["tenant"], params["database"], params["schemas"]) == inv  # type: ignore[arg-type]


def test_deprovision_and_registry_sync_argv_round_trip() -> None:
    inv = contract.DeprovisionInvocation("acme", "tenant_acme", "retained", 3600, True)
    _, params = _parse(contract.deprovision_argv(inv))
    assert contract.DeprovisionInvocation(**params) == inv  # type: ignore[arg-type]
    sync = contract.RegistrySyncInvocation(("/work/registry/service_versions.json",))
    _, params = _parse(contract.registry_sync_argv(sync))
    assert contract.RegistrySyncInvocation(**params) == sync  # type: ignore[arg-type]
    sync = contract.RegistrySyncInvocation(("/work/registry/a-1-of-2.json", "/work/registry/a-2-of-2.json"))
    _, params = _parse(contract.registry_sync_argv(sync))
    assert contract.RegistrySyncInvocation(**params) == sync  # type: ignore[arg-type]


def test_cleanup_argv_round_trips() -> None:
    inv = contract.CleanupInvocation("acme", ("tenant_acme/auth", "tenant_acme_de/entity-crm"), 3600, 7200)
    _, params = _parse(contract.cleanup_argv(inv))
    assert contract.CleanupInvocation(**{**params, "in_use": tuple(params["in_use"])}) == inv  # type: ignore[arg-type]


def test_unknown_option_is_a_usage_error() -> None:
    with pytest.raises(click.UsageError):
        _parse(("migrate", "--tenant", "a", "--password", "x"))


def test_console_script_usage_errors_end_with_a_summary(tmp_path: Path) -> None:
    env = {**os.environ, "RELC_TERMINATION_LOG": str(tmp_path / "log")}
    proc = subprocess.run([sys.executable, "-m", "relc_migrate", "migrate", "--tenant", "x"],
                          capture_output=True, text=True, env=env)  # fmt: skip
    assert proc.returncode == 2
    assert "Missing option '--service'" in proc.stderr and "Traceback" not in proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary == {"command": "migrate", "outcome": "usage", "exit_code": 2, "duration_seconds": 0.0,
                       "message": "Missing option '--service'."}  # fmt: skip
    assert json.loads((tmp_path / "log").read_text()) == summary
    assert subprocess.run([sys.executable, "-m", "relc_migrate", "--help"], capture_output=True).returncode == 0
