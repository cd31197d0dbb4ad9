"""What these sections render passes ``relc validate --rendered``'s embedded validator: Jobs and ConfigMaps
against Kubernetes' strict schemas, custom resources against the CRDs rendered beside them, and the Jobs' cluster
permissions against the platform's RBAC (RLC612/RLC613)."""

from __future__ import annotations

from pathlib import Path

import yaml

from compiler.outcheck.run import RenderedCheck, check_rendered
from compiler.render import controller, crds, platform, registry, tenancy
from tests.render.helpers import files


def _write(example_fleet: Path, out: Path) -> None:
    for f in files(
        example_fleet, crds.render, tenancy.render, controller.render, registry.render, platform.render
    ).values():
        target = out / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if f.raw is not None:
            if f.path.startswith("registry/"):
                continue  # registry-sync's data file and SQL, not Kubernetes manifests
            target.write_bytes(f.raw)
        else:
            target.write_text(yaml.safe_dump_all(f.manifests(), sort_keys=False), encoding="utf-8")


def test_rendered_tenancy_output_validates(example_fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    _write(example_fleet, out)
    assert (out / "instances/arematics-test/tenants/xyz/migrations.yaml").is_file()
    assert check_rendered(RenderedCheck(out, "rendered/")) == []


def test_the_check_sees_a_broken_job(example_fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    _write(example_fleet, out)
    path = out / "instances/arematics-test/tenants/xyz/migrations.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("backoffLimit:", "backofLimit:", 1), encoding="utf-8")
    problems = check_rendered(RenderedCheck(out, "rendered/"))
    assert [p.code for p in problems] == ["RLC802"]
