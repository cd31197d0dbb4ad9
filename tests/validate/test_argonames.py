"""RLC505/RLC509 through the CLI: exact messages naming both objects and files, and compile refuses the fleet
before writing anything."""

from __future__ import annotations

from pathlib import Path

from tests.compile.util import compile_fleet
from tests.load.cli import diagnostics

ACME = "tenants/arematics-prod/acme.yaml"
INSTANCE = "instances/arematics-prod.yaml"


def _tenant(root: Path, instance: str, name: str) -> str:
    text = (root / ACME).read_text().replace("name: acme", f"name: {name}")
    path = f"tenants/{instance}/{name}.yaml"
    (root / path).parent.mkdir(exist_ok=True)
    (root / path).write_text(text.replace("instance: arematics-prod", f"instance: {instance}"))
    return path


def _instance(root: Path, name: str) -> str:
    text = (root / INSTANCE).read_text().replace("name: arematics-prod", f"name: {name}")
    path = f"instances/{name}.yaml"
    (root / path).write_text(text.replace("pg-prod-eu", "pg-other"))
    return path


def _only(root: Path) -> tuple[str, int, str, str]:
    """The one diagnostic of a failing run: file, line, code, message."""
    code, found = diagnostics(root)
    assert code == 1 and len(found) == 1, found
    return found[0]["file"], found[0]["line"], found[0]["code"], found[0]["message"]


def test_a_tenant_named_like_its_instances_routing_application(base_fleet: Path) -> None:
    path = _tenant(base_fleet, "arematics-prod", "routing")
    code, found = diagnostics(base_fleet)
    assert code == 1
    assert [(d["file"], d["line"], d["column"], d["code"], d["message"], d["hint"]) for d in found] == [
        (
            path,
            5,
            9,
            "RLC505",
            "Application 'arematics-prod-routing' of tenant 'routing' of instance 'arematics-prod' "
            f"({path}) is also the name derived for the routing of instance 'arematics-prod' ({INSTANCE})",
            "rename the tenant or the Instance: Argo CD object names must differ, and '-' joins their parts",
        )
    ]


def test_tenants_of_two_instances_joining_to_one_name(base_fleet: Path) -> None:
    """``arematics`` + ``prod-xyz`` and ``arematics-prod`` + ``xyz`` both derive ``arematics-prod-xyz``."""
    _instance(base_fleet, "arematics")
    other = _tenant(base_fleet, "arematics", "prod-xyz")
    xyz = "tenants/arematics-prod/xyz.yaml"
    assert _only(base_fleet) == (
        xyz,
        5,
        "RLC505",
        f"Application 'arematics-prod-xyz' of tenant 'xyz' of instance 'arematics-prod' ({xyz}) is also the name "
        f"derived for tenant 'prod-xyz' of instance 'arematics' ({other})",
    )


def test_an_instance_named_after_its_clusters_application(base_fleet: Path) -> None:
    """Cluster ``prod`` has the Application ``prod-crds``: an Instance ``prod-crds`` would take it for its root."""
    path = _instance(base_fleet, "prod-crds")
    assert _only(base_fleet) == (
        path,
        5,
        "RLC505",
        f"Application 'prod-crds' of the root of instance 'prod-crds' ({path}) is also the name derived for "
        f"cluster 'prod' ({INSTANCE})",
    )


def test_an_instance_named_default_would_rewrite_argo_cds_own_project(base_fleet: Path) -> None:
    path = _instance(base_fleet, "default")
    code, found = diagnostics(base_fleet)
    assert code == 1
    assert [(d["file"], d["line"], d["code"], d["message"], d["hint"]) for d in found] == [
        (
            path,
            5,
            "RLC509",
            "AppProject 'default' of instance 'default' is Argo CD's own default project",
            "rename the Instance: its AppProject takes the Instance's name",
        )
    ]


def test_compile_refuses_a_collision_and_writes_nothing(base_fleet: Path) -> None:
    _tenant(base_fleet, "arematics-prod", "platform-2025-07")
    result = compile_fleet(base_fleet)
    assert result.exit_code == 1
    assert "RLC505" in result.output
    assert not (base_fleet / "rendered").exists()
