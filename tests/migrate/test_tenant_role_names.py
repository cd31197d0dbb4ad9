"""The names the credentials work derives: the tenant's role, and a rendered KV v2 path split for the API."""

from __future__ import annotations

import pytest

import relc_contract as contract


def test_a_tenant_role_is_prefixed_and_fits_postgresql() -> None:
    assert contract.tenant_role("acme-corp") == "relc_t_acme_corp"
    long_a, long_b = "a" * 62 + "b", "a" * 62 + "c"
    role_a, role_b = contract.tenant_role(long_a), contract.tenant_role(long_b)
    assert len(role_a.encode()) == 63 and len(role_b.encode()) == 63
    assert role_a != role_b  # PostgreSQL would have truncated both to the same name
    assert role_a.startswith("relc_t_aaaa")
    with pytest.raises(contract.IdentifierError, match="is not a DNS-1123 label"):
        contract.tenant_role("Acme")


def test_kv2_location_splits_the_mount_at_data() -> None:
    assert contract.kv2_location("secret/data/acme-prod/tenants/acme") == ("secret", "acme-prod/tenants/acme")
    assert contract.kv2_location("teams/kv/data/prod/acme") == ("teams/kv", "prod/acme")
    for bad in ("kv/acme-prod/tenants/acme", "data/acme", "secret/data/"):
        with pytest.raises(contract.IdentifierError) as caught:
            contract.kv2_location(bad)
        assert str(caught.value) == f"Vault path {bad!r} is not a KV v2 data path <mount>/data/<path>"
