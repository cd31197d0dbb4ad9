"""Day-2 scenarios through the CLI on a real git repository: each change is made with relc's own commands (or a
file edit a person would make), judged against the base (``validate --base HEAD``), compiled, and the rendered
diff asserted — the files that change and the lines that make Argo CD do what the README's "Day 2" section says.
"""

from __future__ import annotations

from pathlib import Path

import git
import pytest
from click.testing import CliRunner, Result

from compiler.cli import main
from tests.conftest import TODAY, commit_all, committed_example_fleet

PROD = "instances/droneup-production"
Q1_UNDEPLOYED = {
    f"D {PROD}/argocd/candidates/q1-2025.yaml",
    f"D {PROD}/candidates/q1-2025/Chart.yaml",
    f"D {PROD}/candidates/q1-2025/templates/platform.yaml",
    f"D {PROD}/candidates/q1-2025/values.yaml",
    f"D {PROD}/routing/q1-2025.yaml",
    f"M {PROD}/registry/service-versions.yaml",
    "M registry/service_versions.json",
    "M registry/service_versions.sql",
}
"""What undeploying q1-2025 from droneup-production changes in rendered/: its Application, chart and shard go."""


class Fleet:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.repo = git.Repo(root)

    def relc(self, *args: str) -> Result:
        return CliRunner().invoke(main, [*args, "--root", str(self.root), "--today", TODAY])

    def compile(self) -> list[str]:
        """``relc compile``; its output lines."""
        result = CliRunner().invoke(main, ["compile", "--root", str(self.root), "--today", TODAY, "--jobs", "1"])
        assert result.exit_code == 0, result.output
        return result.output.splitlines()

    def rendered_changes(self) -> set[str]:
        """``git status`` of rendered/: ``M path``, ``D path`` or ``A path`` (untracked), rendered/-relative."""
        lines = self.repo.git.status("--porcelain", "--untracked-files=all", "--", "rendered").splitlines()
        code = {"M": "M", "D": "D", "??": "A"}
        return {f"{code[line[:2].strip()]} {line[3:].removeprefix('rendered/')}" for line in lines}

    def text(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def write(self, rel: str, text: str) -> None:
        (self.root / rel).write_text(text, encoding="utf-8")

    def replace(self, rel: str, old: str, new: str) -> None:
        text = self.text(rel)
        assert old in text, old
        self.write(rel, text.replace(old, new, 1))

    def valid_against_base(self) -> None:
        result = self.relc("validate", "--base", "HEAD")
        assert result.exit_code == 0, result.output
        rendered = CliRunner().invoke(
            main, ["validate", "--rendered", "--root", str(self.root), "--kubeconform", "off"]
        )
        assert rendered.exit_code == 0, rendered.output

    def commit(self, message: str) -> None:
        commit_all(self.root, message)


@pytest.fixture
def fleet(tmp_path: Path) -> Fleet:
    return Fleet(committed_example_fleet(tmp_path / "fleet"))


def keep_warm(fleet: Fleet, instance: str, candidate: str) -> None:
    fleet.replace(
        f"instances/{instance}.yaml",
        '  imageTagSuffix: ""\n',
        f'  imageTagSuffix: ""\n  warmCandidates: [{candidate}]\n',
    )


def test_pinning_a_tenant_to_a_new_candidate(fleet: Fleet) -> None:
    candidate = fleet.text("releases/candidates/q2-2025.yaml").replace("name: q2-2025", "name: q3-2025")
    fleet.write("releases/candidates/q3-2025.yaml", candidate)
    fleet.replace("releases/global/droneup-2025-06.yaml", "q2-2025]", "q2-2025, q3-2025]")
    pinned = fleet.relc("pin", "droneup", "--instance", "droneup-production", "--to", "q3-2025")
    assert pinned.exit_code == 0, pinned.output

    refused = fleet.relc("validate", "--base", "HEAD")
    assert refused.exit_code == 1
    assert (
        "tenants/droneup-production/droneup.yaml:10:21: error RLC906 undeploy-with-last-move [spec.releaseCandidate]: "
        "tenant 'droneup' moves off 'q2-2025', which this change also undeploys from instance 'droneup-production': "
        "Argo CD would prune 'q2-2025' in the same sync that switches the tenant's routes\n"
        "    hint: undeploy in two steps: keep 'q2-2025' in spec.warmCandidates of instances/droneup-production.yaml "
        "in this change, and drop it in a later one, once no route points at it\n"
    ) in refused.output

    keep_warm(fleet, "droneup-production", "q2-2025")
    assert fleet.compile() == ["compiled 170 files into rendered/: 5 added, 10 changed, 0 removed"]
    fleet.valid_against_base()
    assert fleet.rendered_changes() == {
        # q3-2025 is deployed: its Application, its chart (namespace included: its own source) and routing shard
        f"A {PROD}/argocd/candidates/q3-2025.yaml",
        f"A {PROD}/candidates/q3-2025/Chart.yaml",
        f"A {PROD}/candidates/q3-2025/templates/platform.yaml",
        f"A {PROD}/candidates/q3-2025/values.yaml",
        f"A {PROD}/routing/q3-2025.yaml",
        # the AppProjects of the Instances whose global release now offers q3-2025 admit its namespace
        "M argocd/instances/droneup-development.yaml",
        "M argocd/instances/droneup-production.yaml",
        "M argocd/instances/droneup-staging.yaml",
        # the tenant's own folder: its routes move, in its own Application, after its PreSync migration Job,
        # which now waits for q3-2025's Deployments (the readiness gate) before it migrates
        f"M {PROD}/tenants/droneup/migrations.yaml",
        f"M {PROD}/tenants/droneup/provisioning.yaml",
        f"M {PROD}/tenants/droneup/routes.yaml",
        # (schema-versions.yaml stays: q3-2025 pins the same versions, and the candidate is stated only once)
        f"M {PROD}/routing/q2-2025.yaml",
        f"M {PROD}/registry/service-versions.yaml",
        "M registry/service_versions.json",
        "M registry/service_versions.sql",
    }
    routes = fleet.text(f"rendered/{PROD}/tenants/droneup/routes.yaml")
    assert "namespace: droneup-production-q3-2025" in routes and "q2-2025" not in routes
    own = fleet.text(f"rendered/{PROD}/candidates/q3-2025/templates/platform.yaml")
    assert "kind: Namespace\nmetadata:\n  name: droneup-production-q3-2025\n" in own


def test_moving_the_last_tenant_off_a_candidate_undeploys_it_in_a_second_change(fleet: Fleet) -> None:
    pinned = fleet.relc("pin", "horizon-aerobotics", "--to", "q2-2025")
    assert pinned.exit_code == 0, pinned.output
    keep_warm(fleet, "droneup-production", "q1-2025")
    assert fleet.compile() == ["compiled 165 files into rendered/: 0 added, 9 changed, 0 removed"]
    fleet.valid_against_base()
    assert fleet.rendered_changes() == {  # step 1: the routes move; q1-2025's Application and namespace stay
        f"M {PROD}/tenants/horizon-aerobotics/migrations.yaml",
        f"M {PROD}/tenants/horizon-aerobotics/provisioning.yaml",
        f"M {PROD}/tenants/horizon-aerobotics/routes.yaml",
        f"M {PROD}/tenants/horizon-aerobotics/schema-versions.yaml",
        f"M {PROD}/routing/q1-2025.yaml",
        f"M {PROD}/routing/q2-2025.yaml",
        f"M {PROD}/registry/service-versions.yaml",
        "M registry/service_versions.json",
        "M registry/service_versions.sql",
    }
    assert "horizon-aerobotics" not in fleet.text(f"rendered/{PROD}/routing/q1-2025.yaml")
    fleet.commit("horizon-aerobotics moves to q2-2025; q1-2025 stays warm")

    fleet.replace("instances/droneup-production.yaml", "  warmCandidates: [q1-2025]\n", "")
    plan = fleet.relc("plan", "--base", "HEAD")
    assert plan.exit_code == 0, plan.output
    assert "  Candidates undeployed:\n    q1-2025 will be undeployed from droneup-production\n" in plan.output
    assert fleet.compile() == [
        "q1-2025 will be undeployed from droneup-production",
        "compiled 160 files into rendered/: 0 added, 3 changed, 5 removed",
    ]
    fleet.valid_against_base()
    assert fleet.rendered_changes() == Q1_UNDEPLOYED  # step 2: no route points at q1-2025 any more; it goes


def test_removing_a_tenant_leaves_a_tombstone_then_the_file_goes(fleet: Fleet) -> None:
    deleted = fleet.root / "tenants/droneup-production/horizon-aerobotics.yaml"
    deleted.unlink()
    refused = fleet.relc("validate", "--base", "HEAD")
    assert refused.exit_code == 1
    assert refused.output.startswith(
        "tenants/droneup-production/horizon-aerobotics.yaml: error RLC907 unsafe-removal: this change deletes tenant "
        "'horizon-aerobotics' of instance 'droneup-production', which the base does not mark removed: its routes "
        "would stay and its deletion policy would never run\n"
        "    hint: restore tenants/droneup-production/horizon-aerobotics.yaml and run 'relc tenant remove "
        "horizon-aerobotics --instance droneup-production --deletion retained' (a tombstone); delete the file in a "
        "later change, once its deprovision Jobs are done\n"
    )
    fleet.repo.git.checkout("--", "tenants")

    removed = fleet.relc("tenant", "remove", "horizon-aerobotics", "--deletion", "retained")
    assert removed.exit_code == 0, removed.output
    assert fleet.compile() == [
        "q1-2025 will be undeployed from droneup-production",  # horizon-aerobotics was its last tenant
        "compiled 157 files into rendered/: 1 added, 3 changed, 9 removed",
    ]
    fleet.valid_against_base()
    tenant = f"{PROD}/tenants/horizon-aerobotics"
    assert fleet.rendered_changes() == {
        # the tenant's folder (so its Application) stays, holding only the deprovision Jobs: its sync prunes the
        # routes and custom resources at once, then runs the PostSync Job
        f"A {tenant}/deprovision.yaml",
        f"D {tenant}/migrations.yaml",
        f"D {tenant}/provisioning.yaml",
        f"D {tenant}/routes.yaml",
        f"D {tenant}/schema-versions.yaml",
        *Q1_UNDEPLOYED,  # horizon-aerobotics was q1-2025's last tenant
    }
    deprovision = fleet.text(f"rendered/{tenant}/deprovision.yaml")
    assert deprovision.count("kind: Job\n") == 1 and deprovision.count("kind: CronJob\n") == 1
    assert "argocd.argoproj.io/hook: PostSync\n" in deprovision
    args = '            - deprovision\n            - "--tenant"\n            - horizon-aerobotics\n'
    assert args in deprovision
    assert '            - "--mode"\n            - retained\n            - "--grace-period"\n' in deprovision
    fleet.commit("horizon-aerobotics removed (tombstone)")

    deleted.unlink()
    assert fleet.compile() == ["compiled 156 files into rendered/: 0 added, 0 changed, 1 removed"]
    fleet.valid_against_base()
    assert fleet.rendered_changes() == {f"D {tenant}/deprovision.yaml"}


def test_removing_an_instance_once_its_tenants_are_gone_cascades(fleet: Fleet) -> None:
    root_app = fleet.text("rendered/argocd/instances/arematics-test.yaml")
    assert root_app.count("  finalizers:\n    - resources-finalizer.argocd.argoproj.io\n") == 2  # project, root
    instance = fleet.root / "instances/arematics-test.yaml"
    instance.unlink()
    refused = fleet.relc("validate", "--base", "HEAD")
    assert refused.exit_code == 1
    assert refused.output.startswith(
        "instances/arematics-test.yaml: error RLC907 unsafe-removal: this change removes instance 'arematics-test', "
        "which still has tenants in the base: xyz\n"
    )
    fleet.repo.git.checkout("--", "instances")

    assert (
        fleet.relc("tenant", "remove", "xyz", "--instance", "arematics-test", "--deletion", "retained").exit_code == 0
    )
    fleet.compile()
    fleet.commit("xyz removed from arematics-test (tombstone)")
    (fleet.root / "tenants/arematics-test/xyz.yaml").unlink()
    fleet.compile()
    fleet.valid_against_base()
    fleet.commit("xyz's tombstone deleted")

    instance.unlink()
    assert fleet.compile() == ["compiled 146 files into rendered/: 0 added, 2 changed, 10 removed"]
    fleet.valid_against_base()
    assert fleet.rendered_changes() == {
        # the bootstrap Application prunes the project and the root Application; the root's finalizer deletes
        # its children (platform, tenancy, routing) and theirs their resources, namespaces included
        "D argocd/instances/arematics-test.yaml",
        "D instances/arematics-test/argocd/platform.yaml",
        "D instances/arematics-test/argocd/routing.yaml",
        "D instances/arematics-test/argocd/tenancy.yaml",
        "D instances/arematics-test/platform/shared.yaml",
        "D instances/arematics-test/platform/tenancy.yaml",
        "D instances/arematics-test/registry/service-versions.yaml",
        # its cluster has no other Instance: its config goes too (the CRDs Application never cascades)
        "D argocd/clusters/test.yaml",
        "D clusters/test/migration-controller-config.yaml",
        "D clusters/test/monitoring/relc-migrations-dashboard.yaml",
        "M registry/service_versions.json",
        "M registry/service_versions.sql",
    }


def test_a_dry_run_tenant_rehearses_a_new_candidate_while_its_routes_stay(fleet: Fleet) -> None:
    cherokee = "tenants/droneup-production/cherokee-nation.yaml"
    pinned = fleet.relc("pin", "cherokee-nation", "--to", "q1-2025")
    assert pinned.exit_code == 0, pinned.output

    refused = fleet.relc("validate", "--base", "HEAD")
    assert refused.exit_code == 1
    assert (
        f"{cherokee}:11:21: error RLC908 dry-run-route-move [spec.releaseCandidate]: dry-run tenant 'cherokee-nation' "
        "would be routed to 'q1-2025' instead of 'q4-2024', but a dry run migrates nothing: its schemas are still "
        "those of 'q4-2024'\n"
        "    hint: keep its routes where they are: set spec.servingCandidate: q4-2024 (it rehearses 'q1-2025' while "
        "'q4-2024' serves it), or turn policies.dryRun off to migrate for real\n"
    ) in refused.output
    assert f"{cherokee}:11:21: error RLC906" in refused.output  # it was q4-2024's last tenant, too

    fleet.replace(
        cherokee, "  releaseCandidate: q1-2025\n", "  releaseCandidate: q1-2025\n  servingCandidate: q4-2024\n"
    )
    assert fleet.compile() == ["compiled 165 files into rendered/: 0 added, 6 changed, 0 removed"]
    fleet.valid_against_base()
    tenant = f"{PROD}/tenants/cherokee-nation"
    assert fleet.rendered_changes() == {  # its migrations rehearse q1-2025; its routes and table entry do not move
        f"M {tenant}/migrations.yaml",
        f"M {tenant}/provisioning.yaml",
        f"M {tenant}/schema-versions.yaml",
        f"M {PROD}/registry/service-versions.yaml",
        "M registry/service_versions.json",
        "M registry/service_versions.sql",
    }
    migrations = fleet.text(f"rendered/{tenant}/migrations.yaml")
    assert '- "--dry-run"\n' in migrations and "mission-service@" in migrations
    assert "relc.dev/serving-candidate: q4-2024\n" in fleet.text(f"rendered/{tenant}/provisioning.yaml")
    assert "cherokee-nation: q4-2024\n" in fleet.text(f"rendered/{PROD}/routing/q4-2024.yaml")
