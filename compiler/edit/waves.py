"""Which tenants a ``relc promote`` wave moves: the same tenants on every machine, and each wave a superset of
the smaller ones.

The population is the tenants in scope that pin the from-candidate *or already pin the to-candidate*: counting
those already moved is what makes successive waves (1% → 10% → 50% → 100%) supersets of each other, since the
population, and therefore its order, stays the same while the rollout goes on. The order is Operators first (an
Operator runs the platform its Agents use: it takes a release before any of its customers do), then Agents,
each group by ``sha256("<to-candidate>/<instance>/<tenant>")`` — stable across machines and Python versions (no
``hash()``), different for each target candidate (the same tenants are not always the canaries), and
independent of file names or listing order. A wave of p% is the first ``ceil(p * N / 100)`` of that order; the
tenants among them still on the from-candidate are the ones moved.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from compiler.model.fleet import TenantKey
from compiler.model.kinds import TenantRole


@dataclass(frozen=True, slots=True)
class Member:
    """A tenant of the population: where it is, its role and the candidate it pins now."""

    key: TenantKey  # (instance, name)
    role: TenantRole
    candidate: str


def order_key(member: Member, to: str) -> tuple[bool, str]:
    instance, name = member.key
    digest = hashlib.sha256(f"{to}/{instance}/{name}".encode()).hexdigest()
    return member.role is not TenantRole.OPERATOR, digest


def wave(population: Sequence[Member], to: str, percent: float) -> list[Member]:
    """The first ``ceil(percent * N / 100)`` members in the wave order (at least one when percent > 0)."""
    ordered = sorted(population, key=lambda m: order_key(m, to))
    count = math.ceil(round(percent * len(ordered), 9) / 100)  # round: 10% of 30 is 3, not 3.0000000000000004
    return ordered[:count]
