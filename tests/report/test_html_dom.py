"""The HTML report of the example fleet, read through its DOM (a real HTML parser), never by string matching."""

from __future__ import annotations

import json
from pathlib import Path

from tests.report.conftest import EXAMPLE_COMPONENTS, run_report, snapshot
from tests.report.dom import Element, parse
from tests.report.test_report_cli import STATUS


def page(site: Path, rel: str) -> Element:
    return parse((site / rel).read_text(encoding="utf-8"))


def matrix(doc: Element) -> dict[str, object]:
    data = json.loads(doc.by_id("report-data").text())
    assert isinstance(data, dict)
    return data


def test_the_site_has_an_index_a_page_per_instance_and_per_candidate(site: Path, example_fleet: Path) -> None:
    instances = sorted(p.stem for p in (example_fleet / "instances").glob("*.yaml"))
    candidates = sorted(p.stem for p in (example_fleet / "releases" / "candidates").glob("*.yaml"))
    assert sorted(snapshot(site)) == sorted(
        ["RELC-OUTPUT.md", "index.html"]
        + [f"instance/{i}.html" for i in instances]
        + [f"candidate/{c}.html" for c in candidates]
    )


def test_every_page_is_self_contained(site: Path) -> None:
    for path in sorted(site.rglob("*.html")):
        doc = parse(path.read_text(encoding="utf-8"))
        assert doc.find_all("link") == [] and doc.find_all("img") == [] and doc.find_all("iframe") == []
        assert all("src" not in s.attrs for s in doc.find_all("script")), path
        for element in doc.walk():
            for name in ("href", "src"):
                target = element.attrs.get(name, "")
                assert "//" not in target and not target.startswith("data:"), (path, target)
                if name == "href" and target and not target.startswith("#"):
                    assert (path.parent / target.split("#")[0]).is_file(), (path, target)


def test_the_index_matrix_holds_every_tenant_and_component(site: Path, example_fleet: Path) -> None:
    data = matrix(page(site, "index.html"))
    tenants = {(p.parent.name, p.stem) for p in (example_fleet / "tenants").glob("*/*.yaml")}
    rows = data["rows"]
    assert isinstance(rows, list)
    instances, candidates = data["instances"], data["candidates"]
    assert isinstance(instances, list) and isinstance(candidates, list)
    assert {(instances[r[1]], r[0]) for r in rows} == tenants
    assert len(rows) == len(tenants)
    assert data["components"] == EXAMPLE_COMPONENTS
    cherokee = next(r for r in rows if r[0] == "cherokee-nation")
    pins, lags = data["pins"], data["lags"]
    assert isinstance(pins, list) and isinstance(lags, dict)
    assert candidates[cherokee[3]] == "q4-2024"
    assert pins[cherokee[3]] == [None, None, "2.0.0", "1.2.3", None, "1.0.3", "3.0.4"]
    assert lags[f"{cherokee[1]},{cherokee[3]}"] == [None, None, 1, 2, None, 0, 2]


def test_an_instance_page_lists_candidates_blockers_and_tenants(site: Path) -> None:
    doc = page(site, "instance/droneup-production.html")
    states = {
        r.attrs["data-candidate"]: [c.text() for c in r.find_all("td")]
        for r in doc.find_all("tr")
        if "data-candidate" in r.attrs
    }
    assert states["q4-2024"][:6] == ["q4-2024", "yes", "yes", "", "", "1"]
    assert states["q4-2024"][-1] == "cherokee-nation"
    rows = [r for r in doc.by_id("tenants").find_all("tr") if "data-tenant" in r.attrs]
    assert [r.attrs["data-tenant"] for r in rows] == ["droneup", "cherokee-nation", "horizon-aerobotics"]
    cherokee = [c.text() for c in rows[1].find_all("td")]
    assert cherokee[1:3] == ["Agent of droneup", "q4-2024"]
    assert cherokee[5:9] == ["yes", "yes", "no", "manual (90d)"]
    assert matrix(doc)["instances"] == ["droneup-production"]


def test_a_candidate_page_draws_its_graph_and_marks_destructive_versions(site: Path) -> None:
    doc = page(site, "candidate/q1-2025.html")
    svg = doc.by_id("graph").find_all("svg")[0]
    nodes = {g.attrs["data-node"]: g.attrs["class"].split() for g in svg.find_all("g") if "data-node" in g.attrs}
    assert nodes["mission-service@2.0.0"] == ["node", "destructive"]
    assert nodes["utm-mission-service@3.5.4"] == ["node"]
    assert "shared" in nodes["atlas@3.1.0"]
    edges = {(g.attrs["data-source"], g.attrs["data-target"]) for g in svg.find_all("g", class_="edge")}
    assert ("utm-mission-service@3.5.4", "mission-service@2.0.0") in edges
    order = [li.text() for li in doc.by_id("migration-order").find_all("li")]
    assert order == ["mission-service 2.0.0 (destructive)", "utm-mission-service 3.5.4"]


def test_user_text_cannot_inject_markup(example_fleet: Path, tmp_path: Path) -> None:
    hostile = "</script><script>alert(1)</script><!--"
    tenant = example_fleet / "tenants" / "droneup-production" / "cherokee-nation.yaml"
    tenant.write_text(tenant.read_text().replace("displayName: Cherokee Nation", f"displayName: '{hostile}'"))
    assert run_report(example_fleet, tmp_path / "site").exit_code == 0
    doc = page(tmp_path / "site", "instance/droneup-production.html")
    assert len(doc.find_all("script")) == 2  # the data and the matrix script: nothing injected
    row = doc.by_id("tenant-cherokee-nation")
    assert row.find_all("small")[0].text() == hostile


def test_with_status_an_instance_page_shows_actual_versions_and_failures(example_fleet: Path, tmp_path: Path) -> None:
    status = tmp_path / "status.json"
    status.write_text(json.dumps(STATUS))
    result = run_report(example_fleet, tmp_path / "site", "--status", f"droneup-production={status}")
    assert result.exit_code == 0, result.output
    doc = page(tmp_path / "site", "instance/droneup-production.html")
    row = doc.by_id("tenant-cherokee-nation")
    assert row.attrs["class"] == "trouble"
    spans = {s.attrs["data-schema"]: (s.attrs["class"], s.text()) for s in row.find_all("span", class_="schema")}
    assert spans == {
        "tenant_cherokee_nation/mission-service": (
            "schema status-complete",
            "tenant_cherokee_nation/mission-service 1.2.3 → 1.2.3 complete",
        ),
        "tenant_cherokee_nation/utm-mission-service": (
            "schema status-failed",
            "tenant_cherokee_nation/utm-mission-service 3.0.4 → 3.0.3 failed (V3_0_4 failed: relation missing)",
        ),
    }
    rows = [r.attrs["data-tenant"] for r in doc.find_all("tr", class_="trouble")]
    assert rows == ["droneup", "cherokee-nation", "horizon-aerobotics"]  # droneup's database: not provisioned
    matrix_rows = matrix(page(tmp_path / "site", "index.html"))["rows"]
    assert isinstance(matrix_rows, list)
    assert [r[4] for r in matrix_rows if r[0] == "cherokee-nation"] == [1]  # the matrix marks it too
