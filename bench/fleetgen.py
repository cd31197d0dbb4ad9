"""Generate a synthetic fleet of any size for benchmarks (not used by tests' assertions on timing).

    python bench/fleetgen.py OUT_DIR --tenants 10000 --services 20 --candidates 4 --instances 4

The fleet is valid by construction: services form a dependency chain (svc-01 requires svc-00, …), every
candidate pins one version of each, one global release offers them all beside a shared services bundle, and
tenants (an Operator per instance, Agents after it) have one or two apps, every third one country-scoped.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

HEADER = "apiVersion: relc.dev/v1alpha1\n"
COUNTRIES = ("de", "fr", "it", "es", "nl", "pl")


def _write(root: Path, rel: str, body: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + body, encoding="utf-8")


def _service(i: int) -> str:
    return f"svc-{i:02d}"


def blueprints(root: Path, services: int, versions: int) -> None:
    comps = "".join(
        f"""    - name: {_service(i)}
      repository: https://git.example.com/bench/{_service(i)}
      chart: {{repository: oci://charts.example.com/bench}}
      image: {{repository: registry.example.com/bench/{_service(i)}}}
      ownsSchema: true
      countryScopable: {"true" if i % 2 == 0 else "false"}
      values:
        image:
          tag: "{{{{ component.imageTag }}}}{{{{ instance.imageTagSuffix }}}}"
"""
        for i in range(services)
    )
    _write(
        root,
        "blueprints/bench-product.yaml",
        f"kind: ReleaseBlueprint\nmetadata:\n  name: bench-product\nspec:\n  type: product\n  components:\n{comps}",
    )
    _write(
        root,
        "blueprints/bench-shared.yaml",
        """kind: ReleaseBlueprint
metadata:
  name: bench-shared
spec:
  type: sharedServices
  components:
    - name: gateway
      repository: https://git.example.com/bench/gateway
      chart: {repository: oci://charts.example.com/bench}
      image: {repository: registry.example.com/bench/gateway}
""",
    )
    _write(
        root,
        "blueprints/components/gateway/1.0.0.yaml",
        """kind: ComponentVersion
metadata:
  name: gateway-1-0-0
spec:
  component: gateway
  version: 1.0.0
""",
    )
    for i in range(services):
        for v in range(versions):
            req = f"  requires:\n    - service: {_service(i - 1)}\n      minVersion: 1.0.0\n" if i else ""
            _write(
                root,
                f"blueprints/components/{_service(i)}/1.{v}.0.yaml",
                f"kind: ComponentVersion\nmetadata:\n  name: {_service(i)}-1-{v}-0\nspec:\n"
                f"  component: {_service(i)}\n  version: 1.{v}.0\n{req}",
            )


def releases(root: Path, services: int, versions: int, candidates: int) -> list[str]:
    names = [f"r{c:02d}" for c in range(candidates)]
    for c, name in enumerate(names):
        pins = "".join(f"    {_service(i)}: 1.{(c + i) % versions}.0\n" for i in range(services))
        _write(
            root,
            f"releases/candidates/{name}.yaml",
            f"kind: ReleaseCandidate\nmetadata:\n  name: {name}\nspec:\n  blueprint: bench-product\n"
            f"  status: published\n  components:\n{pins}",
        )
    _write(
        root,
        "releases/candidates/shared-1.yaml",
        """kind: ReleaseCandidate
metadata:
  name: shared-1
spec:
  blueprint: bench-shared
  status: published
  components:
    gateway: 1.0.0
""",
    )
    _write(
        root,
        "releases/global/bench.yaml",
        f"kind: GlobalProductionRelease\nmetadata:\n  name: bench\nspec:\n"
        f"  candidates: [{', '.join(names)}]\n  sharedServices: shared-1\n",
    )
    return names


def instances(root: Path, count: int) -> list[str]:
    names = [f"inst-{i:02d}" for i in range(count)]
    for i, name in enumerate(names):
        _write(
            root,
            f"instances/{name}.yaml",
            f"""kind: Instance
metadata:
  name: {name}
spec:
  cluster: cluster-{i % 2}
  environment: {"prod" if i % 2 else "test"}
  globalRelease: bench
  database:
    host: pg-{i}.example.com
    credentials: vault:secret/data/{name}/postgres#admin
  vault:
    namespace: vault-{i % 2}
    pathPrefix: secret/data/{name}/tenants
  migration:
    backupDestination: s3://bench-backups/{name}
""",
        )
    return names


def tenants(root: Path, count: int, inst_names: list[str], cand_names: list[str]) -> None:
    for t in range(count):
        inst = inst_names[t % len(inst_names)]
        name = f"tenant-{t:05d}"
        operator = t < len(inst_names)
        role = "  role: Operator\n" if operator else f"  role: Agent\n  operator: tenant-{t % len(inst_names):05d}\n"
        apps = "  apps:\n    - name: crm\n      services: [svc-00, svc-02]\n"
        if t % 3 == 0:
            apps += (
                f"    - name: shop\n      services: [svc-00, svc-04]\n      countryScoped: true\n"
                f"      countries: [{COUNTRIES[t % len(COUNTRIES)]}]\n"
            )
        _write(
            root,
            f"tenants/{inst}/{name}.yaml",
            f"""kind: Tenant
metadata:
  name: {name}
spec:
{role}  instance: {inst}
  releaseCandidate: {cand_names[t % len(cand_names)]}
{apps}  policies:
    backupBeforeMigration: true
    deletion:
      mode: retained
      gracePeriod: 30d
""",
        )


def generate(
    out: Path, *, tenant_count: int, services: int = 20, candidates: int = 4, instance_count: int = 4, versions: int = 3
) -> Path:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    blueprints(out, services, versions)
    cands = releases(out, services, versions, candidates)
    insts = instances(out, instance_count)
    tenants(out, tenant_count, insts, cands)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--candidates", type=int, default=4)
    parser.add_argument("--instances", type=int, default=4)
    args = parser.parse_args()
    generate(
        args.out,
        tenant_count=args.tenants,
        services=args.services,
        candidates=args.candidates,
        instance_count=args.instances,
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
