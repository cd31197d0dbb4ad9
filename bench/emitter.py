"""Emitter benchmark: relc's YAML emitter against PyYAML's C dumper (and JSON, the floor) on small manifests.

    python bench/emitter.py [COUNT]      # default 100,000 manifests

Prints seconds and megabytes; the README quotes its figures. Not part of the test suite (timing is never asserted).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import yaml

from compiler.emit.yamlout import Emitter


def manifests(count: int) -> list[dict[str, Any]]:
    """Tenant-sized objects: HTTPRoutes, ConfigMaps and custom resources, like a rendered fleet's bulk."""
    out: list[dict[str, Any]] = []
    for n in range(count):
        tenant = f"tenant-{n:05d}"
        meta = {
            "name": f"{tenant}-routes",
            "namespace": "inst-00-tenancy",
            "labels": {"app.kubernetes.io/managed-by": "relc", "relc.dev/tenant": tenant, "relc.dev/candidate": "c-2"},
            "annotations": {"argocd.argoproj.io/sync-wave": "10"},
        }
        if n % 3 == 0:
            out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"on": "yes", "v": "1.10"}})
        elif n % 3 == 1:
            spec = {
                "tenant": tenant,
                "database": f"tenant_{n}",
                "schemas": ["auth", "entity", "payments"],
                "dryRun": False,
            }
            out.append(
                {
                    "apiVersion": "tenancy.relc.dev/v1alpha1",
                    "kind": "TenantProvisionJob",
                    "metadata": meta,
                    "spec": spec,
                }
            )
        else:
            rule = {
                "matches": [
                    {
                        "path": {"type": "PathPrefix", "value": "/auth"},
                        "headers": [{"name": "x-relc-tenant", "value": tenant}],
                    }
                ],
                "backendRefs": [{"kind": "Service", "name": "auth", "namespace": "inst-00-c-2", "port": 80}],
            }
            out.append(
                {
                    "apiVersion": "gateway.networking.k8s.io/v1",
                    "kind": "HTTPRoute",
                    "metadata": meta,
                    "spec": {"rules": [rule]},
                }
            )
    return out


def timed(label: str, func: Any) -> None:
    start = time.perf_counter()
    size = len(func())
    print(f"{label:28s} {time.perf_counter() - start:6.2f} s  {size / 1e6:6.1f} MB")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    docs = manifests(count)
    print(f"{count} manifests")
    timed("relc emitter (YAML)", lambda: Emitter().documents(docs))
    timed("PyYAML CSafeDumper (YAML)", lambda: yaml.dump_all(docs, Dumper=yaml.CSafeDumper, sort_keys=True))
    timed("json.dumps (JSON lines)", lambda: "\n".join(json.dumps(d, sort_keys=True) for d in docs))


if __name__ == "__main__":
    main()
