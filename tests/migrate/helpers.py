"""Shared helpers for the relc-migrate tests (imported by test modules; fixtures live in conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import relc_contract as contract

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "migrations"


def provision_args(tenant: str, *pairs: str, country: str | None = None) -> list[str]:
    """argv of provision for ``tenant`` with ``schema=service`` pairs (default: the three base services)."""
    inv = contract.ProvisionInvocation(
        tenant=tenant,
        database=contract.tenant_database(tenant, country),
        schemas=tuple(p.split("=")[0] for p in pairs or ("auth=auth", "entity=entity", "payments=payments")),
        services=tuple(p.split("=")[1] for p in pairs or ("auth=auth", "entity=entity", "payments=payments")),
    )
    return list(contract.provision_argv(inv))


def migrate_args(
    tenant: str,
    service: str,
    version: str,
    *,
    schemas: tuple[str, ...] | None = None,
    migrations_dir: Path | None = None,
    **options: object,
) -> list[str]:
    """argv of migrate, built with the contract exactly as the compiler does."""
    inv = contract.MigrateInvocation(
        tenant=tenant,
        service=service,
        database=contract.tenant_database(tenant),
        schemas=schemas or (service,),
        desired_version=version,
        migrations_dir=str(migrations_dir or EXAMPLES / service),
        lock_wait_seconds=float(options.pop("lock_wait_seconds", 5.0)),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )
    return list(contract.migrate_argv(inv))


def copy_service(tmp: Path, service: str, *, upto: str | None = None) -> Path:
    """A copy of an example service folder (optionally only files up to ``upto``) to edit."""
    target = tmp / "migrations" / service
    target.mkdir(parents=True)
    for path in sorted((EXAMPLES / service).iterdir()):
        if upto is not None and path.name.startswith("V") and path.name.split("__")[0][1:] > upto:
            continue
        shutil.copy(path, target / path.name)
    return target


def tenant_args(tenant: str, *steps: str, root: Path | None = None, **options: object) -> list[str]:
    """argv of migrate-tenant for ``service@version`` steps in the tenant's main database, built with the
    contract exactly as the compiler does."""
    inv = contract.TenantMigrateInvocation(
        tenant=tenant,
        steps=tuple(contract.parse_step(f"{step}:main:{step.split('@')[0]}") for step in steps),
        migrations_root=str(root or EXAMPLES),
        lock_wait_seconds=float(options.pop("lock_wait_seconds", 5.0)),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )
    return list(contract.migrate_tenant_argv(inv))
