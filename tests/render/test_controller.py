"""MigrationControllerConfig: one per cluster, the strictest limits of the Instances sharing it."""

from __future__ import annotations

from pathlib import Path

from compiler.render import controller
from tests.render.helpers import edit, files


def test_one_config_per_cluster(example_fleet: Path) -> None:
    out = files(example_fleet, controller.render)
    assert sorted(out) == [
        f"clusters/{c}/migration-controller-config.yaml" for c in ("gke-dev", "gke-prod", "prod", "qa", "test")
    ]
    (doc,) = out["clusters/test/migration-controller-config.yaml"].manifests()
    assert "namespace" not in doc["metadata"]  # cluster-scoped
    assert doc["spec"] == {
        "cluster": "test",
        "concurrency": 3,
        "timeout": "10m",
        "retries": 2,
        "instances": [
            {
                "name": "arematics-test",
                "namespace": "arematics-test-tenancy",
                "environment": "test",
                "concurrency": 3,
                "timeout": "10m",
                "retries": 2,
            }
        ],
    }


def test_shared_cluster_takes_the_strictest_values(example_fleet: Path) -> None:
    edit(
        example_fleet / "instances/droneup-staging.yaml",
        "  migration:\n",
        "  migration:\n    concurrency: 1\n    timeout: 5m\n    retries: 4\n",
    )
    out = files(example_fleet, controller.render)
    (doc,) = out["clusters/gke-prod/migration-controller-config.yaml"].manifests()
    spec = doc["spec"]
    assert (spec["concurrency"], spec["timeout"], spec["retries"]) == (1, "5m", 2)
    assert [(i["name"], i["concurrency"], i["retries"]) for i in spec["instances"]] == [
        ("droneup-production", 3, 2),
        ("droneup-staging", 1, 4),
    ]
