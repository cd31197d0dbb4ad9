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
from relc_migrate.cli import cli, invocation_from_params, provision_invocation


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
