"""RLC504 through the CLI on the example fleet: droneup-production and droneup-staging share cluster gke-prod and
tenant ``droneup``, so only their ``spec.gateway`` keeps their routes apart."""

from __future__ import annotations

from pathlib import Path

from tests.compile.util import relc, snapshot
from tests.conftest import TODAY
from tests.render.helpers import edit

STAGING = "instances/droneup-staging.yaml"
PRODUCTION = "instances/droneup-production.yaml"
HINT = "    hint: give each Instance on a shared Gateway its own spec.gateway.hostnames (or listener sectionName)\n"
PATHS = "paths /hubops-frontend, /mission-service, /uncrew-frontend and 1 more"


def _validate(fleet: Path) -> tuple[int, str]:
    result = relc("validate", "--root", str(fleet), "--today", TODAY)
    return result.exit_code, result.output


def _hostnames(fleet: Path, path: str, old: str, new: str) -> None:
    edit(fleet / path, f"    hostnames: [{old}]\n", f"    hostnames: [{new}]\n" if new else "")


def test_the_example_fleet_has_no_route_collision(example_fleet: Path) -> None:
    assert _validate(example_fleet) == (0, "no problems found\n")


def test_staging_with_productions_hostname_collides(example_fleet: Path) -> None:
    _hostnames(example_fleet, STAGING, "api.staging.droneup.example", "staging.droneup.example, api.droneup.example")
    before = snapshot(example_fleet)
    assert _validate(example_fleet) == (
        1,
        f"{STAGING}:22:42: error RLC504 route-collision [spec.gateway.hostnames[1]]: instance 'droneup-staging' "
        "routes tenant 'droneup' on Gateway gateway-system/relc on cluster 'gke-prod' (hostname api.droneup.example, "
        f"{PATHS}) with the same matches as instance 'droneup-production' ({PRODUCTION}): the Gateway sends each "
        "such request to the older route only\n" + HINT + "1 error(s), 0 warning(s) in 1 file(s)\n",
    )
    assert snapshot(example_fleet) == before


def test_two_instances_without_hostnames_collide_at_their_cluster(example_fleet: Path) -> None:
    _hostnames(example_fleet, STAGING, "api.staging.droneup.example", "")
    _hostnames(example_fleet, PRODUCTION, "api.droneup.example", "")
    assert _validate(example_fleet) == (
        1,
        f"{STAGING}:8:12: error RLC504 route-collision [spec.cluster]: instance 'droneup-staging' routes tenant "
        f"'droneup' on Gateway gateway-system/relc on cluster 'gke-prod' (any hostname, {PATHS}) with the same "
        f"matches as instance 'droneup-production' ({PRODUCTION}): the Gateway sends each such request to the older "
        "route only\n" + HINT + "1 error(s), 0 warning(s) in 1 file(s)\n",
    )


def test_one_instance_without_hostnames_beside_one_with_them_does_not_tie(example_fleet: Path) -> None:
    # The Gateway API prefers the route whose hostname matches: no tie, so no diagnostic.
    _hostnames(example_fleet, STAGING, "api.staging.droneup.example", "")
    assert _validate(example_fleet) == (0, "no problems found\n")


def test_distinct_listeners_keep_equal_hostnames_apart(example_fleet: Path) -> None:
    _hostnames(example_fleet, STAGING, "api.staging.droneup.example", "api.droneup.example")
    edit(example_fleet / STAGING, "  gateway:\n", "  gateway:\n    sectionName: staging\n")
    edit(example_fleet / PRODUCTION, "  gateway:\n", "  gateway:\n    sectionName: production\n")
    assert _validate(example_fleet) == (0, "no problems found\n")


def test_a_route_on_every_listener_meets_one_on_a_named_listener(example_fleet: Path) -> None:
    _hostnames(example_fleet, STAGING, "api.staging.droneup.example", "api.droneup.example")
    edit(example_fleet / PRODUCTION, "  gateway:\n", "  gateway:\n    sectionName: https\n")
    assert _validate(example_fleet) == (
        1,
        f"{STAGING}:22:17: error RLC504 route-collision [spec.gateway.hostnames[0]]: instance 'droneup-staging' "
        "routes tenant 'droneup' on Gateway gateway-system/relc on cluster 'gke-prod', listener 'https' "
        f"(hostname api.droneup.example, {PATHS}) with the same matches as instance 'droneup-production' "
        f"({PRODUCTION}): the Gateway sends each such request to the older route only\n"
        + HINT
        + "1 error(s), 0 warning(s) in 1 file(s)\n",
    )


def test_instances_on_different_clusters_never_collide(example_fleet: Path) -> None:
    _hostnames(example_fleet, STAGING, "api.staging.droneup.example", "api.droneup.example")
    edit(example_fleet / STAGING, "  cluster: gke-prod\n", "  cluster: gke-staging\n")
    assert _validate(example_fleet) == (0, "no problems found\n")
