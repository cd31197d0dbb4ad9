"""`relc graph` and the dependency diagnostics through the real CLI, on real files."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from compiler.cli import main
from tests.conftest import EXAMPLES, REPO, TODAY

BASE_MERMAID = """\
graph TD
  %% migration order platform-2025-05: auth, entity, payments
  %% migration order platform-2025-07: payments, auth, entity
  subgraph platform_2025_05["candidate platform-2025-05"]
    platform_2025_05__auth["auth 1.2.0<br/>migration 1"]
    platform_2025_05__entity["entity 2.0.0<br/>migration 2"]
    platform_2025_05__payments["payments 2.0.0<br/>migration 3"]
  end
  subgraph platform_2025_07["candidate platform-2025-07"]
    platform_2025_07__auth["auth 1.4.0<br/>migration 2"]
    platform_2025_07__entity["entity 2.3.0<br/>migration 3"]
    platform_2025_07__payments["payments 2.1.0<br/>migration 1"]
  end
  platform_2025_05__entity -->|">=1.0.0"| platform_2025_05__auth
  platform_2025_07__auth -->|">=2.0.0"| platform_2025_07__payments
  platform_2025_07__entity -->|">=1.2.0"| platform_2025_07__auth
  platform_2025_07__entity -->|">=2.1.0"| platform_2025_07__payments
"""

BASE_DOT_07 = """\
digraph relc {
  rankdir=TB;
  node [shape=box];
  // migration order platform-2025-07: payments, auth, entity
  subgraph "cluster_platform-2025-07" {
    label="candidate platform-2025-07";
    "platform-2025-07/auth" [label="auth 1.4.0\\nmigration 2"];
    "platform-2025-07/entity" [label="entity 2.3.0\\nmigration 3"];
    "platform-2025-07/payments" [label="payments 2.1.0\\nmigration 1"];
  }
  "platform-2025-07/auth" -> "platform-2025-07/payments" [label=">=2.0.0"];
  "platform-2025-07/entity" -> "platform-2025-07/auth" [label=">=1.2.0"];
  "platform-2025-07/entity" -> "platform-2025-07/payments" [label=">=2.1.0"];
}
"""


def graph(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["graph", "--root", str(root), "--today", TODAY, *args])


def test_mermaid_of_the_base_fleet() -> None:
    result = graph(EXAMPLES / "base")
    assert result.exit_code == 0, result.output
    assert result.output == BASE_MERMAID


def test_dot_of_one_candidate() -> None:
    result = graph(EXAMPLES / "base", "--format", "dot", "--candidate", "platform-2025-07")
    assert result.exit_code == 0, result.output
    assert result.output == BASE_DOT_07


def test_full_dot_has_a_cluster_per_candidate() -> None:
    result = graph(EXAMPLES / "base", "--format", "dot")
    assert result.exit_code == 0, result.output
    assert result.output.count('subgraph "cluster_') == 2
    assert '"platform-2025-05/entity" -> "platform-2025-05/auth" [label=">=1.0.0"];' in result.output


def test_candidate_view_includes_the_shared_bundles_serving_it(example_fleet: Path) -> None:
    result = graph(example_fleet, "--candidate", "q4-2024")
    assert result.exit_code == 0, result.output
    subgraphs = [line.strip() for line in result.output.splitlines() if line.strip().startswith("subgraph")]
    assert subgraphs == [
        'subgraph q4_2024["candidate q4-2024"]',
        'subgraph droneup_shared_infrastructure_2025_06["shared infrastructure bundle '
        'droneup-shared-infrastructure-2025-06"]',
        'subgraph droneup_shared_services_2025_06["shared services bundle droneup-shared-services-2025-06"]',
    ]
    assert '  q4_2024__mission_service -->|">=3.0.0"| droneup_shared_services_2025_06__atlas' in result.output
    assert '  droneup_shared_services_2025_06__operational_api -->|">=1.2.0"| q4_2024__mission_service' in result.output


def test_output_is_deterministic(example_fleet: Path) -> None:
    assert graph(example_fleet).output == graph(example_fleet).output


def test_unknown_candidate_is_a_usage_error() -> None:
    result = graph(EXAMPLES / "base", "--candidate", "platform-2025-7")
    assert result.exit_code == 2
    assert "release candidate 'platform-2025-7' does not exist" in result.output
    assert "did you mean 'platform-2025-07'?" in result.output


def test_invalid_fleet_prints_diagnostics_and_exits_1(base_fleet: Path) -> None:
    path = base_fleet / "releases/candidates/platform-2025-05.yaml"
    path.write_text(path.read_text().replace("entity: 2.0.0", "entity: 2.3.0"))
    result = graph(base_fleet)
    assert result.exit_code == 1
    assert "graph TD" not in result.output
    assert result.output == (
        "releases/candidates/platform-2025-05.yaml:12:15: error RLC401 unsatisfied-dependency "
        "[spec.components.payments]: entity 2.3.0 requires payments >=2.1.0, but candidate platform-2025-05 pins "
        "payments 2.0.0\n"
        "    hint: pin payments at a version matching >=2.1.0 (described: 2.1.0) in candidate platform-2025-05, "
        "or pin another entity version that accepts payments 2.0.0\n"
        "1 error(s), 0 warning(s) in 1 file(s)\n"
    )


def test_validate_reports_a_cycle_at_the_candidate(base_fleet: Path) -> None:
    path = base_fleet / "blueprints/components/payments/2.1.0.yaml"
    path.write_text(path.read_text() + "  requires:\n    - service: auth\n      minVersion: 1.0.0\n")
    result = CliRunner().invoke(main, ["validate", "--root", str(base_fleet), "--today", TODAY, "--format", "json"])
    assert result.exit_code == 1
    (found,) = json.loads(result.output)["diagnostics"]
    assert (found["file"], found["line"], found["code"], found["field"]) == (
        "releases/candidates/platform-2025-07.yaml",
        10,
        "RLC403",
        "spec.components.auth",
    )
    assert found["message"] == "dependency cycle in candidate platform-2025-07: auth -> payments -> auth"


def test_readme_sample_is_what_relc_graph_prints(example_fleet: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("<!-- graph:begin -->") : readme.index("<!-- graph:end -->")]
    sample = section.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert graph(example_fleet, "--candidate", "platform-2025-07").output == sample
