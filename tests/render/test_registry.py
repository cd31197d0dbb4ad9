"""The service version registry: JSON for registry-sync, idempotent SQL, and a ConfigMap per Instance."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pglast
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relc_contract as contract
from compiler.render import registry
from compiler.render.registry import UnquotableText, quote_literal
from tests.render.helpers import edit, files


def _registry(root: Path) -> dict[str, Any]:
    out = files(root, registry.render)
    raw = out["registry/service_versions.json"].raw
    assert raw is not None
    data: dict[str, Any] = json.loads(raw)
    return data


def _entry(data: dict[str, Any], instance: str, service: str) -> list[contract.ServiceVersionEntry]:
    """The rows of infra.service_versions the file means, as registry-sync expands them."""
    rows = contract.registry_entries(data["instances"])
    return [e for e in rows if e["instance"] == instance and e["service"] == service]


def test_format_and_order(example_fleet: Path) -> None:
    data = _registry(example_fleet)
    assert list(data) == ["apiVersion", "kind", "instances"]
    assert (data["apiVersion"], data["kind"]) == ("relc.dev/v1alpha2", "ServiceVersionRegistry")
    names = [part["instance"] for part in data["instances"]]
    assert names == sorted(names) and len(set(names)) == len(names)
    for part in data["instances"]:
        assert list(part) == ["instance", "cluster", "environment", "candidates", "shared", "tenants"]
        assert list(part["candidates"]) == sorted(part["candidates"]) and list(part["tenants"]) == sorted(
            part["tenants"]
        )
        for versions in part["candidates"].values():
            assert list(versions) == sorted(versions)
            assert not any(version.startswith("v") for version in versions.values())
        used = {c for candidates in part["tenants"].values() for c in candidates}
        assert set(part["shared"]) <= set(part["candidates"]) and used <= set(part["candidates"])
    (prod,) = [part for part in data["instances"] if part["instance"] == "arematics-prod"]
    assert prod["tenants"] == {"acme": ["platform-2025-07"], "xyz": ["platform-2025-05"]}  # one line per tenant
    assert prod["candidates"]["platform-2025-05"] == {"auth": "1.2.0", "entity": "2.0.0", "payments": "2.1.0"}


def test_each_candidate_in_use_brings_its_versions_and_tenants(example_fleet: Path) -> None:
    data = _registry(example_fleet)
    assert _entry(data, "arematics-prod", "auth") == [
        {
            "instance": "arematics-prod",
            "cluster": "prod",
            "environment": "prod",
            "service": "auth",
            "version": "1.2.0",
            "candidates": ["platform-2025-05"],
            "tenants": ["xyz"],
        },
        {
            "instance": "arematics-prod",
            "cluster": "prod",
            "environment": "prod",
            "service": "auth",
            "version": "1.4.0",
            "candidates": ["platform-2025-07"],
            "tenants": ["acme"],
        },
    ]
    # uncrew-frontend 1.0.3 is pinned by all three droneup candidates: one row, every user listed
    (uncrew,) = _entry(data, "droneup-production", "uncrew-frontend")
    assert uncrew["candidates"] == ["q1-2025", "q2-2025", "q4-2024"]
    assert uncrew["tenants"] == ["cherokee-nation", "droneup", "horizon-aerobotics"]


def test_shared_bundles_serve_every_tenant(example_fleet: Path) -> None:
    data = _registry(example_fleet)
    (production,) = [part for part in data["instances"] if part["instance"] == "droneup-production"]
    assert production["shared"] == ["droneup-shared-infrastructure-2025-06", "droneup-shared-services-2025-06"]
    (atlas,) = _entry(data, "droneup-production", "atlas")
    assert atlas["candidates"] == ["droneup-shared-services-2025-06"]
    assert atlas["tenants"] == ["cherokee-nation", "droneup", "horizon-aerobotics"]
    assert [e["version"] for e in _entry(data, "droneup-production", "postgresql")] == ["15.8.0"]


def test_warm_candidate_without_tenants_still_runs(example_fleet: Path) -> None:
    edit(
        example_fleet / "tenants/droneup-staging/droneup.yaml", "releaseCandidate: q2-2025", "releaseCandidate: q1-2025"
    )
    data = _registry(example_fleet)
    versions = {e["version"]: e for e in _entry(data, "droneup-staging", "mission-service")}
    assert versions["2.2.3"]["candidates"] == ["q2-2025"] and versions["2.2.3"]["tenants"] == []
    assert versions["2.0.0"]["tenants"] == ["droneup"]
    assert "1.2.3" not in versions  # q4-2024 is offered, but nobody uses it and it is not warm


def test_configmap_per_instance_carries_its_part(example_fleet: Path) -> None:
    out = files(example_fleet, registry.render)
    cm, _ = out["instances/arematics-qa/registry/service-versions.yaml"].manifests()
    assert cm["kind"] == "ConfigMap" and cm["metadata"]["namespace"] == "arematics-qa-tenancy"
    payload = json.loads(cm["data"][registry.CONFIGMAP_KEY])
    every = _registry(example_fleet)["instances"]
    assert payload["instances"] == [part for part in every if part["instance"] == "arematics-qa"]
    assert cm["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == "ServerSideApply=true"
    assert payload["shard"] == {"index": 0, "count": 1}  # a small registry is one ConfigMap: shard 0 of 1
    assert max(len(line) for line in cm["data"][registry.CONFIGMAP_KEY].splitlines()) < 80  # one item per line


def test_sql_is_deterministic_parses_and_covers_every_row(example_fleet: Path) -> None:
    first = files(example_fleet, registry.render)["registry/service_versions.sql"].raw
    second = files(example_fleet, registry.render)["registry/service_versions.sql"].raw
    assert first is not None and first == second
    sql = first.decode()
    statements = pglast.parse_sql(sql)
    kinds = [type(s.stmt).__name__ for s in statements]
    assert kinds[0] == "TransactionStmt" and kinds[-1] == "TransactionStmt"
    assert kinds.count("CreateStmt") == 1 + 3  # the table, and the registry's three parts as temporary tables
    assert kinds.count("InsertStmt") == 3 + 1  # the three parts' lines, then the upsert of the rows they mean
    assert kinds.count("DeleteStmt") == 1
    assert "ON CONFLICT (instance, service, version) DO UPDATE" in sql
    data = _registry(example_fleet)
    pins = [f"    ({quote_literal(p['instance'])}, {quote_literal(t)}, {quote_literal(c)})"
            for p in data["instances"] for t, used in p["tenants"].items() for c in used]  # fmt: skip
    assert set(pins) <= {line.rstrip(",;") for line in sql.splitlines()}  # one line per tenant


def test_instance_without_tenants_or_candidates_still_owns_its_rows() -> None:
    """An Instance that runs nothing is listed, so the SQL deletes its old rows (registry-sync does the same)."""
    gone: contract.RegistryInstance = {
        "instance": "gone", "cluster": "c", "environment": "prod", "candidates": {}, "shared": [], "tenants": {}
    }  # fmt: skip
    sql = registry.registry_sql([gone])
    assert "INSERT INTO relc_instances VALUES\n    ('gone', 'c', 'prod');\n" in sql
    assert "INSERT INTO relc_pins" not in sql and "INSERT INTO relc_versions" not in sql
    pglast.parse_sql(sql)


def _rendered_texts(root: Path) -> dict[str, str]:
    out = files(root, registry.render)
    texts = {path: f.raw.decode() for path, f in out.items() if f.raw is not None}
    (cm, _) = out["instances/droneup-production/registry/service-versions.yaml"].manifests()
    texts["configmap"] = cm["data"][registry.CONFIGMAP_KEY]
    return texts


def test_a_pin_move_changes_one_line_of_each_copy(example_fleet: Path) -> None:
    """What a reviewer sees of the registry when a tenant moves between two deployed candidates: its own line in
    each of the three copies, whatever the number of versions the candidates pin or of tenants using them."""
    instance = example_fleet / "instances/droneup-production.yaml"
    instance.write_text(instance.read_text() + "  warmCandidates: [q1-2025]\n")  # q1-2025 stays deployed
    before = _rendered_texts(example_fleet)
    edit(example_fleet / "tenants/droneup-production/horizon-aerobotics.yaml", "q1-2025", "q2-2025")
    after = _rendered_texts(example_fleet)
    assert sorted(before) == sorted(after) == ["configmap", registry.JSON_FILE, registry.SQL_FILE]
    for name, text in before.items():
        changed = [
            line
            for line in difflib.unified_diff(text.splitlines(), after[name].splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and line[:3] not in ("+++", "---")
        ]
        assert len(changed) == 2, (name, changed)
        assert "horizon-aerobotics" in changed[0] and "q1-2025" in changed[0] and "q2-2025" in changed[1], changed


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("plain", "'plain'"),
        ("it's", "'it''s'"),
        ("back\\slash", "E'back\\\\slash'"),
        ("'; DROP TABLE infra.service_versions; --", "'''; DROP TABLE infra.service_versions; --'"),
        ("\\'", "E'\\\\'''"),
    ],
)
def test_quote_literal(value: str, literal: str) -> None:
    assert quote_literal(value) == literal
    (stmt,) = pglast.parse_sql(f"SELECT {literal}")
    const = stmt.stmt.targetList[0].val  # type: ignore[union-attr]
    assert const.val.sval == value


def test_quote_literal_refuses_nul() -> None:
    with pytest.raises(UnquotableText):
        quote_literal("a\x00b")


def _sync_job(root: Path, instance: str) -> dict[str, Any]:
    _, job = files(root, registry.render)[f"instances/{instance}/registry/service-versions.yaml"].manifests()
    return job


def test_registry_sync_job_loads_the_configmap_after_each_sync(example_fleet: Path) -> None:
    job = _sync_job(example_fleet, "arematics-qa")
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PostSync"
    pod = job["spec"]["template"]["spec"]
    (main,) = pod["containers"]
    inv = contract.RegistrySyncInvocation()
    assert main["args"] == list(contract.registry_sync_argv(inv))
    folder, _, name = inv.registry_files[0].rpartition("/")
    assert {"name": "registry", "mountPath": folder, "readOnly": True} in main["volumeMounts"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "registry"]
    assert volume["projected"] == {
        "sources": [
            {"configMap": {"name": registry.CONFIGMAP_NAME, "items": [{"key": registry.CONFIGMAP_KEY, "path": name}]}}
        ]
    }
    # a new registry content is a new Job (so Argo CD runs it again); an unrelated Instance's stays put
    other = _sync_job(example_fleet, "droneup-production")["metadata"]["name"]
    edit(example_fleet / "tenants/arematics-qa/xyz.yaml", "platform-2025-07", "platform-2025-05")
    assert _sync_job(example_fleet, "arematics-qa")["metadata"]["name"] != job["metadata"]["name"]
    assert _sync_job(example_fleet, "droneup-production")["metadata"]["name"] == other


@given(st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"])))
@settings(max_examples=300, deadline=None)
def test_quote_literal_round_trips_any_text(value: str) -> None:
    """PostgreSQL's own parser (pglast) reads back exactly the text, whatever quotes or backslashes it holds."""
    (stmt,) = pglast.parse_sql(f"SELECT {quote_literal(value)}")
    assert stmt.stmt.targetList[0].val.val.sval == value  # type: ignore[union-attr]
