"""compiler.render.shards: the fewest power-of-two shards under the limit, and stable when one tenant changes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.render.shards import BUDGET, DATA_LIMIT, ShardTooLarge, shard_suffix, split
from relc_contract import shard_of

Shard = tuple[int, int, tuple[str, ...]]


def _build(index: int, count: int, tenants: list[str]) -> Shard:
    return index, count, tuple(tenants)


def _names(count: int) -> list[str]:
    return sorted(f"tenant-{n:05d}" for n in range(count))


def test_a_small_table_is_one_shard_of_one() -> None:
    names = _names(100)
    assert split(names, _build, lambda s: 100 * len(s[2]), what="t") == [(0, 1, tuple(names))]
    assert shard_suffix(0, 1) == ""


def test_the_count_is_the_smallest_power_of_two_keeping_shards_near_half_the_limit() -> None:
    names = _names(10_000)
    per_tenant = 3 * BUDGET // 10_000  # three budgets in all: four shards
    shards = split(names, _build, lambda s: per_tenant * len(s[2]), what="t")
    assert [(index, count) for index, count, _ in shards] == [(i, 4) for i in range(4)]
    assert sorted(t for _, _, tenants in shards for t in tenants) == names
    assert all(list(tenants) == sorted(tenants) for _, _, tenants in shards)
    assert all(shard_of(t, 4) == index for index, _, tenants in shards for t in tenants)
    assert max(per_tenant * len(tenants) for _, _, tenants in shards) < DATA_LIMIT
    assert [shard_suffix(i, 16) for i in (0, 9, 15)] == ["01-of-16", "10-of-16", "16-of-16"]


def test_a_shard_the_hash_overfills_doubles_the_count() -> None:
    names = _names(64)
    heavy = names[7]  # one tenant far heavier than the others: its shard is over the limit until it is alone-ish
    shards = split(names, _build, lambda s: sum(DATA_LIMIT - 10 if t == heavy else 1000 for t in s[2]), what="t")
    counts = {count for _, count, _ in shards}
    assert len(counts) == 1 and counts.pop() > 2
    assert all(sum(DATA_LIMIT - 10 if t == heavy else 1000 for t in tenants) <= DATA_LIMIT for *_, tenants in shards)


def test_one_tenant_over_the_limit_alone_is_an_error_naming_it() -> None:
    with pytest.raises(ShardTooLarge) as caught:
        split(["a", "big"], _build, lambda s: sum(2 * DATA_LIMIT if t == "big" else 1 for t in s[2]), what="Thing")
    assert str(caught.value) == (
        f"Thing: tenant big alone needs {2 * DATA_LIMIT} bytes, over the {DATA_LIMIT} a ConfigMap holds"
    )


@given(st.sets(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True), min_size=50, max_size=400), st.data())
@settings(max_examples=50, deadline=None)
def test_adding_or_removing_one_tenant_changes_only_its_own_shard(names: set[str], data: st.DataObject) -> None:
    per_tenant = BUDGET // 40  # 50-400 tenants: 2 to 16 shards
    before = split(sorted(names), _build, lambda s: per_tenant * len(s[2]), what="t")
    one = data.draw(st.sampled_from(sorted(names)))
    after = split(sorted(names - {one}), _build, lambda s: per_tenant * len(s[2]), what="t")
    if len(after) != len(before):
        return  # the count halved: the one change a shard layout makes when its size crosses a power of two
    changed = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [shard_of(one, len(before))]


def test_doubling_the_count_splits_each_shard_in_two() -> None:
    for name in _names(500):
        assert shard_of(name, 8) in {shard_of(name, 4), shard_of(name, 4) + 4}
