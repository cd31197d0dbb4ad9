"""``relc promote`` through the CLI on a real git repository: deterministic waves that grow as supersets,
Operators before their Agents, all-or-nothing refusal, --dry-run writing nothing."""

from __future__ import annotations

import hashlib
import json
import math

from tests.edit.conftest import FleetRepo

HORIZON = "tenants/droneup-production/horizon-aerobotics.yaml"
DRONEUP = "tenants/droneup-production/droneup.yaml"
INSTANCE = "droneup-production"


def add_agents(fleet: FleetRepo, count: int) -> list[str]:
    """``count`` Agents of droneup on q1-2025 beside horizon-aerobotics, written like it; committed."""
    template = (fleet.root / HORIZON).read_text()
    names = [f"agent-{n:02d}" for n in range(count)]
    for name in names:
        text = template.replace("horizon-aerobotics", name).replace("Horizon Aerobotics", name)
        (fleet.root / f"tenants/{INSTANCE}/{name}.yaml").write_text(text)
    fleet.commit("agents")
    return names


def pin_operator_to(fleet: FleetRepo, candidate: str) -> None:
    path = fleet.root / DRONEUP
    path.write_text(path.read_text().replace("releaseCandidate: q2-2025", f"releaseCandidate: {candidate}"))
    fleet.commit("operator")


def documented_wave(population: dict[str, str], to: str, percent: int) -> set[str]:
    """The README's rule, computed here on its own: Operators first, then sha256("<to>/<instance>/<tenant>")."""
    ordered = sorted(
        population,
        key=lambda n: (population[n] != "Operator", hashlib.sha256(f"{to}/{INSTANCE}/{n}".encode()).hexdigest()),
    )
    return set(ordered[: math.ceil(percent * len(ordered) / 100)])


def on(fleet: FleetRepo, candidate: str) -> set[str]:
    folder = fleet.root / "tenants" / INSTANCE
    return {p.stem for p in folder.glob("*.yaml") if f"releaseCandidate: {candidate}\n" in p.read_text()}


def test_waves_follow_the_documented_order_and_grow_as_supersets(fleet: FleetRepo) -> None:
    agents = add_agents(fleet, 30)
    population = {name: "Agent" for name in [*agents, "horizon-aerobotics"]} | {"droneup": "Operator"}
    moved: set[str] = set()
    for percent in (1, 10, 50, 100):
        before = on(fleet, "q2-2025")
        result = fleet.relc(
            "promote", "--from", "q1-2025", "--to", "q2-2025", "--instance", INSTANCE, "--wave", f"{percent}%"
        )
        assert result.exit_code == 0, result.output
        expected = documented_wave(population, "q2-2025", percent)
        assert on(fleet, "q2-2025") == expected | {"droneup"}
        assert before <= on(fleet, "q2-2025")  # a superset of the wave before
        assert len(fleet.diff_lines()) == 2 * len(expected - {"droneup"})  # one -/+ pair per moved tenant
        moved = expected
    assert moved == set(population)
    assert on(fleet, "q1-2025") == set()


def test_the_plan_text_and_dry_run(fleet: FleetRepo) -> None:
    add_agents(fleet, 3)
    args = ("promote", "--from", "q1-2025", "--to", "q2-2025", "--instance", INSTANCE, "--wave", "50%")
    wave = documented_wave(
        {"droneup": "Operator", "horizon-aerobotics": "Agent", "agent-00": "Agent", "agent-01": "Agent"}
        | {"agent-02": "Agent"},
        "q2-2025",
        50,
    )
    moving = sorted(wave - {"droneup"})
    plan = [f"  tenants/{INSTANCE}/{name}.yaml:11: {INSTANCE}/{name}: q1-2025 -> q2-2025" for name in moving]

    dry = fleet.relc(*args, "--dry-run")

    assert dry.exit_code == 0, dry.output
    assert dry.stdout == "\n".join(
        [
            "promote q1-2025 -> q2-2025: wave 50% of 5 tenant(s) on q1-2025 or q2-2025 = 3, 1 of them already on"
            f" q2-2025; {len(moving)} to move (dry run)",
            *plan,
            "",
        ]
    )
    assert fleet.status() == ""

    real = fleet.relc(*args, "--format", "json")

    assert real.exit_code == 0, real.output
    report = json.loads(real.stdout)
    assert [m["tenant"] for m in report["moves"]] == moving
    assert report["written"] == [f"tenants/{INSTANCE}/{name}.yaml" for name in moving]
    assert (report["population"], report["wave"], report["dryRun"], report["refused"]) == (5, 50, False, False)


def test_operators_move_before_their_agents(fleet: FleetRepo) -> None:
    pin_operator_to(fleet, "q1-2025")
    add_agents(fleet, 8)

    result = fleet.relc("promote", "--from", "q1-2025", "--to", "q2-2025", "--instance", INSTANCE, "--wave", "10%")

    assert result.exit_code == 0, result.output
    assert on(fleet, "q2-2025") == {"droneup"}  # the first of 10 is the Operator, whatever the hashes say
    assert fleet.status() == f" M {DRONEUP}"


def test_an_agent_named_before_its_operator_is_moved_with_a_note(fleet: FleetRepo) -> None:
    pin_operator_to(fleet, "q1-2025")

    result = fleet.relc(
        "promote", "--from", "q1-2025", "--to", "q2-2025", "--tenants", "horizon-aerobotics", "--instance", INSTANCE
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "promote q1-2025 -> q2-2025: the 1 tenant(s) named; 1 to move\n"
        f"  {HORIZON}:11: {INSTANCE}/horizon-aerobotics: q1-2025 -> q2-2025\n"
        f"  note: {INSTANCE}/horizon-aerobotics moves before its Operator droneup, which stays on q1-2025\n"
        f"wrote {HORIZON}\n"
    )


def test_a_selector_narrows_the_population(fleet: FleetRepo) -> None:
    pin_operator_to(fleet, "q1-2025")
    add_agents(fleet, 2)

    result = fleet.relc(
        "promote", "--from", "q1-2025", "--to", "q2-2025", "--selector", "role=Agent", "--format", "json"
    )

    assert result.exit_code == 0, result.output
    assert on(fleet, "q1-2025") == {"droneup"}
    assert json.loads(result.stdout)["population"] == 3


def test_a_wave_that_would_not_validate_is_refused_whole(fleet: FleetRepo) -> None:
    add_agents(fleet, 2)

    result = fleet.relc("promote", "--from", "q1-2025", "--to", "platform-2025-07", "--instance", INSTANCE)

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "promote q1-2025 -> platform-2025-07: wave 100% of 3 tenant(s) on q1-2025 or platform-2025-07 = 3, 0 of them"
        " already on platform-2025-07; 3 to move"
    )
    assert [line.split(": error ")[0] for line in lines if ": error " in line] == [
        f"tenants/{INSTANCE}/agent-00.yaml:11:21",
        f"tenants/{INSTANCE}/agent-01.yaml:11:21",
        f"{HORIZON}:11:21",
    ]
    assert lines[-1] == "refused: the fleet would not validate after this change; no file was written"
    assert fleet.status() == ""


def test_usage_errors(fleet: FleetRepo) -> None:
    both = fleet.relc("promote", "--from", "q1-2025", "--to", "q2-2025", "--tenants", "x", "--wave", "10%")
    percent = fleet.relc("promote", "--from", "q1-2025", "--to", "q2-2025", "--wave", "0%")
    other = fleet.relc("promote", "--from", "q4-2024", "--to", "q2-2025", "--tenants", "horizon-aerobotics")

    assert (both.exit_code, percent.exit_code, other.exit_code) == (2, 2, 2)
    assert "--tenants names the tenants: it cannot be combined with --wave or --selector" in both.stderr
    assert "'0%' is not a percentage above 0% and at most 100%" in percent.stderr
    assert other.stderr == (
        "relc: error: tenant 'horizon-aerobotics' pins 'q1-2025', not 'q4-2024'\n"
        "  hint: promote moves tenants off --from only: use relc pin for this one\n"
    )
    assert fleet.status() == ""


def test_a_removed_tenant_is_not_promoted(fleet: FleetRepo) -> None:
    add_agents(fleet, 2)
    removed = fleet.relc("tenant", "remove", "agent-00", "--instance", INSTANCE, "--deletion", "retained")
    assert removed.exit_code == 0, removed.output
    fleet.commit("agent-00 removed")

    result = fleet.relc("promote", "--from", "q1-2025", "--to", "q2-2025", "--wave", "100%", "--format", "json")

    assert result.exit_code == 0, result.output
    assert on(fleet, "q1-2025") == {"agent-00"}  # the tombstone keeps its pin: nothing of it runs
    assert "agent-00" not in {m["tenant"] for m in json.loads(result.stdout)["moves"]}
