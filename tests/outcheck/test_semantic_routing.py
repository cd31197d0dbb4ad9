"""RLC805 and RLC806 through ``relc validate --rendered`` on a copy of the golden rendered/, broken the way the issue
found it: staging's routes made identical to production's on the shared Gateway, and a backend without the weight
the HTTPRoute CRD defaults. (The golden tree itself passes: test_fleet_output.)"""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from compiler.cli import main
from tests.compile.util import snapshot
from tests.conftest import REPO
from tests.render.helpers import edit

STAGING = "rendered/instances/droneup-staging/tenants/droneup/routes.yaml"
PRODUCTION = "rendered/instances/droneup-production/tenants/droneup/routes.yaml"
MIGRATIONS = "rendered/instances/droneup-production/tenants/droneup/provisioning.yaml"


def _golden(tmp_path: Path) -> Path:
    root = tmp_path / "fleet"
    shutil.copytree(REPO / "rendered", root / "rendered")
    return root


def _validate(root: Path) -> Result:
    return CliRunner().invoke(main, ["validate", "--rendered", "--root", str(root), "--kubeconform", "off"])


def test_staging_routes_identical_to_production_are_a_tie(tmp_path: Path) -> None:
    root = _golden(tmp_path)
    edit(root / STAGING, "    - api.staging.droneup.example\n", "    - api.droneup.example\n")
    before = snapshot(root)
    result = _validate(root)
    assert result.exit_code == 1
    assert result.output == (
        f"{STAGING}:31:11: error RLC805 rendered-route-collision [spec.rules[0].matches[0]]: HTTPRoute "
        "droneup-staging-tenancy/droneup-routes ties with HTTPRoute droneup-production-tenancy/droneup-routes "
        f"({PRODUCTION}:31) on Gateway gateway-system/relc on cluster 'gke-prod' (hostname api.droneup.example; path "
        "PathPrefix /mission-service, header x-relc-tenant Exact droneup): the Gateway API gives identical matches "
        "to the older route, then the first by namespace/name, and the other still reports Accepted\n"
        "    hint: give the Instances distinct spec.gateway.hostnames (or listener sectionName) and run relc compile "
        "(relc validate reports it in the fleet as RLC504)\n"
        "1 error(s), 0 warning(s) in 1 file(s)\n"
    )
    assert snapshot(root) == before


def test_routes_on_different_listeners_do_not_tie_but_one_on_every_listener_does(tmp_path: Path) -> None:
    root = _golden(tmp_path)
    edit(root / STAGING, "    - api.staging.droneup.example\n", "    - api.droneup.example\n")
    edit(root / STAGING, "      kind: Gateway\n", "      kind: Gateway\n      sectionName: staging\n")
    edit(root / PRODUCTION, "      kind: Gateway\n", "      kind: Gateway\n      sectionName: production\n")
    assert _validate(root).exit_code == 0
    edit(root / PRODUCTION, "      sectionName: production\n", "")
    result = _validate(root)
    assert result.exit_code == 1
    assert "error RLC805 rendered-route-collision" in result.output and "1 error(s)" in result.output


def test_routes_of_instances_on_other_clusters_do_not_tie(tmp_path: Path) -> None:
    root = _golden(tmp_path)
    development = "rendered/instances/droneup-development/tenants/droneup/routes.yaml"
    edit(root / development, "    - api.dev.droneup.example\n", "    - api.droneup.example\n")
    text = (root / development).read_text()
    assert "droneup-development-" in text  # routes of gke-dev, not gke-prod
    assert _validate(root).exit_code == 0


def test_a_backend_without_its_defaulted_weight_is_reported(tmp_path: Path) -> None:
    root = _golden(tmp_path)
    text = (root / PRODUCTION).read_text()
    (root / PRODUCTION).write_text(text.replace("          weight: 1\n", "", 1))
    result = _validate(root)
    assert result.exit_code == 1
    assert result.output == (
        f"{PRODUCTION}:24:11: error RLC806 missing-server-default [spec.rules[0].backendRefs[0].weight]: HTTPRoute "
        "droneup-production-tenancy/droneup-routes omits spec.rules[0].backendRefs[0].weight, which the Gateway API "
        "v1.6.1 CRD defaults to 1: Argo CD's server-side diff does not apply CRD defaults, so the live object never "
        "matches and the Application stays OutOfSync\n"
        "    hint: write 'weight: 1' where the render section builds it, then run relc compile (never hand-edit "
        "rendered/)\n"
        "1 error(s), 0 warning(s) in 1 file(s)\n"
    )


def test_relcs_own_crd_defaults_are_checked_too(tmp_path: Path) -> None:
    root = _golden(tmp_path)
    edit(root / MIGRATIONS, '    gracePeriod: "30d"\n', "")
    result = _validate(root)
    assert result.exit_code == 1
    assert (
        "error RLC806 missing-server-default [spec.deletionPolicy.gracePeriod]: TenantProvisionJob "
        "droneup-production-tenancy/droneup omits spec.deletionPolicy.gracePeriod, which its CRD in rendered/ "
        'defaults to "30d"' in result.output
    )
