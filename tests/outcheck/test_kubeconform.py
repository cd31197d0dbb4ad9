"""The kubeconform gateway, driven through the CLI with a fake ``kubeconform`` executable on PATH.

No PyPI or npm package ships the kubeconform binary (``pip download kubeconform`` and ``npm view kubeconform``
find nothing), so the fake stands in: it records its command line and the schema files it was offered, and
prints a report in kubeconform's documented ``-output json`` format (both the older form without
``validationErrors`` and the newer one with it).
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from tests.outcheck.conftest import EXAMPLES, VALID, copy_case, found, validate_rendered

FAKE = """#!{python}
import json, os, sys
from pathlib import Path

here = Path(__file__).resolve().parent
args = sys.argv[1:]
locations = [args[i + 1] for i, a in enumerate(args) if a == "-schema-location"]
offered = {{}}
for loc in locations:
    root = Path(loc.split("{{{{")[0])
    if root.is_dir():
        offered[loc] = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.json"))
(here / "kubeconform.args.json").write_text(json.dumps({{"args": args, "offered": offered}}))
template = (here / "report.json").read_text()
if not template.startswith("{{"):
    print(template)
    sys.exit(1)
report = json.loads(template)
files = [a for a in args if a.endswith(".yaml")]
for result in (r for r in report["resources"] if isinstance(r, dict)):
    result["filename"] = next((f for f in files if f.endswith(result["filename"])), result["filename"])
print(json.dumps(report, indent=2))
sys.exit(1 if report["resources"] else 0)
"""

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: eu-shared
spec:
  replicas: "2"
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ghcr.io/example/web:1.4.0
          imagePullPolicyy: Always
"""

MONITOR = """apiVersion: v1
kind: ConfigMap
metadata:
  name: first
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: web
spec: {}
"""

REPORT: dict[str, Any] = {
    "resources": [
        {
            "filename": "platform/web.yaml",
            "kind": "Deployment",
            "name": "web",
            "version": "apps/v1",
            "status": "statusInvalid",
            "msg": "problem validating schema. Check JSON formatting: jsonschema: '/spec/replicas' does not validate",
            "validationErrors": [
                {"path": "/spec/replicas", "msg": "expected integer or null, but got string"},
                {
                    "path": "/spec/template/spec/containers/0",
                    "msg": "additionalProperties 'imagePullPolicyy' not allowed",
                },
            ],
        },
        {
            "filename": "platform/monitor.yaml",
            "kind": "ServiceMonitor",
            "name": "web",
            "version": "monitoring.coreos.com/v1",
            "status": "statusError",
            "msg": "could not find schema for ServiceMonitor",
        },
        {
            "filename": "tenants/acme/tenant.yaml",
            "kind": "Tenant",
            "name": "acme",
            "version": "tenancy.relc.dev/v1alpha1",
            "status": "statusInvalid",
            "msg": "problem validating schema. Check JSON formatting: jsonschema: '/spec/countries/0' does not "
            "validate with file:///x#/properties/spec/properties/countries/items/pattern: does not match pattern",
        },
        {"filename": "argocd/apps.yaml", "kind": "Application", "name": "eu-shared", "status": "statusValid"},
    ]
}


def install_fake(folder: Path, report: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "kubeconform"
    script.write_text(FAKE.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (folder / "report.json").write_text(report)
    return script


def fleet_with_problems(tmp_path: Path) -> Path:
    root = copy_case(VALID, tmp_path / "fleet")
    (root / "rendered/instances/eu/platform/web.yaml").write_text(DEPLOYMENT)
    (root / "rendered/instances/eu/platform/monitor.yaml").write_text(MONITOR)
    chart = root / "rendered/instances/eu/shared/Chart.yaml"
    chart.write_text(chart.read_text().replace("version: 1.4.0", "version: 1.4"))
    return root


def on_path(folder: Path) -> dict[str, str]:
    return {"PATH": f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"}


def recorded(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "kubeconform.args.json").read_text())
    return data


def test_kubeconform_on_path_judges_manifests_and_its_report_is_located(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    install_fake(bin_dir, json.dumps(REPORT))
    root = fleet_with_problems(tmp_path)
    result = validate_rendered(root, env=on_path(bin_dir))
    assert result.exit_code == 1, result.output
    assert sorted(found(result)) == [
        "rendered/instances/eu/platform/monitor.yaml:7:RLC802 kind",
        "rendered/instances/eu/platform/web.yaml:17:RLC802 spec.template.spec.containers[0].imagePullPolicyy",
        "rendered/instances/eu/platform/web.yaml:7:RLC802 spec.replicas",
        "rendered/instances/eu/shared/Chart.yaml:5:RLC802 version",
        "rendered/instances/eu/tenants/acme/tenant.yaml:10:RLC802 spec.countries[0]",
    ]
    messages = [d["message"] for d in json.loads(result.output)["diagnostics"]]
    assert any("(kubeconform)" in m for m in messages)


def test_kubeconform_command_line_and_schema_locations(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    install_fake(bin_dir, json.dumps({"resources": []}))
    root = copy_case(VALID, tmp_path / "fleet")
    broken = EXAMPLES / "invalid/not-yaml/rendered/instances/eu/platform/broken.yaml"
    (root / "rendered/instances/eu/platform/broken.yaml").write_text(broken.read_text())
    result = validate_rendered(root, "--kubeconform", str(bin_dir / "kubeconform"))
    assert result.exit_code == 1, result.output
    # a file that does not parse stays with the embedded validator, which still checks its readable documents
    assert found(result) == [
        "rendered/instances/eu/platform/broken.yaml:6:RLC802",
        "rendered/instances/eu/platform/broken.yaml:13:RLC802 data.b",
    ]
    run = recorded(bin_dir)
    args = run["args"]
    layout = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"
    assert args[:8] == [
        "-strict",
        "-output",
        "json",
        "-kubernetes-version",
        "1.30.0",
        "-schema-location",
        "default",
        "-schema-location",
    ]
    assert args[8] == f"{root / 'rendered' / 'schemas'}/{layout}"
    assert args[9] == "-schema-location" and args[10].endswith(layout)
    files = sorted(Path(a).relative_to(root / "rendered").as_posix() for a in args[11:])
    assert files == [
        "clusters/prod/root.yaml",
        "crds/tenants.tenancy.relc.dev.yaml",
        "instances/eu/argocd/apps.yaml",
        "instances/eu/platform/acme.yaml",
        "instances/eu/routing/acme.yaml",
        "instances/eu/tenants/acme/tenant.yaml",
    ]
    assert run["offered"][args[8]] == ["tenancy.relc.dev/tenant_v1alpha1.json"]
    assert run["offered"][args[10]] == [
        "argoproj.io/application_v1alpha1.json",
        "argoproj.io/applicationset_v1alpha1.json",
        "argoproj.io/appproject_v1alpha1.json",
        "gateway.networking.k8s.io/gateway_v1.json",
        "gateway.networking.k8s.io/gateway_v1beta1.json",
        "gateway.networking.k8s.io/httproute_v1.json",
        "gateway.networking.k8s.io/httproute_v1beta1.json",
        "gateway.networking.k8s.io/referencegrant_v1.json",
        "gateway.networking.k8s.io/referencegrant_v1beta1.json",
    ]
    assert not Path(args[10].split("{{")[0]).exists(), "the shipped schemas' temporary folder is removed"


def test_kubeconform_off_never_runs_it(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    install_fake(bin_dir, json.dumps(REPORT))
    result = validate_rendered(fleet_with_problems(tmp_path), "--kubeconform", "off", env=on_path(bin_dir))
    assert result.exit_code == 1
    assert not (bin_dir / "kubeconform.args.json").exists()
    assert "rendered/instances/eu/platform/web.yaml:7:RLC802 spec.replicas" in found(result)


def test_kubeconform_without_a_json_report_is_a_tool_error(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    install_fake(bin_dir, "panic: runtime error")
    result = validate_rendered(copy_case(VALID, tmp_path / "fleet"), env=on_path(bin_dir))
    assert result.exit_code == 2
    assert "kubeconform (exit 1) printed no JSON report: panic: runtime error" in result.output


def test_missing_kubeconform_path_is_a_usage_error(tmp_path: Path) -> None:
    result = validate_rendered(copy_case(VALID, tmp_path / "fleet"), "--kubeconform", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "kubeconform not found" in result.output


def test_a_finding_on_a_file_relc_did_not_pass_is_still_reported(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    stray = {"filename": "/elsewhere/other.yaml", "kind": "Pod", "status": "statusError", "msg": "boom"}
    install_fake(bin_dir, json.dumps({"resources": [stray, "not an object"]}))
    result = validate_rendered(copy_case(VALID, tmp_path / "fleet"), env=on_path(bin_dir))
    assert result.exit_code == 1, result.output
    assert found(result) == ["/elsewhere/other.yaml:0:RLC802"]
    assert json.loads(result.output)["diagnostics"][0]["message"] == "boom (kubeconform)"
