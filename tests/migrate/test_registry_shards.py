"""A registry too large for one ConfigMap: the compiler shards it, and registry-sync loads the whole set or nothing.

One Instance with 5,000 tenants (bench/fleetgen.py) used to fail `relc compile` with "the service version
registry is 1583501 bytes, over 1000000" while `relc validate` passed. Since the registry lists one line per
tenant (not every tenant per version) 5,000 tenants fit in one ConfigMap, so here the limit is lowered to make
a 2,000-tenant Instance need four. Its ConfigMaps are mounted as the rendered Job's projected volume would mount
them, and the Job's own arguments run registry-sync against the real PostgreSQL: the rows must be exactly what
registry/service_versions.json means (relc_contract.registry_entries), and what registry/service_versions.sql
writes when psql runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import relc_contract as contract
from compiler.render import registry, shards
from tests.conftest import REPO
from tests.render.helpers import edit, files

pytestmark = pytest.mark.postgres

INSTANCE = "inst-00"
LIMIT = 30_000
"""The ConfigMap data limit for this test: the 2,000 tenants' ~50 KB registry then needs four shards."""


@pytest.fixture(scope="module")
def rendered(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[dict[str, Any]], dict[str, Any], list[contract.ServiceVersionEntry], str]:
    """(the Instance's registry ConfigMaps, its registry-sync Job, the rows service_versions.json means, the SQL)."""
    fleet = tmp_path_factory.mktemp("fleet") / "fleet"
    fleetgen = [
        sys.executable,
        str(REPO / "bench" / "fleetgen.py"),
        str(fleet),
        "--tenants",
        "2000",
        "--instances",
        "1",
    ]
    subprocess.run(fleetgen, check=True, capture_output=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shards, "DATA_LIMIT", LIMIT)
        patch.setattr(shards, "BUDGET", LIMIT // 2)
        out = files(fleet, registry.render)
    *configmaps, job = out[f"instances/{INSTANCE}/registry/service-versions.yaml"].manifests()
    raw, sql = out["registry/service_versions.json"].raw, out["registry/service_versions.sql"].raw
    assert raw is not None and sql is not None
    return configmaps, job, contract.registry_entries(json.loads(raw)["instances"]), sql.decode()


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


def _fresh(pg: Any, database: str) -> dict[str, str]:
    with pg.connect() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database}")
        conn.execute(f"CREATE DATABASE {database}")
    return {"RELC_INFRA_DSN_FILE": "", "RELC_INFRA_DSN": pg.dsn(database)}


def _psql(pg: Any, database: str, sql: str, folder: Path) -> None:
    """Run ``sql`` as a user of the SQL file would: psql, stopping at the first error."""
    path = folder / "service_versions.sql"
    path.write_text(sql, encoding="utf-8")
    psql = [str(pg.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(path), pg.dsn(database)]
    subprocess.run(psql, check=True, capture_output=True)


def _expected(entries: list[contract.ServiceVersionEntry]) -> list[tuple[Any, ...]]:
    return [
        (e["instance"], e["service"], e["version"], e["cluster"], e["environment"], e["candidates"], e["tenants"])
        for e in entries
    ]


def _rows(pg: Any, database: str) -> list[tuple[Any, ...]]:
    with pg.connect(database) as conn:
        rows: list[tuple[Any, ...]] = conn.execute(
            "SELECT instance, service, version, cluster, environment, candidates, tenants"
            " FROM infra.service_versions ORDER BY 1, 2, 3"
        ).fetchall()
    return rows


Rendered = tuple[list[dict[str, Any]], dict[str, Any], list[contract.ServiceVersionEntry], str]


def test_a_registry_over_one_configmap_is_sharded_and_synced_whole(
    rendered: Rendered, relc: Any, pg: Any, tmp_path: Path
) -> None:
    configmaps, job, entries, sql = rendered
    payloads = [cm["data"][registry.CONFIGMAP_KEY] for cm in configmaps]
    assert sum(len(p) for p in payloads) > LIMIT  # it does not fit in one
    assert len(configmaps) == 4 and max(len(p.encode()) for p in payloads) < LIMIT
    assert [cm["metadata"]["name"] for cm in configmaps] == [f"relc-service-versions-{i}-of-4" for i in range(1, 5)]
    assert max(len(line) for p in payloads for line in p.splitlines()) < 100  # one item per line

    env = _fresh(pg, "relc_infra_shards")
    args = _mount(job, configmaps, tmp_path / "registry")
    assert args[0] == "registry-sync" and args.count("--registry-file") == 4
    run = relc(*args, **env)
    assert run.exit_code == 0, run.output
    assert (run.summary["entries"], run.summary["inserted"]) == (len(entries), len(entries))
    expected = _expected(entries)
    assert _rows(pg, "relc_infra_shards") == expected
    assert sum(len(e["tenants"]) for e in entries) > 2_000  # tenants are in several rows each

    # the SQL file, run by psql on an empty database, writes the same rows; run again, it changes none
    _fresh(pg, "relc_infra_sql")
    _psql(pg, "relc_infra_sql", sql, tmp_path)
    assert _rows(pg, "relc_infra_sql") == expected
    with pg.connect("relc_infra_sql") as conn:
        stamps = conn.execute("SELECT max(synced_at) FROM infra.service_versions").fetchone()
    _psql(pg, "relc_infra_sql", sql, tmp_path)
    with pg.connect("relc_infra_sql") as conn:
        assert conn.execute("SELECT max(synced_at) FROM infra.service_versions").fetchone() == stamps

    # one shard missing (a ConfigMap not applied yet): refused, nothing synced, no row lost
    incomplete = args[:-2]
    run = relc(*incomplete, **env)
    assert run.exit_code == 2
    assert run.summary["message"] == (
        "registry files: not one complete set of shards (have 0 of 4, 1 of 4, 2 of 4): nothing synced"
    )
    assert _rows(pg, "relc_infra_shards") == expected


def _shard(folder: Path, index: int, version: str, tenants: dict[str, list[str]]) -> Path:
    part = {"instance": "i", "cluster": "c", "environment": "prod", "candidates": {"a": {"auth": version}},
            "shared": [], "tenants": tenants}  # fmt: skip
    document = {"apiVersion": "relc.dev/v1alpha2", "kind": "ServiceVersionRegistry", "instances": [part],
                "shard": {"index": index, "count": 2}}  # fmt: skip
    path = folder / f"{index}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_registry_sync_refuses_shards_that_disagree(relc: Any, tmp_path: Path) -> None:
    t0, t1 = (next(f"t{n}" for n in range(100) if contract.shard_of(f"t{n}", 2) == index) for index in (0, 1))
    first, second = _shard(tmp_path, 0, "1.0.0", {t0: ["a"]}), _shard(tmp_path, 1, "1.1.0", {t1: ["a"]})
    run = relc("registry-sync", "--registry-file", str(first), "--registry-file", str(second))
    assert run.exit_code == 2
    assert (
        run.summary["message"] == "registry files: shards disagree on instance i (cluster, environment or candidates)"
    )


def test_registry_sync_refuses_a_tenant_in_another_shard(relc: Any, tmp_path: Path) -> None:
    """A shard holds the tenants whose name hashes to it: a set assembled from two registries is refused."""
    t1 = next(f"t{n}" for n in range(100) if contract.shard_of(f"t{n}", 2) == 1)
    first, second = _shard(tmp_path, 0, "1.0.0", {t1: ["a"]}), _shard(tmp_path, 1, "1.0.0", {})
    run = relc("registry-sync", "--registry-file", str(first), "--registry-file", str(second))
    assert run.exit_code == 2
    assert run.summary["message"] == f"registry files: tenant i/{t1} is in shard 0 of 2, not its own"


def test_the_sql_file_and_registry_sync_agree_on_the_example_fleet(
    example_fleet: Path, relc: Any, pg: Any, tmp_path: Path
) -> None:
    """Shared bundles (every tenant uses them), warm candidates (no tenant) and versions pinned by several
    candidates: the SQL's join and relc_contract.registry_entries mean the same rows."""
    edit(
        example_fleet / "tenants/droneup-staging/droneup.yaml", "releaseCandidate: q2-2025", "releaseCandidate: q1-2025"
    )
    out = files(example_fleet, registry.render)  # droneup-staging keeps q2-2025 warm, with no tenant
    raw, sql = out["registry/service_versions.json"].raw, out["registry/service_versions.sql"].raw
    assert raw is not None and sql is not None
    entries = contract.registry_entries(json.loads(raw)["instances"])
    assert any(e["tenants"] == [] for e in entries) and any(len(e["candidates"]) > 1 for e in entries)
    path = tmp_path / "service_versions.json"
    path.write_bytes(raw)
    run = relc("registry-sync", "--registry-file", str(path), **_fresh(pg, "relc_infra_example"))
    assert run.exit_code == 0, run.output
    _fresh(pg, "relc_infra_example_sql")
    _psql(pg, "relc_infra_example_sql", sql.decode(), tmp_path)
    assert _rows(pg, "relc_infra_example") == _rows(pg, "relc_infra_example_sql") == _expected(entries)


def test_a_tenant_counted_under_two_candidates_is_in_both_rows_either_way(relc: Any, pg: Any, tmp_path: Path) -> None:
    """A tenant a render counts under two candidates (one serving it while it rehearses the other) lists both;
    the SQL file and registry-sync then put it in the rows of both candidates' versions, and of the shared
    bundle's, once."""
    part: contract.RegistryInstance = {
        "instance": "i", "cluster": "c", "environment": "prod",
        "candidates": {"a": {"auth": "1.0.0", "web": "2.0.0"}, "b": {"auth": "1.1.0", "web": "2.0.0"},
                       "s": {"pg": "15.8.0"}},
        "shared": ["s"], "tenants": {"t1": ["a"], "t2": ["a", "b"]},
    }  # fmt: skip
    entries = contract.registry_entries([part])
    assert [(e["service"], e["version"], e["candidates"], e["tenants"]) for e in entries] == [
        ("auth", "1.0.0", ["a"], ["t1", "t2"]),
        ("auth", "1.1.0", ["b"], ["t2"]),
        ("pg", "15.8.0", ["s"], ["t1", "t2"]),
        ("web", "2.0.0", ["a", "b"], ["t1", "t2"]),
    ]
    path = tmp_path / "service_versions.json"
    path.write_text(registry.registry_text(registry.registry_document([part]), indent=1), encoding="utf-8")
    assert '"t2": ["a", "b"]' in path.read_text(encoding="utf-8")  # still one line per tenant
    run = relc("registry-sync", "--registry-file", str(path), **_fresh(pg, "relc_infra_two"))
    assert run.exit_code == 0, run.output
    _fresh(pg, "relc_infra_two_sql")
    _psql(pg, "relc_infra_two_sql", registry.registry_sql([part]), tmp_path)
    assert _rows(pg, "relc_infra_two") == _rows(pg, "relc_infra_two_sql") == _expected(entries)
