"""One MigrationControllerConfig per cluster: clusters/<cluster>/migration-controller-config.yaml.

Several Instances may share a cluster (droneup-production and droneup-staging both run on gke-prod) with
different migration settings, but the design's concurrency limit is cluster-wide (§4.1). The rule: the
cluster-wide ``concurrency``, ``timeout`` and ``retries`` are the strictest of its Instances' — the smallest
concurrency, the shortest timeout, the fewest retries — so no Instance's limit is exceeded by another's looser
one; ``instances`` lists every Instance with its own values, which its Jobs use (each Job's concurrency slots
live in its Instance's infra database).
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.model import names
from compiler.model.common import duration_seconds
from compiler.model.kinds import Instance
from compiler.render.context import RenderContext
from compiler.render.conventions import CRD_API_VERSION, MANAGED_BY, SYNC_WAVE, WAVE_PLATFORM, cluster_dir
from compiler.render.output import Manifest, RenderedFile

FILE_NAME = "migration-controller-config.yaml"


def render(ctx: RenderContext) -> Iterator[RenderedFile]:
    clusters: dict[str, list[Instance]] = {}
    for _, entry in sorted(ctx.fleet.instances.items()):
        clusters.setdefault(entry.obj.spec.cluster, []).append(entry.obj)
    for cluster, instances in sorted(clusters.items()):
        yield RenderedFile(f"{cluster_dir(cluster)}/{FILE_NAME}", (controller_config(cluster, instances),))


def controller_config(cluster: str, instances: list[Instance]) -> Manifest:
    settings = [i.spec.migration for i in instances]
    return {
        "apiVersion": CRD_API_VERSION,
        "kind": "MigrationControllerConfig",
        "metadata": {"name": cluster, "labels": dict(MANAGED_BY), "annotations": {SYNC_WAVE: WAVE_PLATFORM}},
        "spec": {
            "cluster": cluster,
            "concurrency": min(s.concurrency for s in settings),
            "timeout": min((s.timeout for s in settings), key=duration_seconds),
            "retries": min(s.retries for s in settings),
            "instances": [_instance(i) for i in instances],
        },
    }


def _instance(instance: Instance) -> Manifest:
    spec = instance.spec
    return {
        "name": instance.metadata.name,
        "namespace": names.tenancy_namespace(instance.metadata.name),
        "environment": spec.environment.value,
        "concurrency": spec.migration.concurrency,
        "timeout": spec.migration.timeout,
        "retries": spec.migration.retries,
    }
