"""A registry too large for one ConfigMap: the compiler shards it, and registry-sync loads the whole set or nothing.

One Instance with 5,000 tenants (bench/fleetgen.py) used to fail `relc compile` with "the service version
registry is 1583501 bytes, over 1000000" while `relc validate` passed. Here its ConfigMaps are mounted as the
rendered Job's projected volume would mount them, and the Job's own arguments run registry-sync against the real
PostgreSQL: the rows must be exactly the Instance's entries of registry/service_versions.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from compiler.render import registry
from compiler.render.shards import DATA_LIMIT
from tests.conftest import REPO
from tests.render.helpers import files

pytestmark = pytest.mark.postgres

INSTANCE = "inst-00"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], dict[str, Any], list[Any]]:
    """(the Instance's registry ConfigMaps, its registry-sync Job, its entries in service_versions.json)."""
    fleet = tmp_path_factory.mktemp("fleet") / "fleet"
    fleetgen = [
        sys.executable,
        str(REPO / "bench" / "fleetgen.py"),
        str(fleet),
        "--tenants",
        "5000",
        "--instances",
        "1",
    ]
    subprocess.run(fleetgen, check=True, capture_output=True)
    out = files(fleet, registry.render)
    *configmaps, job = out[f"instances/{INSTANCE}/registry/service-versions.yaml"].manifests()
    raw = out["registry/service_versions.json"].raw
    assert raw is not None
    return configmaps, job, [e for e in json.loads(raw)["entries"] if e["instance"] == INSTANCE]


def _mount(job: dict[str, Any], configmaps: list[dict[str, Any]], folder: Path) -> list[str]:
    """Write the ConfigMaps where the Job's projected volume puts them; the Job's args, pointed at ``folder``."""
    pod = job["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "registry"]
    (container,) = pod["containers"]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "registry"]
    by_name = {cm["metadata"]["name"]: cm for cm in configmaps}
    folder.mkdir()
    for source in volume["projected"]["sources"]:
        data = by_name[source["configMap"]["name"]]["data"]
        for item in source["configMap"]["items"]:
            (folder / item["path"]).write_text(data[item["key"]], encoding="utf-8")
    args: list[str] = container["args"]
    return [a.replace(mount["mountPath"], str(folder)) for a in args]


def _rows(pg: Any, database: str) -> list[tuple[Any, ...]]:
    with pg.connect(database) as conn:
        rows: list[tuple[Any, ...]] = conn.execute(
            "SELECT instance, service, version, cluster, environment, candidates, tenants"
            " FROM infra.service_versions ORDER BY 1, 2, 3"
        ).fetchall()
    return rows


def test_a_registry_over_one_configmap_is_sharded_and_synced_whole(
    rendered: tuple[list[dict[str, Any]], dict[str, Any], list[Any]], relc: Any, pg: Any, tmp_path: Path
) -> None:
    configmaps, job, entries = rendered
    payloads = [cm["data"][registry.CONFIGMAP_KEY] for cm in configmaps]
    assert sum(len(p) for p in payloads) > DATA_LIMIT  # the case: it does not fit in one
    assert len(configmaps) == 4 and max(len(p.encode()) for p in payloads) < DATA_LIMIT
    assert [cm["metadata"]["name"] for cm in configmaps] == [f"relc-service-versions-{i}-of-4" for i in range(1, 5)]
    assert max(len(line) for p in payloads for line in p.splitlines()) < 100  # one item per line

    with pg.connect() as conn:
        conn.execute("DROP DATABASE IF EXISTS relc_infra_shards")
        conn.execute("CREATE DATABASE relc_infra_shards")
    env = {"RELC_INFRA_DSN_FILE": "", "RELC_INFRA_DSN": pg.dsn("relc_infra_shards")}
    args = _mount(job, configmaps, tmp_path / "registry")
    assert args[0] == "registry-sync" and args.count("--registry-file") == 4
    run = relc(*args, **env)
    assert run.exit_code == 0, run.output
    assert (run.summary["entries"], run.summary["inserted"]) == (len(entries), len(entries))
    expected = [
        (e["instance"], e["service"], e["version"], e["cluster"], e["environment"], e["candidates"], e["tenants"])
        for e in entries
    ]
    assert _rows(pg, "relc_infra_shards") == expected
    assert sum(len(e["tenants"]) for e in entries) > 5_000  # tenants are in several entries each

    # one shard missing (a ConfigMap not applied yet): refused, nothing synced, no row lost
    incomplete = args[:-2]
    run = relc(*incomplete, **env)
    assert run.exit_code == 2
    assert run.summary["message"] == (
        "registry files: not one complete set of shards (have 0 of 4, 1 of 4, 2 of 4): nothing synced"
    )
    assert _rows(pg, "relc_infra_shards") == expected


def test_registry_sync_refuses_shards_that_disagree(relc: Any, tmp_path: Path) -> None:
    def shard(index: int, candidates: list[str], tenants: list[str]) -> Path:
        entry = {"instance": "i", "cluster": "c", "environment": "prod", "service": "auth", "version": "1.0.0",
                 "candidates": candidates, "tenants": tenants}  # fmt: skip
        document = {"apiVersion": "relc.dev/v1alpha1", "kind": "ServiceVersionRegistry", "entries": [entry],
                    "shard": {"index": index, "count": 2}}  # fmt: skip
        path = tmp_path / f"{index}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        return path

    first, second = shard(0, ["a"], ["t1"]), shard(1, ["b"], ["t2"])
    run = relc("registry-sync", "--registry-file", str(first), "--registry-file", str(second))
    assert run.exit_code == 2
    assert run.summary["message"] == (
        "registry files: shards disagree on i/auth/1.0.0 (cluster, environment or candidates)"
    )
