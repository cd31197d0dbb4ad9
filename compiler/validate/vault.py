"""RLC702-703: the Instance's Vault settings work for the Jobs that read and write the tenants' credentials.

Each tenant's migration Job reads ``.Data.data.dsn`` of ``<vault.pathPrefix>/<tenant>`` through the Vault agent,
and its provisioning Job writes that secret through Vault's KV v2 API (relc-migrate provision): both need the
prefix to be a KV v2 *data* path, ``<mount>/data/<path>`` (the agent template's ``.Data.data`` is KV v2's
shape, and relc-migrate splits the mount off at ``/data/``). Anything else renders Jobs that fail at run time, so
it is refused here, where the fix goes (RLC702). A production Instance's Vault address must be https: the
provisioning Jobs send the tenants' new passwords to it (RLC703).
"""

from __future__ import annotations

from collections.abc import Iterator

import relc_contract as contract
from compiler.diagnostics import Diagnostic
from compiler.model.fleet import Entry
from compiler.model.kinds import Environment, Instance
from compiler.validate.context import Context


def check(ctx: Context) -> Iterator[Diagnostic]:
    for _, entry in sorted(ctx.fleet.instances.items()):
        yield from _settings(entry)


def _settings(entry: Entry[Instance]) -> Iterator[Diagnostic]:
    spec, name = entry.obj.spec, entry.obj.metadata.name
    try:
        contract.kv2_location(spec.vault.path_prefix + "/tenant")
    except contract.IdentifierError:
        yield entry.doc.diagnostic(
            ("spec", "vault", "pathPrefix"),
            "RLC702",
            f"instance '{name}': vault.pathPrefix {spec.vault.path_prefix!r} is not a KV v2 data path "
            f"<mount>/{contract.KV2_DATA}/<path>",
            f"write it as the KV v2 API path, e.g. secret/{contract.KV2_DATA}/{name}/tenants (mount 'secret'): "
            "the Jobs read and write each tenant's secret at <pathPrefix>/<tenant>",
        )
    address = spec.vault.address
    if address is not None and spec.environment == Environment.PROD and not address.startswith("https://"):
        yield entry.doc.diagnostic(
            ("spec", "vault", "address"),
            "RLC703",
            f"instance '{name}': vault.address {address!r} is not https, and provisioning sends the tenants' "
            "passwords to it",
            "use Vault's https:// address (and its CA in the image, or RELC_VAULT_CACERT)",
        )
