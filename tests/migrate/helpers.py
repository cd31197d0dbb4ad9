"""Shared helpers for the relc-migrate tests (imported by test modules; fixtures live in conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def add_random_table(pg: Any, tenant: str, size: int) -> None:
    """``auth.bulk``: ``size`` random (incompressible) bytes in the tenant's database, for dumps of many parts."""
    with pg.connect(contract.tenant_database(tenant)) as conn:
        conn.execute("CREATE TABLE auth.bulk (b bytea)")
        with conn.cursor().copy("COPY auth.bulk (b) FROM STDIN") as copy:
            for _ in range(size // 65536):
                copy.write_row((os.urandom(65536),))


def fake_pg_dump(tmp: Path, pg: Any, body: str) -> Path:
    """A pg_dump that reports the real version and then runs ``body`` (a shell snippet) instead of dumping."""
    fake = tmp / "pg_dump"
    fake.write_text(f'#!/bin/sh\nif [ "$1" = --version ]; then exec {pg.bindir / "pg_dump"} --version; fi\n{body}\n')
    fake.chmod(0o755)
    return fake


def auth_at_1_2(pg: Any, tenant: str) -> bool:
    """Whether auth 1.2.0 (its tfa_secrets table) was applied: the migration a failed backup must hold back."""
    with pg.connect(contract.tenant_database(tenant)) as conn:
        row = conn.execute("SELECT to_regclass('auth.tfa_secrets') IS NOT NULL").fetchone()
        return row is not None and row[0] is True


def sigterm_mid_upload(argv: list[str], env: dict[str, str], sent: Callable[[], bool]) -> tuple[int, dict[str, Any]]:
    """Run relc-migrate ``argv`` as a real process, SIGTERM it (only it, as Kubernetes does) once ``sent()`` says
    its upload has sent a part, and return its exit code and JSON summary."""
    runner = subprocess.Popen([sys.executable, "-m", "relc_migrate", *argv], env=env, cwd=REPO, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not sent():
            assert runner.poll() is None and time.monotonic() < deadline, "the upload never sent a part"
            time.sleep(0.1)
        runner.send_signal(signal.SIGTERM)
        out, err = runner.communicate(timeout=30)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert out, err
    summary: dict[str, Any] = json.loads(out.splitlines()[-1])
    return runner.returncode, summary
