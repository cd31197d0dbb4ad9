"""Dependency checks across candidates and shared bundles (RLC401, RLC402, RLC404, RLC204), and what is skipped."""

from __future__ import annotations

from tests.resolve.fleets import FleetFiles


def _droneup(atlas: str = "3.1.0", mission: str = "2.2.3") -> FleetFiles:
    """A product candidate served by a shared services bundle, requirements both ways."""
    files = FleetFiles()
    files.add_blueprint("ops", {"mission-service": True, "frontend": False})
    files.add_blueprint("shared", {"atlas": True, "operational-api": False}, kind="sharedServices")
    files.add_version("mission-service", mission, [("atlas", ">=3.1.0")])
    files.add_version("frontend", "1.0.0", [("mission-service", ">=1.2.0")])
    files.add_version("atlas", atlas)
    files.add_version("operational-api", "2.4.0", [("mission-service", ">=1.2.0, <3.0.0")])
    files.add_candidate("q2", "ops", {"mission-service": mission, "frontend": "1.0.0"})
    files.add_candidate("shared-2025", "shared", {"atlas": atlas, "operational-api": "2.4.0"})
    files.add_release("droneup", ["q2"], shared="shared-2025")
    return files


def _report(files: FleetFiles) -> list[str]:
    return [f"{d.file}:{d.line} {d.code} {d.field}: {d.message}" for d in files.resolve().diagnostics]


def test_a_consistent_fleet_has_no_diagnostics_and_a_graph_of_pins() -> None:
    res = _droneup().resolve()
    assert res.diagnostics == ()
    assert sorted(res.graph.edges) == [
        ("frontend@1.0.0", "mission-service@2.2.3"),
        ("mission-service@2.2.3", "atlas@3.1.0"),
        ("operational-api@2.4.0", "mission-service@2.2.3"),
    ]
    edge = res.graph.edges["mission-service@2.2.3", "atlas@3.1.0"]
    assert edge == {"constraint": ">=3.1.0", "satisfied": True, "candidates": {"q2"}}
    assert res.graph.nodes["atlas@3.1.0"]["candidates"] == {"shared-2025"}
    assert res.served_by == {"q2": ("shared-2025",)}


def test_candidate_requiring_more_than_the_shared_bundle_pins() -> None:
    assert _report(_droneup(atlas="3.0.0")) == [
        "releases/global/droneup.yaml:5 RLC402 spec.candidates[0]: mission-service 2.2.3 in candidate q2 requires "
        "atlas >=3.1.0, but shared services bundle shared-2025 pins atlas 3.0.0"
    ]


def test_shared_service_requiring_more_than_a_candidate_pins() -> None:
    files = _droneup(mission="1.0.0")
    assert _report(files) == [
        "releases/candidates/q2.yaml:8 RLC401 spec.components.mission-service: frontend 1.0.0 requires "
        "mission-service >=1.2.0, but candidate q2 pins mission-service 1.0.0",
        "releases/global/droneup.yaml:5 RLC402 spec.candidates[0]: operational-api 2.4.0 in shared services bundle "
        "shared-2025 requires mission-service >=1.2.0, <3.0.0, but candidate q2 pins mission-service 1.0.0",
    ]
    hint = files.resolve().diagnostics[1].hint
    assert hint == (
        "pin mission-service at a version matching >=1.2.0, <3.0.0 (no described version matches yet) in candidate "
        "q2, or pin another operational-api version that accepts mission-service 1.0.0"
    )


def test_requirement_nothing_provides() -> None:
    files = _droneup()
    files.add_version("frontend", "1.0.0", [("billing", ">=1.0.0")])
    assert _report(files) == [
        "releases/candidates/q2.yaml:9 RLC404 spec.components.frontend: frontend 1.0.0 requires billing >=1.0.0, "
        "which candidate q2 does not pin and no global release offering it provides"
    ]


def test_requirement_missing_from_one_of_two_offering_releases() -> None:
    files = _droneup()
    files.add_release("other", ["q2"])
    assert _report(files) == [
        "releases/global/other.yaml:5 RLC404 spec.candidates[0]: mission-service 2.2.3 in candidate q2 requires "
        "atlas >=3.1.0, which neither the candidate nor the shared bundles of global release other provide"
    ]


def test_shared_requirement_on_a_service_a_candidate_lacks() -> None:
    files = _droneup()
    files.add_blueprint("web", {"site": False})
    files.add_version("site", "1.0.0")
    files.add_candidate("web-1", "web", {"site": "1.0.0"})
    files.add_release("droneup", ["q2", "web-1"], shared="shared-2025")
    assert _report(files) == [
        "releases/global/droneup.yaml:5 RLC404 spec.candidates[1]: operational-api 2.4.0 in shared services bundle "
        "shared-2025 requires mission-service >=1.2.0, <3.0.0, which candidate web-1 (offered beside it) does not pin"
    ]


def test_unparsable_range_is_reported_once_where_written_and_not_checked() -> None:
    files = _droneup()
    files.add_version("frontend", "1.0.0", [("mission-service", ">=1.2 <2")])
    files.add_candidate("q3", "ops", {"mission-service": "2.2.3", "frontend": "1.0.0"})
    files.add_release("droneup", ["q2", "q3"], shared="shared-2025")
    assert _report(files) == [
        "blueprints/components/frontend/1.0.0.yaml:9 RLC204 spec.requires[0].range: '>=1.2 <2' is not a version "
        "range: '1.2' is not a semantic version (MAJOR.MINOR.PATCH)"
    ]


def test_broken_references_are_left_to_their_rules() -> None:
    """Unknown blueprint, unknown shared bundle, undescribed version, unpinned blueprint component: no noise."""
    files = _droneup()
    files.add_candidate("q2", "ops", {"mission-service": "9.9.9"})  # frontend unpinned (RLC304), 9.9.9 undescribed
    files.add_candidate("lost", "no-such-blueprint", {"frontend": "1.0.0"}, order=["whatever"])
    files.add_release("droneup", ["q2", "lost", "ghost"], shared="no-such-bundle")
    res = files.resolve()
    assert res.diagnostics == ()
    assert res.migration_order("lost") == ()
    assert res.migration_order("q2") == ("mission-service",)


def test_example_fleet_resolves_clean_with_the_designed_orders(example_fleet_fleet: object) -> None:
    from compiler.resolve import Resolution

    assert isinstance(example_fleet_fleet, Resolution)
    res = example_fleet_fleet
    assert res.diagnostics == ()
    assert res.migration_order("platform-2025-07") == ("payments", "auth", "entity")
    # entity's migrations require payments >= 2.1.0 (migrations/entity/dependencies.yml): payments goes first
    assert res.migration_order("platform-2025-05") == ("auth", "payments", "entity")
    for name in ("q4-2024", "q1-2025", "q2-2025"):
        assert res.migration_order(name) == ("mission-service", "utm-mission-service")
    assert res.served_by["q2-2025"] == ("droneup-shared-infrastructure-2025-06", "droneup-shared-services-2025-06")
