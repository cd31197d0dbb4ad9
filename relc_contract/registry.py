"""The compiled service version registry: its file shapes, shards, and the ``infra.service_versions`` table.

The compiler writes the registry files and relc-migrate's registry-sync loads them with this DDL and upsert;
sharding by the same hash on both sides is what lets a sync of one shard leave the others alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Final, NotRequired, TypedDict

# --- the compiled service version registry -----------------------------------------------------------------

REGISTRY_API_VERSION: Final = "relc.dev/v1alpha2"
"""v1alpha2: one line per tenant naming its candidate, and per candidate its versions (v1alpha1 listed the
tenants of every (service, version), so one pin move rewrote ~40 lines of each copy); the rows it means,
:func:`registry_entries`, are the same."""
REGISTRY_KIND: Final = "ServiceVersionRegistry"
#: Where the compiler renders the registry file (relative to the repository root).
REGISTRY_RENDERED_PATH: Final = "rendered/registry/service_versions.json"


class ServiceVersionEntry(TypedDict):
    """One row of ``infra.service_versions``: a service version that must stay deployed in an instance."""

    instance: str
    cluster: str
    environment: str
    service: str
    version: str  #: semver, no leading ``v``
    candidates: list[str]  #: release candidates that pin this version
    tenants: list[str]  #: tenants that use it


class RegistryInstance(TypedDict):
    """One Instance's part of the registry file, in the shape a pull request changes least: moving a tenant's
    pin changes its one line of ``tenants``; the candidates' versions change only when a candidate is deployed
    or undeployed (or edited)."""

    instance: str
    cluster: str
    environment: str
    candidates: dict[str, dict[str, str]]
    """every candidate the Instance runs (pinned, warm, or a shared bundle) → {service: version (semver, no v)}"""
    shared: list[str]
    """the candidates every tenant of the Instance uses: its global release's shared bundles"""
    tenants: dict[str, list[str]]
    """tenant → the candidates it uses, sorted: the one it pins (and any other a render counts it under, such as
    a candidate serving it while it rehearses its pin), written on one line"""


def registry_entries(instances: Iterable[RegistryInstance]) -> list[ServiceVersionEntry]:
    """The rows of ``infra.service_versions`` a registry means, sorted by (instance, service, version), lists
    sorted: one per (service, version) an Instance runs, with the candidates pinning it and the tenants using
    them (every tenant, for a shared bundle). A tenant's candidates must be among ``candidates`` (KeyError)."""
    rows: list[ServiceVersionEntry] = []
    for part in instances:
        every = sorted(part["tenants"])
        users: dict[str, list[str]] = {candidate: [] for candidate in part["candidates"]}
        for tenant in every:
            for candidate in part["tenants"][tenant]:
                users[candidate].append(tenant)
        shared = set(part["shared"])
        found: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
        for candidate, versions in part["candidates"].items():
            who = every if candidate in shared else users[candidate]
            for service, version in versions.items():
                candidates, tenants = found.setdefault((service, version), (set(), set()))
                candidates.add(candidate)
                tenants.update(who)
        rows += [
            ServiceVersionEntry(
                instance=part["instance"],
                cluster=part["cluster"],
                environment=part["environment"],
                service=service,
                version=version,
                candidates=sorted(candidates),
                tenants=sorted(tenants),
            )
            for (service, version), (candidates, tenants) in sorted(found.items())
        ]
    return sorted(rows, key=lambda row: (row["instance"], row["service"], row["version"]))


#: The table both sides write: the compiler's rendered SQL (registry/service_versions.sql) and
#: ``relc-migrate registry-sync``. One definition, so the two can never create different tables.
REGISTRY_DDL: Final = (
    "CREATE SCHEMA IF NOT EXISTS infra",
    """CREATE TABLE IF NOT EXISTS infra.service_versions (
    instance    text NOT NULL,
    service     text NOT NULL,
    version     text NOT NULL,
    cluster     text NOT NULL,
    environment text NOT NULL,
    candidates  text[] NOT NULL,
    tenants     text[] NOT NULL,
    synced_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instance, service, version)
)""",
)


REGISTRY_COLUMNS: Final = ("instance", "service", "version", "cluster", "environment", "candidates", "tenants")
"""The columns every upsert writes, in the order its VALUES rows give them."""


def registry_upsert(rows: str) -> str:
    """The upsert both sides run: insert ``rows`` (a query: ``VALUES …`` or ``SELECT …``, columns in
    REGISTRY_COLUMNS order) and update an existing (instance, service, version) row only when something changed,
    so ``synced_at`` and ``RETURNING`` tell changed rows from unchanged ones. The compiler passes a SELECT that
    expands the registry's per-tenant lines into rows (registry/service_versions.sql), registry-sync one
    ``VALUES`` row of placeholders at a time."""
    return f"""INSERT INTO infra.service_versions ({", ".join(REGISTRY_COLUMNS)})
{rows}
ON CONFLICT (instance, service, version) DO UPDATE
    SET cluster = excluded.cluster, environment = excluded.environment,
        candidates = excluded.candidates, tenants = excluded.tenants, synced_at = now()
    WHERE (infra.service_versions.cluster, infra.service_versions.environment,
           infra.service_versions.candidates, infra.service_versions.tenants)
          IS DISTINCT FROM (excluded.cluster, excluded.environment, excluded.candidates, excluded.tenants)"""


class RegistryShard(TypedDict):
    """Which part of a sharded registry a file is: shard ``index`` (0-based) of ``count``."""

    index: int
    count: int


class ServiceVersionRegistryFile(TypedDict):
    """The registry file: its Instances sorted by name, every mapping sorted by key.

    A shard (``shard`` present) holds, of each Instance, the tenants whose :func:`shard_of` is its index and
    everything else whole (cluster, environment, candidates, shared): an Instance's tenants are the union over
    all shards, its other fields the same in each. Only the whole set of shards is the registry."""

    apiVersion: str
    kind: str
    instances: list[RegistryInstance]
    shard: NotRequired[RegistryShard]


def shard_of(name: str, count: int) -> int:
    """The shard (``0 … count-1``) of a tenant's name: a stable hash, the same on every machine and in every
    Python (never ``hash()``, which is salted per process). With ``count`` a power of two, doubling it splits
    each shard in two: a name in shard ``i`` moves to ``i`` or ``i + count``, never elsewhere."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count
