"""The relc-migrate command line: click options -> a frozen invocation -> one core call -> an exit code.

This is the only module that reads the environment, installs the SIGTERM handler, prints the one-line JSON
summary and maps typed errors to the documented exit codes; nothing below imports click. The options of
``migrate``/``provision``/``deprovision``/``registry-sync`` parse exactly what ``contract.*_argv`` produce.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

import relc_contract as contract
from relc_contract import ExitCode, IdentifierError
from relc_migrate.errors import Interrupted, RelcMigrateError, UsageError
from relc_migrate.findings import MigrationFilesError

if TYPE_CHECKING:  # imported when a command runs: --version and --help load neither psycopg nor prometheus_client
    from relc_migrate.credentials import CredentialsResult
    from relc_migrate.kube import InCluster
    from relc_migrate.metrics import Metrics
    from relc_migrate.migrate import Mode
    from relc_migrate.runtime import Runtime
    from relc_migrate.vault import SecretStore, VaultConfig

log = logging.getLogger("relc_migrate")
TERMINATION_LOG_LIMIT = 4096

# --- environment ----------------------------------------------------------------------------------------


def _secret(env: Mapping[str, str], file_var: str, value_var: str) -> str | None:
    path = env.get(file_var)
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as err:
            raise UsageError(f"cannot read {file_var} ({path}): {err.strerror}") from None
    return env.get(value_var) or None


def _kube(env: Mapping[str, str]) -> tuple[InCluster | None, str | None]:
    """The in-cluster API configuration (only when RELC_KUBE_API is set: nothing else imports http.client or
    ssl), or why it is unusable."""
    if not env.get(contract.ENV_KUBE_API):
        return None, None
    from relc_migrate.kube import KubeConfigError, in_cluster

    try:
        return in_cluster(env), None
    except KubeConfigError as err:
        return None, str(err)


def read_runtime(env: Mapping[str, str]) -> Runtime:
    """The run's credentials and identity from the (Vault-injected) environment; never from arguments."""
    from relc_migrate.runtime import Runtime

    dsn = _secret(env, contract.ENV_DB_DSN_FILE, contract.ENV_DB_DSN)
    if not dsn:
        raise UsageError(
            f"no database credentials: set {contract.ENV_DB_DSN_FILE} (path of a Vault-injected file) "
            f"or {contract.ENV_DB_DSN}"
        )
    limit_text = env.get(contract.ENV_CONCURRENCY_LIMIT) or str(contract.DEFAULT_CONCURRENCY_LIMIT)
    if not limit_text.isdigit() or int(limit_text) < 1:
        raise UsageError(f"{contract.ENV_CONCURRENCY_LIMIT} must be a positive integer, not {limit_text!r}")
    kube, kube_problem = _kube(env)
    return Runtime(
        kube=kube,
        kube_problem=kube_problem,
        dsn=dsn,
        infra_dsn=_secret(env, contract.ENV_INFRA_DSN_FILE, contract.ENV_INFRA_DSN),
        concurrency_limit=int(limit_text),
        job=env.get(contract.ENV_JOB_NAME) or None,
        image=env.get(contract.ENV_IMAGE) or None,
        cluster=env.get(contract.ENV_CLUSTER) or None,
        pg_dump=env.get(contract.ENV_PG_DUMP) or "pg_dump",
    )


def read_vault_config(env: Mapping[str, str]) -> VaultConfig | None:
    """Where the tenant secrets are kept (provision, rotate-credentials); None when RELC_VAULT_ADDR is unset."""
    from relc_migrate.vault import VaultConfig

    address = env.get(contract.ENV_VAULT_ADDR)
    if not address:
        return None
    prefix = env.get(contract.ENV_VAULT_PATH_PREFIX)
    if not prefix:
        raise UsageError(f"{contract.ENV_VAULT_ADDR} is set but {contract.ENV_VAULT_PATH_PREFIX} is not")
    return VaultConfig(
        address=address,
        path_prefix=prefix,
        namespace=env.get(contract.ENV_VAULT_NAMESPACE) or None,
        role=env.get(contract.ENV_VAULT_ROLE) or contract.VAULT_ROLE,
        auth_mount=env.get(contract.ENV_VAULT_AUTH_MOUNT) or contract.DEFAULT_VAULT_AUTH_MOUNT,
        service_account_token_file=env.get(contract.ENV_VAULT_SA_TOKEN_FILE) or contract.SERVICE_ACCOUNT_TOKEN_PATH,
        token_file=env.get(contract.ENV_VAULT_TOKEN_FILE) or None,
        ca_cert=env.get(contract.ENV_VAULT_CACERT) or None,
    )


# --- the summary and the single error handler ---------------------------------------------------------


@dataclass
class Outcome:
    """What one command produced: the summary's fields (exit code and outcome are added by the handler)."""

    fields: dict[str, Any] = field(default_factory=dict)
    exit_code: ExitCode = ExitCode.OK
    outcome: str = "ok"


def _termination_path(env: Mapping[str, str]) -> Path | None:
    configured = env.get(contract.ENV_TERMINATION_LOG)
    if configured is not None:
        return Path(configured) if configured else None
    default = Path(contract.TERMINATION_LOG_PATH)
    return default if default.is_file() else None  # Kubernetes mounts it; never create it in /dev locally


def emit_summary(summary: dict[str, Any], env: Mapping[str, str]) -> None:
    """Print the one-line JSON summary last on stdout and write it to the termination log (<= 4 KiB)."""
    line = json.dumps(summary, sort_keys=True, separators=(",", ":"), default=str)
    click.echo(line)
    path = _termination_path(env)
    if path is None or not path.parent.is_dir():
        return
    if len(line.encode()) > TERMINATION_LOG_LIMIT:
        short = {k: v for k, v in summary.items() if k not in ("schemas", "findings")}
        short["message"] = str(short.get("message", ""))[:1000]
        line = json.dumps(short, sort_keys=True, separators=(",", ":"), default=str)
    try:
        path.write_text(line + "\n", encoding="utf-8")
    except OSError as err:
        log.warning("cannot write the termination message to %s: %s", path, err.strerror)


def _error_outcome(err: BaseException) -> tuple[ExitCode, str, str]:
    import psycopg

    if isinstance(err, RelcMigrateError):
        return err.exit_code, err.outcome, str(err)
    if isinstance(err, MigrationFilesError):
        return ExitCode.USAGE, "usage", f"{len(err.findings)} problem(s) in the migrations folder"
    if isinstance(err, IdentifierError):
        return ExitCode.USAGE, "usage", str(err)
    if isinstance(err, psycopg.Error):
        return ExitCode.FAILED, "failed", f"database error ({type(err).__name__}): {str(err).strip()}"
    if isinstance(err, OSError):  # e.g. an unwritable --diff-json path: reported, not a traceback
        return ExitCode.FAILED, "failed", f"{err.strerror or err}: {err.filename or ''}".rstrip(": ")
    raise err


@contextmanager
def sigterm_to(stop: Callable[[], None]) -> Iterator[None]:
    """Route SIGTERM to ``stop`` for the block (restored after, so in-process callers are unaffected).

    Then unblock it: ``entry.main`` blocks SIGTERM during start-up, and one that arrived meanwhile is delivered
    here, to ``stop`` (CPython runs the handler before pthread_sigmask returns).
    """
    try:
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop())
    except ValueError:  # not the main thread: no handler, the Job still gets SIGKILL after the grace period
        yield
        return
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_command(
    command: str,
    body: Callable[[Runtime, Metrics], Outcome],
    *,
    base: dict[str, Any] | None = None,
    needs_db: bool = True,
    migration_labels: tuple[str, str, str] | None = None,
) -> None:
    """Run one command body with the single error handler, the summary, metrics and the SIGTERM route."""
    import psycopg

    from relc_migrate.metrics import Metrics
    from relc_migrate.runtime import Runtime

    env = os.environ
    started = time.monotonic()
    summary: dict[str, Any] = {"command": command, **(base or {})}
    metrics = Metrics(env.get(contract.ENV_CLUSTER), env.get(contract.ENV_INSTANCE))
    try:
        rt = read_runtime(env) if needs_db else Runtime(dsn="")
        with sigterm_to(rt.stop.request):
            if rt.stop.requested:  # a SIGTERM held back during start-up: stop before any work
                raise Interrupted("interrupted by SIGTERM during start-up: nothing was done")
            result = body(rt, metrics)
        summary.update(result.fields)
        code, outcome = result.exit_code, result.outcome
    except (RelcMigrateError, MigrationFilesError, IdentifierError, psycopg.Error, OSError) as err:
        code, outcome, message = _error_outcome(err)
        if isinstance(err, MigrationFilesError):
            for finding in err.findings:
                click.echo(finding.render(), err=True)
        prefix = "" if message.startswith(outcome) else f"{outcome}: "
        click.echo(f"relc-migrate: {prefix}{message}", err=True)
        summary["message"] = message
    summary.update(outcome=outcome, exit_code=int(code), duration_seconds=round(time.monotonic() - started, 3))
    if migration_labels is not None:
        tenant, service, version = migration_labels
        metric_outcome = {"ok": "success", "dry_run": "dry_run"}.get(outcome, outcome)
        metrics.migration(
            outcome=metric_outcome, tenant=tenant, service=service, version=version,
            seconds=time.monotonic() - started,
        )  # fmt: skip
        job = env.get(contract.ENV_JOB_NAME) or "relc-migrate"
        try:
            metrics.flush(
                pushgateway_url=env.get(contract.ENV_PUSHGATEWAY_URL),
                job=job,
                metrics_file=env.get(contract.ENV_METRICS_FILE),
            )
        except OSError as err:  # metrics must not turn a finished migration into a failure
            log.warning("cannot publish metrics: %s", err)
    emit_summary(summary, env)
    sys.exit(int(code))


# --- commands -------------------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="relc", prog_name=contract.PROGRAM)  # one distribution, one version
@click.option("-v", "--verbose", is_flag=True, help="Log every step to stderr.")
def cli(verbose: bool) -> None:
    """relc-migrate: provision tenant databases and apply schema migrations (a Kubernetes Job)."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="relc-migrate: %(levelname)s %(message)s",
        stream=sys.stderr,
        force=True,
    )


_LIMIT_PARAMS = (
    "backup_destination", "backup_timeout_seconds", "backup_retries", "lock_wait_seconds", "slot_wait_seconds",
    "lock_timeout_ms", "statement_timeout_ms", "lock_retries",
)  # fmt: skip
"""The options both migration commands take (contract._limits_argv and --backup-destination)."""


def _limit_options() -> list[Callable[[Any], Any]]:
    return [
        click.option("--backup-destination", default=None),
        click.option("--backup-timeout", "backup_timeout_seconds", type=int,
                     default=contract.DEFAULT_BACKUP_TIMEOUT_SECONDS),
        click.option("--backup-retries", type=int, default=contract.DEFAULT_BACKUP_RETRIES),
        click.option("--lock-wait", "lock_wait_seconds", type=float,
                     default=contract.DEFAULT_LOCK_WAIT_SECONDS),
        click.option("--slot-wait", "slot_wait_seconds", type=float,
                     default=contract.DEFAULT_SLOT_WAIT_SECONDS),
        click.option("--lock-timeout-ms", type=int, default=contract.DEFAULT_LOCK_TIMEOUT_MS),
        click.option("--statement-timeout-ms", type=int, default=contract.DEFAULT_STATEMENT_TIMEOUT_MS),
        click.option("--lock-retries", type=int, default=contract.DEFAULT_LOCK_RETRIES),
    ]  # fmt: skip


def _target_options() -> list[Callable[[Any], Any]]:
    """What every command that works on one tenant's service schemas names: migrate, rollback, retry, baseline,
    repair."""
    return [
        click.option("--tenant", required=True),
        click.option("--service", required=True),
        click.option("--database", required=True),
        click.option("--schema", "schemas", multiple=True, required=True, help="Repeat for each schema."),
        click.option("--migrations-dir", default=None, help="Default: /work/migrations/<service>."),
    ]


def _migrate_options(fn: Callable[..., None]) -> Callable[..., None]:
    options = [
        *_target_options(),
        click.option("--dependency-database", default=None),
        click.option("--dry-run", is_flag=True),
        click.option("--backup", "backup_before_migration", is_flag=True),
        *_limit_options(),
        click.option("--diff-json", type=click.Path(dir_okay=False), default=None,
                     help="Dry run: also write the catalog diff as JSON to this file."),
    ]  # fmt: skip
    return _with_options(fn, options)


def _with_options(fn: Callable[..., None], options: list[Callable[[Any], Any]]) -> Callable[..., None]:
    """``fn`` decorated with each of ``options``, the first one listed first in ``--help``."""
    for option in reversed(options):
        fn = option(fn)
    return fn


def invocation_from_params(params: Mapping[str, Any], desired_version: str) -> contract.MigrateInvocation:
    """The frozen invocation from click's parsed parameters (the inverse of contract.migrate_argv)."""
    return contract.MigrateInvocation(
        tenant=params["tenant"],
        service=params["service"],
        database=params["database"],
        schemas=tuple(params["schemas"]),
        desired_version=desired_version,
        migrations_dir=params["migrations_dir"],
        dependency_database=params["dependency_database"],
        dry_run=params["dry_run"],
        backup_before_migration=params["backup_before_migration"],
        **{name: params[name] for name in _LIMIT_PARAMS},
    )


def _run_migration(mode: Mode, params: dict[str, Any], desired_version: str) -> None:
    from relc_migrate import migrate  # psycopg-heavy core is imported only when a command runs

    inv = invocation_from_params(params, desired_version)
    diff_json = params.get("diff_json")
    base = {"tenant": inv.tenant, "service": inv.service, "database": inv.database, "dry_run": inv.dry_run}

    def body(rt: Runtime, metrics: Metrics) -> Outcome:
        result = migrate.run(migrate.MigrateRequest(inv, mode), rt, metrics)
        return _migration_outcome(result, diff_json)

    run_command(mode, body, base=base, migration_labels=(inv.tenant, inv.service, desired_version or "none"))


def _migration_outcome(result: Any, diff_json: str | None) -> Outcome:
    from relc_migrate.diff import render

    fields: dict[str, Any] = {
        "to_version": result.desired,
        "applied": sum(len(s.applied) for s in result.schemas),
        "rolled_back": sum(len(s.rolled_back) for s in result.schemas),
        "recovered": result.recovered,
        "schemas": [s.as_json() for s in result.schemas],
    }
    if result.schemas:
        fields["from_version"] = result.schemas[0].from_version
    if result.backup is not None:
        fields["backup"] = result.backup.location
    if not result.dry_run:
        return Outcome(fields)
    for schema in result.schemas:
        click.echo(render(schema.schema, schema.changes))
    changes = [c for s in result.schemas for c in s.changes]
    fields["changes"] = {op: sum(1 for c in changes if c.op == sym) for op, sym in
                         (("added", "+"), ("dropped", "-"), ("altered", "~"))}  # fmt: skip
    if diff_json:
        document = {s.schema: [c.as_json() for c in s.changes] for s in result.schemas}
        Path(diff_json).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return Outcome(fields, outcome="dry_run")


@cli.command("migrate")
@_migrate_options
@click.option("--desired-version", required=True, help="The tenant's pinned version of the service.")
def migrate_cmd(desired_version: str, **params: Any) -> None:
    """Bring the service's schemas to --desired-version (upgrades, or rolls back when it is older)."""
    _run_migration("migrate", params, desired_version)


@cli.command("rollback")
@_migrate_options
@click.option("--to-version", "desired_version", required=True, help="The earlier version to return to.")
def rollback_cmd(desired_version: str, **params: Any) -> None:
    """Run the ROLLBACK sections of applied files newer than --to-version, newest first."""
    _run_migration("rollback", params, desired_version)


@cli.command("retry")
@_migrate_options
def retry_cmd(**params: Any) -> None:
    """Re-run a failed or blocked migration to its recorded desired version (only unapplied steps)."""
    _run_migration("retry", params, "")


def _step(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[contract.TenantStep, ...]:
    try:
        return tuple(contract.parse_step(value) for value in values)
    except IdentifierError as err:
        raise click.BadParameter(str(err), ctx=ctx, param=param) from None


def tenant_invocation_from_params(params: Mapping[str, Any]) -> contract.TenantMigrateInvocation:
    """The frozen invocation from click's parsed parameters (the inverse of contract.migrate_tenant_argv)."""
    return contract.TenantMigrateInvocation(
        tenant=params["tenant"],
        steps=tuple(params["steps"]),
        migrations_root=params["migrations_root"],
        dry_run=params["dry_run"],
        candidate_namespace=params["candidate_namespace"],
        candidate_wait_seconds=params["candidate_wait_seconds"],
        **{name: params[name] for name in _LIMIT_PARAMS},
    )


@cli.command("migrate-tenant")
@click.option("--tenant", required=True, help="Its databases are derived from it (tenant_<slug>[_<country>]).")
@click.option("--migrations-root", default=contract.MIGRATIONS_MOUNT_ROOT, show_default=True,
              help="Holds one folder of migration files per service.")  # fmt: skip
@click.option("--step", "steps", multiple=True, required=True, callback=_step,
              help=f"{contract.STEP_FORMAT}; repeat, in migration order.")  # fmt: skip
@click.option("--dry-run", is_flag=True)
@click.option(
    "--await-candidate",
    "candidate_namespace",
    default=None,
    metavar="NAMESPACE",
    help="First wait until every Deployment in NAMESPACE (the tenant's candidate) is Available.",
)
@click.option(
    "--candidate-wait",
    "candidate_wait_seconds",
    type=click.FloatRange(min=0),
    default=contract.DEFAULT_CANDIDATE_WAIT_SECONDS,
    show_default=True,
    help="Seconds --await-candidate waits before giving up (exit 6, nothing migrated).",
)
@lambda fn: _with_options(fn, _limit_options())
def migrate_tenant_cmd(**params: Any) -> None:
    """Migrate every schema of a tenant, step by step in one process; stop at the first failing step.

    Nothing to do (every schema complete at its version, no drift): exit 0 at once, without a cluster slot."""
    from relc_migrate import kubestatus
    from relc_migrate import tenant as tenant_run

    inv = tenant_invocation_from_params(params)
    base = {"tenant": inv.tenant, "dry_run": inv.dry_run, "steps_total": len(inv.steps)}

    def body(rt: Runtime, metrics: Metrics) -> Outcome:
        status = kubestatus.writer(rt, metrics)
        result = tenant_run.run_tenant(inv, rt, metrics, status)
        fields: dict[str, Any] = {"noop": result.noop, "steps": [r.as_json() for r in result.steps]}
        if result.candidate_waited is not None:
            fields["candidate_waited_seconds"] = round(result.candidate_waited, 3)
        if status.enabled or status.failed:
            fields["status_writes"] = status.summary()
        fields["applied"] = sum(len(s.applied) for r in result.steps if r.result for s in r.result.schemas)
        if result.error is None:
            return Outcome(fields, outcome="dry_run" if inv.dry_run and not result.noop else "ok")
        code, outcome, message = _error_outcome(result.error)
        last = result.steps[-1]
        message = f"step {len(result.steps)} of {result.total} ({last.step.service} in {last.database}): {message}"
        click.echo(f"relc-migrate: {outcome}: {message}", err=True)
        return Outcome({**fields, "message": message}, code, outcome)

    run_command("migrate-tenant", body, base=base, migration_labels=(inv.tenant, tenant_run.WHOLE_TENANT, "plan"))


def _adopt_options(fn: Callable[..., None]) -> Callable[..., None]:
    options = [
        *_target_options(),
        click.option("--reason", required=True, help="Who agreed to this and why (kept in relc.audit)."),
        click.option("--lock-wait", "lock_wait_seconds", type=float, default=contract.DEFAULT_LOCK_WAIT_SECONDS),
    ]
    return _with_options(fn, options)


def _adopt_invocation(params: Mapping[str, Any], version: str) -> contract.MigrateInvocation:
    return contract.MigrateInvocation(
        tenant=params["tenant"], service=params["service"], database=params["database"],
        schemas=tuple(params["schemas"]), desired_version=version, migrations_dir=params["migrations_dir"],
        lock_wait_seconds=params["lock_wait_seconds"],
    )  # fmt: skip


@cli.command("baseline")
@_adopt_options
@click.option("--version", "baseline_version", required=True, help="The version the existing objects are at.")
def baseline_cmd(baseline_version: str, reason: str, **params: Any) -> None:
    """Adopt existing schemas (objects present, no history): record files up to --version as applied, unrun."""
    import uuid

    from relc_migrate import adopt

    inv = _adopt_invocation(params, baseline_version)
    base = {"tenant": inv.tenant, "service": inv.service, "database": inv.database, "to_version": baseline_version}

    def body(rt: Runtime, metrics: Metrics) -> Outcome:
        return Outcome({"recorded": adopt.baseline(inv, rt, reason, str(uuid.uuid4())).recorded})

    run_command("baseline", body, base=base)


@cli.command("repair")
@_adopt_options
def repair_cmd(reason: str, **params: Any) -> None:
    """Realign applied files' checksums with the folder after an agreed edit; remove failed entries."""
    from relc_migrate import adopt

    inv = _adopt_invocation(params, "")
    base = {"tenant": inv.tenant, "service": inv.service, "database": inv.database}

    def body(rt: Runtime, metrics: Metrics) -> Outcome:
        result = adopt.repair(inv, rt, reason)
        return Outcome({"realigned": result.realigned, "removed_failed": result.removed_failed})

    run_command("repair", body, base=base)


@cli.command("provision")
@click.option("--tenant", required=True)
@click.option("--database", required=True)
@click.option("--schema", "schemas", multiple=True, required=True, help="<schema>=<service>, repeatable.")
@click.option("--app", default=None, help="The schemas are this app's (its AppProvisionJob gets the status).")
def provision_cmd(tenant: str, database: str, schemas: tuple[str, ...], app: str | None) -> None:
    """Create the tenant's role, database, relc's bookkeeping and the schemas, and its credentials in Vault
    (idempotent)."""
    import psycopg

    from relc_migrate import credentials, kubestatus, provision

    inv = provision_invocation(tenant, database, schemas, app)

    def body(rt: Runtime, metrics: Metrics) -> Outcome:
        # the TenantProvisionJob describes the tenant's base schemas, an AppProvisionJob one app's (--app)
        country = provision.validate_provision(inv)
        vault = read_vault_config(os.environ)  # before any change: a bad Vault setting is a usage error
        status = kubestatus.ProvisionStatus(kubestatus.writer(rt, metrics), tenant, app, country)
        status.report("running", f"provisioning {database}")
        try:
            result = provision.provision(inv, rt)
            written = _credentials_fields(vault, lambda store: credentials.ensure(rt, store, tenant, database))
        except (RelcMigrateError, IdentifierError, psycopg.Error) as err:
            status.report("failed", str(err))
            raise
        fields: dict[str, Any] = {
            "role": result.role,
            "role_created": result.role_created,
            "database_created": result.database_created,
            "schemas_created": result.schemas_created,
            "schemas_existing": result.schemas_existing,
            **written,
        }
        status.report("complete")
        if status.writer.enabled or status.writer.failed:
            fields["status_writes"] = status.writer.summary()
        return Outcome(fields)

    run_command("provision", body, base={"tenant": tenant, "database": database})


def _credentials_fields(vault: VaultConfig | None, step: Callable[[SecretStore], CredentialsResult]) -> dict[str, Any]:
    """Run a credentials step against Vault (hvac is imported here, only here); the summary's fields."""
    if vault is None:
        log.warning("%s is not set: the tenant's credentials were not written to Vault", contract.ENV_VAULT_ADDR)
        return {"credentials": "not-configured"}
    from relc_migrate import vault as store

    result = step(store.SecretStore.open(vault))
    return {"credentials": result.action, "vault_path": result.path, "vault_version": result.version}


@cli.command("rotate-credentials")
@click.option("--tenant", required=True)
def rotate_credentials_cmd(tenant: str) -> None:
    """Give the tenant's role a new password: a new Vault version first (check-and-set), then ALTER ROLE."""
    from relc_migrate import credentials

    def body(rt: Runtime, metrics: Metrics) -> Outcome:
        vault = read_vault_config(os.environ)
        if vault is None:
            raise UsageError(f"rotate-credentials needs Vault: set {contract.ENV_VAULT_ADDR}")
        fields = _credentials_fields(vault, lambda store: credentials.rotate(rt, store, tenant))
        return Outcome({"role": contract.tenant_role(tenant), **fields})

    run_command("rotate-credentials", body, base={"tenant": tenant})


def provision_invocation(
    tenant: str, database: str, schemas: tuple[str, ...], app: str | None = None
) -> contract.ProvisionInvocation:
    pairs = []
    for item in schemas:
        schema, sep, service = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not <schema>=<service>", param_hint="--schema")
        pairs.append((schema, service))
    return contract.ProvisionInvocation(
        tenant=tenant,
        database=database,
        schemas=tuple(p[0] for p in pairs),
        services=tuple(p[1] for p in pairs),
        app=app,
    )


_DEPROVISION_PHASES = {
    "retained": ("deprovisioning", "deletion requested: data kept until {purge_after}"),
    "awaiting-finalize": ("deprovisioning", "deletion requested: run deprovision --finalize to purge"),
    "purged": ("deprovisioned", "the tenant's data was purged"),
}
"""deprovision's action -> the TenantProvisionJob's phase and message (``nothing``: no status write)."""


@cli.command("deprovision")
@click.option("--tenant", required=True)
@click.option("--database", required=True)
@click.option("--mode", type=click.Choice(["retained", "immediate", "manual"]), required=True)
@click.option("--grace-period", "grace_period_seconds", type=int, default=30 * 24 * 3600, help="Seconds.")
@click.option("--finalize", is_flag=True, help="Carry out a manual-mode deletion.")
def deprovision_cmd(tenant: str, database: str, mode: str, grace_period_seconds: int, finalize: bool) -> None:
    """Honour the tenant's deletion policy; never drops what relc-migrate did not create."""
    from relc_migrate import kubestatus, provision

    deletion_mode = cast(contract.DeletionMode, mode)  # click.Choice guarantees one of the three
    inv = contract.DeprovisionInvocation(tenant, database, deletion_mode, grace_period_seconds, finalize)

    def body(rt: Runtime, metrics: Metrics) -> Outcome:
        r = provision.deprovision(inv, rt)
        fields: dict[str, Any] = {
            "action": r.action, "purge_after": r.purge_after, "dropped_schemas": r.dropped_schemas,
            "database_dropped": r.database_dropped, "kept_schemas": r.kept,
            "bookkeeping_dropped": r.bookkeeping_dropped, "role_dropped": r.role_dropped,
        }  # fmt: skip
        if database == contract.database_name(tenant) and r.action in _DEPROVISION_PHASES:
            status = kubestatus.writer(rt, metrics)
            phase, message = _DEPROVISION_PHASES[r.action]
            status.provision(tenant, phase, message.format(purge_after=r.purge_after))
            if status.enabled or status.failed:
                fields["status_writes"] = status.summary()
        return Outcome(fields)

    run_command("deprovision", body, base={"tenant": tenant, "database": database, "mode": mode})


@cli.command("cleanup")
@click.option("--tenant", required=True)
@click.option("--in-use", "in_use", multiple=True, help="<database>/<schema> the candidate uses; repeatable.")
@click.option(
    "--schema-transition",
    "schema_transition_seconds",
    type=int,
    default=30 * 24 * 3600,
    help="Seconds a schema left in a country database is kept.",
)
@click.option(
    "--deprecated-versions",
    "deprecated_versions_seconds",
    type=int,
    default=60 * 24 * 3600,
    help="Seconds a schema left in the main database is kept.",
)
def cleanup_cmd(
    tenant: str, in_use: tuple[str, ...], schema_transition_seconds: int, deprecated_versions_seconds: int
) -> None:
    """Retention: keep schemas the candidate no longer uses until retention_expires_at, then drop them."""
    from relc_migrate import retention

    inv = contract.CleanupInvocation(tenant, in_use, schema_transition_seconds, deprecated_versions_seconds)

    def body(rt: Runtime, metrics: Metrics) -> Outcome:
        r = retention.cleanup(inv, rt)
        return Outcome({"retained": r.retained, "dropped_schemas": r.dropped_schemas,
                        "dropped_databases": r.dropped_databases})  # fmt: skip

    run_command("cleanup", body, base={"tenant": tenant})


@cli.command("registry-sync")
@click.option(
    "--registry-file",
    "registry_files",
    required=True,
    multiple=True,
    type=click.Path(dir_okay=False),
    help="The registry file; repeated: every shard of one registry (synced together, only as a complete set).",
)
def registry_sync_cmd(registry_files: tuple[str, ...]) -> None:
    """Upsert the compiled service version registry into infra.service_versions (idempotent)."""
    from relc_migrate import db, registry

    def body(rt: Runtime, metrics: Metrics) -> Outcome:
        loaded = registry.load_registry([Path(f) for f in registry_files])
        if rt.infra_dsn is None:
            raise UsageError(f"registry-sync needs the infra database: set {contract.ENV_INFRA_DSN_FILE}")
        with db.connect(rt.infra_dsn, None, "registry-sync") as conn:
            r = registry.sync(conn, loaded)
        return Outcome({"entries": len(loaded.entries), "inserted": r.inserted, "updated": r.updated,
                        "unchanged": r.unchanged, "deleted": r.deleted})  # fmt: skip

    run_command("registry-sync", body)


@cli.command("status")
@click.option("--tenant", "tenants", multiple=True, help="Tenant name (its databases); repeatable.")
@click.option("--database", "databases", multiple=True, help="Database name; repeatable.")
@click.option("--all", "all_tenants", is_flag=True, help="Every tenant_* database on the server.")
@click.option("--service", default=None)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
def status_cmd(
    tenants: tuple[str, ...],
    databases: tuple[str, ...],
    all_tenants: bool,
    service: str | None,
    as_json: bool,
) -> None:
    """Schema versions and migration status of one tenant or many."""
    from relc_migrate import status

    def body(rt: Runtime, metrics: Metrics) -> Outcome:
        names = [name for t in tenants for name in status.databases_of_tenant(rt, t)] + list(databases)
        if all_tenants:
            names += status.tenant_databases(rt)
        if not names:
            raise UsageError("give --tenant, --database or --all")
        statuses = [status.database_status(rt, name, service) for name in dict.fromkeys(names)]
        if as_json:
            click.echo(json.dumps([s.as_json() for s in statuses], sort_keys=True))
        else:
            click.echo(status.render_text(statuses))
        bad = sum(1 for s in statuses for r in s.rows if r.status in ("failed", "blocked"))
        return Outcome({"databases": len(statuses), "failed_or_blocked": bad})

    run_command("status", body)


@cli.command("lint")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--service", default=None, help="Service name when PATH is one service's folder.")
@click.option("--json", "as_json", is_flag=True)
def lint_cmd(path: str, service: str | None, as_json: bool) -> None:
    """Check a migrations folder (one service's, or a root holding one folder per service)."""
    from relc_migrate.folder import collect_folder

    def body(rt: Runtime, metrics: Metrics) -> Outcome:
        root = Path(path)
        folders = _service_folders(root, service)
        findings = [f for name, folder in folders for f in collect_folder(folder, name)[1]]
        for finding in findings:
            click.echo(json.dumps(finding.as_json(), sort_keys=True) if as_json else finding.render())
        errors = sum(1 for f in findings if f.severity == "error")
        warnings = len(findings) - errors
        fields = {"services": [n for n, _ in folders], "errors": errors, "warnings": warnings}
        if errors:
            return Outcome(fields, ExitCode.USAGE, "usage")
        return Outcome(fields)

    run_command("lint", body, needs_db=False)


def _service_folders(root: Path, service: str | None) -> list[tuple[str, Path]]:
    """(service, folder) pairs: PATH itself when it holds .sql files, else each subfolder."""
    if service is not None or any(p.suffix == ".sql" for p in root.iterdir()):
        return [(service or root.name, root)]
    return [(p.name, p) for p in sorted(root.iterdir()) if p.is_dir()]


def main() -> None:
    """Console script entry point: click's own usage errors get the JSON summary and exit code 2 too."""
    try:
        cli.main(prog_name=contract.PROGRAM, standalone_mode=False)
    except click.ClickException as err:
        err.show()
        command = sys.argv[1] if len(sys.argv) > 1 else ""
        summary = {"command": command, "outcome": "usage", "exit_code": int(ExitCode.USAGE),
                   "duration_seconds": 0.0, "message": err.format_message()}  # fmt: skip
        emit_summary(summary, os.environ)
        sys.exit(int(ExitCode.USAGE))
    except click.Abort:
        sys.exit(int(ExitCode.USAGE))
