"""The compiler and relc-migrate agree on every name and on the image's user, checked on real compiled Jobs.

The compiled example fleet's Jobs are parsed with relc-migrate's own click parser; the database, schemas, Vault
path and Job name each Job carries must be exactly what relc-migrate (through relc_contract) derives for that
tenant. The relc-migrate Dockerfile must create the user the Jobs run as, and install relc_contract.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import relc_contract as contract
from compiler.cli import main
from compiler.model.common import duration_seconds
from compiler.model.kinds import RetentionPolicy
from relc_migrate.cli import cli as migrate_cli
from relc_migrate.cli import provision_invocation, tenant_invocation_from_params
from tests.conftest import REPO, TODAY

DOCKERFILE = REPO / "images/relc-migrate/Dockerfile"


@pytest.fixture(scope="module")
def compiled_jobs(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Every relc-migrate Job of the example fleet, compiled through the CLI into a fresh folder."""
    out = tmp_path_factory.mktemp("rendered")
    result = CliRunner().invoke(main, ["compile", "--root", str(REPO), "--today", TODAY, "--out", str(out)])
    assert result.exit_code == 0, result.output
    jobs = [
        doc
        for path in sorted(out.rglob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and doc.get("kind") == "Job"
    ]
    assert jobs, "the example fleet compiles to no Job"
    return jobs


def _vault_prefixes() -> dict[str, str]:
    """Each Instance's vault.pathPrefix, read from the fleet's YAML (not through the compiler)."""
    found = {}
    for path in sorted((REPO / "instances").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[doc["metadata"]["name"]] = doc["spec"]["vault"]["pathPrefix"]
    return found


def _parse(job: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (container,) = [c for c in job["spec"]["template"]["spec"]["containers"] if c["name"] == "relc-migrate"]
    argv = container["args"]
    ctx = migrate_cli.commands[argv[0]].make_context(argv[0], list(argv[1:]))
    return argv[0], dict(ctx.params)


def _env(job: dict[str, Any]) -> dict[str, Any]:
    (container,) = job["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_one_migration_job_per_tenant_carrying_the_names_relc_migrate_derives(
    compiled_jobs: list[dict[str, Any]],
) -> None:
    prefixes = _vault_prefixes()
    tenants: list[tuple[str, str]] = []
    for job in compiled_jobs:
        command, params = _parse(job)
        if command != "migrate-tenant":
            assert command in ("provision", "registry-sync"), command  # no per-service migrate Job is left
            continue
        inv = tenant_invocation_from_params(params)
        instance = job["metadata"]["labels"]["relc.dev/instance"]
        tenants.append((instance, inv.tenant))
        for step in inv.steps:
            one = contract.step_invocation(inv, step)  # the databases relc-migrate derives from the tenant
            assert one.database == contract.tenant_database(inv.tenant, step.country)
            assert one.dependency_database == (None if step.country is None else contract.tenant_database(inv.tenant))
            for schema in step.schemas:
                app = schema[len(step.service) + 1 :] or None
                assert schema == contract.service_schema(step.service, app), job["metadata"]["name"]
        assert inv.migrations_root == contract.MIGRATIONS_MOUNT_ROOT
        name = contract.tenant_job_name(inv.tenant, inv.steps, inv.dry_run)
        assert job["metadata"]["name"] == name
        # relc-migrate gets the name from the label the Job controller puts on the Job's pods
        assert _env(job)[contract.ENV_JOB_NAME] == {"fieldRef": {"fieldPath": contract.JOB_NAME_FIELD_PATH}}
        inits = job["spec"]["template"]["spec"]["initContainers"]
        services = list(dict.fromkeys(step.service for step in inv.steps))
        assert [c["command"] for c in inits] == [list(contract.init_container_command(s)) for s in services]
        annotations = job["spec"]["template"]["metadata"]["annotations"]
        vault = contract.vault_path(prefixes[instance], inv.tenant)
        assert annotations["vault.hashicorp.com/agent-inject-secret-tenant-db-dsn"] == vault
    assert len(tenants) == len(set(tenants)) >= 5, tenants  # one per tenant, and the fleet exercises several


def test_provisioning_jobs_carry_the_names_relc_migrate_derives(compiled_jobs: list[dict[str, Any]]) -> None:
    checked = 0
    for job in compiled_jobs:
        command, params = _parse(job)
        if command != "provision":
            continue
        inv = provision_invocation(params["tenant"], params["database"], params["schemas"])
        main_db = contract.tenant_database(inv.tenant)
        if inv.database != main_db:  # an app's country database
            assert inv.database == contract.tenant_database(inv.tenant, inv.database.rpartition("_")[2])
        for schema, service in zip(inv.schemas, inv.services, strict=True):
            assert schema == contract.service_schema(service, schema[len(service) + 1 :] or None)
        extra = f"{inv.database}:{','.join(inv.schemas)}"
        assert job["metadata"]["name"] == contract.job_name("provision", inv.tenant, extra=extra)
        checked += 1
    assert checked >= 3


def test_jobs_run_as_the_contract_user(compiled_jobs: list[dict[str, Any]]) -> None:
    contexts = [job["spec"]["template"]["spec"]["securityContext"] for job in compiled_jobs]
    uid = contract.RUN_AS_UID
    assert {(c["runAsUser"], c["runAsGroup"], c["fsGroup"]) for c in contexts} == {(uid, uid, uid)}


def _dockerfile_commands() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _option(words: list[str], name: str) -> str:
    return words[words.index(name) + 1]


def test_the_image_creates_the_user_the_jobs_run_as() -> None:
    commands = _dockerfile_commands()
    (run,) = [c for c in commands if c.startswith("RUN ") and "useradd" in c]
    words = shlex.split(run.replace("&&", " "))
    useradd = words[words.index("useradd") :]
    groupadd = words[words.index("groupadd") :]
    uid = str(contract.RUN_AS_UID)
    assert (_option(useradd, "--uid"), _option(useradd, "--gid"), _option(groupadd, "--gid")) == (uid, uid, uid)
    assert "--no-create-home" in useradd  # a passwd entry (libpq and pg_dump look the user up), no home
    (user,) = [c for c in commands if c.startswith("USER ")]
    assert user == f"USER {uid}:{uid}"


def test_the_image_installs_the_contract_package() -> None:
    commands = _dockerfile_commands()
    assert "COPY relc_contract ./relc_contract" in commands
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^include = \[.*"relc_contract\*".*\]$', pyproject, re.M)


def defined_names(source: str) -> list[str]:
    """The public names a module defines at top level (classes, functions, assignments), not those it imports."""
    import ast

    found: list[str] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            found.append(node.name)
        elif isinstance(node, ast.Assign):
            found += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.append(node.target.id)
    return [name for name in found if not name.startswith("_")]


def test_the_package_re_exports_every_public_name_of_its_modules() -> None:
    """``import relc_contract as contract`` / ``from relc_contract import X`` keep working whatever module X is in.

    (That its modules import only the standard library is tests/test_boundaries.py's check.)
    """
    import importlib

    public: dict[str, str] = {}
    for path in sorted((REPO / "relc_contract").glob("*.py")):
        if path.name == "__init__.py":
            continue
        for name in defined_names(path.read_text(encoding="utf-8")):
            assert name not in public, f"{name} is defined in both {public[name]} and {path.stem}"
            public[name] = path.stem
    assert len(public) > 100, "the walker found the package's modules and their names"
    assert sorted(contract.__all__) == sorted(public)  # every public name, each once
    for name, module in public.items():
        assert getattr(contract, name) is getattr(importlib.import_module(f"relc_contract.{module}"), name), name


def test_defined_names_ignores_imports_and_private_names() -> None:
    """The check above can fail: it sees every kind of definition and skips what a module only imports."""
    source = "import re\nfrom typing import Final\nA: Final = 1\nB = C = 2\n_D = 3\ndef f(): pass\nclass K: pass\n"
    assert defined_names(source) == ["A", "B", "C", "f", "K"]


def test_one_cleanup_cronjob_per_tenant_naming_every_schema_its_migration_job_migrates(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Retention (relc-migrate cleanup) runs daily per tenant; its in-use list must be exactly the databases and
    schemas the tenant's migration Job migrates (a schema missing from it would start its retention clock and be
    dropped after schemaTransition/deprecatedVersions), with the Tenant's retention, else the Instance's."""
    out = tmp_path_factory.mktemp("rendered")
    result = CliRunner().invoke(main, ["compile", "--root", str(REPO), "--today", TODAY, "--out", str(out)])
    assert result.exit_code == 0, result.output
    checked = 0
    for path in sorted(out.glob("instances/*/tenants/*/migrations.yaml")):
        docs = [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
        (job,) = [d for d in docs if d["kind"] == "Job"]
        (cron,) = [d for d in docs if d["kind"] == "CronJob"]
        _, params = _parse(job)
        migrate = tenant_invocation_from_params(params)
        command, clean = _parse(cron["spec"]["jobTemplate"])
        assert command == "cleanup" and clean["tenant"] == migrate.tenant
        migrated = [
            f"{contract.step_invocation(migrate, step).database}/{schema}"
            for step in migrate.steps
            for schema in step.schemas
        ]
        assert sorted(clean["in_use"]) == sorted(migrated)
        default = RetentionPolicy()  # the example fleet sets no retention: the model's defaults apply
        assert (clean["schema_transition_seconds"], clean["deprecated_versions_seconds"]) == (
            duration_seconds(default.schema_transition),
            duration_seconds(default.deprecated_versions),
        )
        name = contract.cleanup_cronjob_name(migrate.tenant)
        assert cron["metadata"]["name"] == name
        # each run's Job is named <cronjob>-<schedule time>: the pod reads it from its own label
        job_name = _env(cron["spec"]["jobTemplate"])[contract.ENV_JOB_NAME]
        assert job_name == {"fieldRef": {"fieldPath": contract.JOB_NAME_FIELD_PATH}}
        assert len(name) <= contract.CRONJOB_NAME_LIMIT
        minute, hour, *every = cron["spec"]["schedule"].split()
        assert every == ["*", "*", "*"] and 0 <= int(minute) < 60 and 0 <= int(hour) < 24
        assert cron["spec"]["concurrencyPolicy"] == "Forbid"
        checked += 1
    assert checked >= 5
