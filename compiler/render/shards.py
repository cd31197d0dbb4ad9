"""Per-tenant data split over as many ConfigMaps as it needs, so no object relc renders outgrows the API server.

Kubernetes refuses a ConfigMap whose data exceeds 1 MiB, and etcd any request over ~1.5 MiB. The registry and
the routing table list tenants, so at some number of tenants one object per Instance (or per candidate) stops
fitting, with the fleet still valid. Their tenants are therefore spread over ``count`` shards by a stable hash of
the name (relc_contract.shard_of), ``count`` the smallest power of two that keeps each shard at most half the
limit on average; should the hash still put one over the limit, the count doubles until none is.

Why this shape:
- a hash, not sorted ranges: a tenant's shard depends on its name and the count only, so adding, removing or
  moving one tenant changes its own shard (and nothing else) unless the count changes;
- powers of two: when the count does change (the data crossed a doubling of its size), each shard splits in
  two (relc_contract.shard_of), so the diff is that once, and it says why (shard names carry the count);
- half the limit: hash skew is far below 2x at any size where sharding is needed, so the verify-and-double
  step is a guarantee, not the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from compiler.diagnostics import RelcError
from relc_contract import shard_of

DATA_LIMIT = 1_000_000
"""Bytes of data one ConfigMap may hold here: Kubernetes' limit is 1 MiB (1,048,576) for the whole object."""
BUDGET = DATA_LIMIT // 2
"""What a shard aims at on average, so the hash's skew never takes one over DATA_LIMIT."""

Shard = TypeVar("Shard")


class ShardTooLarge(RelcError):
    """One tenant's own data is over the limit: no split can help (it would take thousands of components)."""

    def __init__(self, what: str, tenant: str, size: int) -> None:
        super().__init__(f"{what}: tenant {tenant} alone needs {size} bytes, over the {DATA_LIMIT} a ConfigMap holds")


def split(
    tenants: Sequence[str],
    build: Callable[[int, int, list[str]], Shard],
    size: Callable[[Shard], int],
    *,
    what: str,
) -> list[Shard]:
    """``build(index, count, tenants_of_that_shard)`` for every shard of the smallest power-of-two count whose
    shards each ``size`` at most DATA_LIMIT. ``tenants`` sorted; each shard's list keeps their order."""
    whole = build(0, 1, list(tenants))
    total = size(whole)
    if total <= BUDGET:
        return [whole]
    count = 2
    while count * BUDGET < total:
        count *= 2
    while True:
        buckets: list[list[str]] = [[] for _ in range(count)]
        for tenant in tenants:
            buckets[shard_of(tenant, count)].append(tenant)
        shards = [build(index, count, bucket) for index, bucket in enumerate(buckets)]
        over = [(index, size(shard)) for index, shard in enumerate(shards) if size(shard) > DATA_LIMIT]
        if not over:
            return shards
        index, measured = over[0]
        if len(buckets[index]) <= 1:
            raise ShardTooLarge(what, buckets[index][0] if buckets[index] else "(none)", measured)
        count *= 2


def shard_suffix(index: int, count: int) -> str:
    """How a shard's name ends: nothing when there is one, else ``<index+1>-of-<count>`` (``03-of-16``), so
    names sort in order and a change of count shows in every name."""
    if count == 1:
        return ""
    width = len(str(count))
    return f"{index + 1:0{width}d}-of-{count}"
