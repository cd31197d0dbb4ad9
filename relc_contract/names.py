"""Names derived from a tenant and a service, and the identifier checks behind them.

The compiler renders databases, schemas, Vault paths and Jobs under these names and relc-migrate connects to and
creates exactly the same ones: one function per name keeps both sides deriving each identically, and one check
refuses (on both sides) what PostgreSQL or Kubernetes would truncate or reject.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

# --- identifiers -------------------------------------------------------------------------------------------

MAX_IDENTIFIER_BYTES: Final = 63
_TENANT_RE: Final = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
_IDENT_RE: Final = re.compile(r"[a-z_][a-z0-9_-]*")
_COUNTRY_RE: Final = re.compile(r"[a-z]{2}")
#: Schemas relc-migrate keeps for itself or PostgreSQL owns; no service or app may use them.
RESERVED_SCHEMAS: Final = frozenset({"relc", "public", "information_schema", "infra"})


class IdentifierError(ValueError):
    """A tenant, service, app, country, database or schema name that must not reach the database."""


def validate_identifier(value: str, what: str) -> str:
    """Return ``value`` if it is a safe PostgreSQL identifier, else raise IdentifierError saying why.

    Safe means: 1 to 63 bytes (PostgreSQL silently truncates longer names, which would merge two tenants),
    lower-case letters, digits, ``_`` and ``-`` only (``-`` because schemas are named ``service-app``),
    starting with a letter or ``_``, and not a ``pg_`` system name. Everything is still quoted when used.
    """
    if not isinstance(value, str) or value == "":
        raise IdentifierError(f"{what} must be a non-empty name")
    if len(value.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
        raise IdentifierError(
            f"{what} {value[:70]!r} is {len(value.encode('utf-8'))} bytes; PostgreSQL names are at most "
            f"{MAX_IDENTIFIER_BYTES} bytes (longer ones are truncated silently and could collide)"
        )
    if not _IDENT_RE.fullmatch(value):
        raise IdentifierError(
            f"{what} {value!r} may only contain a-z, 0-9, '_' and '-' and must start with a letter or '_'"
        )
    if value.startswith("pg_"):
        raise IdentifierError(f"{what} {value!r} uses the reserved prefix 'pg_'")
    return value


def validate_tenant(tenant: str) -> str:
    """Return ``tenant`` if it is a DNS-1123 label short enough to derive its databases, else raise."""
    if not isinstance(tenant, str) or not _TENANT_RE.fullmatch(tenant) or len(tenant) > 63:
        raise IdentifierError(
            f"tenant {tenant[:70]!r} is not a DNS-1123 label (a-z, 0-9 and '-', starting and ending with a "
            "letter or digit, at most 63 characters)"
        )
    return tenant


def validate_schema(schema: str) -> str:
    """Return ``schema`` if it is a valid identifier and not one relc or PostgreSQL keeps, else raise."""
    validate_identifier(schema, "schema")
    if schema in RESERVED_SCHEMAS:
        reserved = ", ".join(sorted(RESERVED_SCHEMAS))
        raise IdentifierError(f"schema {schema!r} is reserved (reserved: {reserved})")
    return schema


def database_name(tenant: str, country: str | None = None) -> str:
    """The database of a tenant (``tenant_<slug>``) or of its country-scoped apps (``tenant_<slug>_<cc>``),
    derived without checking (the compiler reports bad names as diagnostics; :func:`tenant_database` raises).

    The slug is the tenant name with ``-`` replaced by ``_`` so the database name needs no quoting in tools.
    """
    name = "tenant_" + tenant.replace("-", "_")
    return name if country is None else f"{name}_{country}"


#: Databases relc-migrate never works in, whatever the tenant: the maintenance database and the templates every
#: CREATE DATABASE copies (bookkeeping left in template1 would be cloned into every later tenant database).
SYSTEM_DATABASES: Final = frozenset({"postgres", "template0", "template1"})


def refuse_system_database(database: str) -> str:
    """``database`` if it is a valid name and not one of SYSTEM_DATABASES, else IdentifierError saying why."""
    validate_identifier(database, "database")
    if database in SYSTEM_DATABASES:
        raise IdentifierError(f"database {database!r} is a system or template database; relc-migrate never works in it")
    return database


def tenant_database_country(tenant: str, database: str) -> str | None:
    """Which of ``tenant``'s databases ``database`` is: None for its main database, the country code for one of
    its country databases; IdentifierError when it is none of them (a system database, another tenant's).

    This is how relc-migrate verifies a ``--database`` against ``--tenant`` before it connects: the name must be
    derivable from the tenant. Names can still coincide (tenant ``acme-de``'s main database is tenant ``acme``'s
    ``de`` database), which is why relc-migrate also records the owning tenant inside each database it provisions.
    """
    validate_tenant(tenant)
    refuse_system_database(database)
    main = database_name(tenant)
    if database == main:
        return None
    country = database.removeprefix(main + "_") if database.startswith(main + "_") else ""
    if not _COUNTRY_RE.fullmatch(country):
        raise IdentifierError(
            f"database {database!r} is not tenant {tenant!r}'s: its databases are {main} and {main}_<country>"
        )
    return country


def schema_name(service: str, app: str | None = None) -> str:
    """One schema per base service (``entity``) and per service and app (``entity-crm``), unchecked."""
    return service if app is None else f"{service}-{app}"


def vault_path(path_prefix: str, tenant: str) -> str:
    """The tenant's Vault secret (its database connection string) under the Instance's vault.pathPrefix."""
    return f"{path_prefix.rstrip('/')}/{tenant}"


TENANT_ROLE_PREFIX: Final = "relc_t_"
"""Every tenant's login role starts with this: a tenant named like an existing role (``postgres``, the admin)
can never collide with it, and ``\\du relc_t_*`` lists exactly the tenants' roles."""


def tenant_role(tenant: str) -> str:
    """The tenant's PostgreSQL login role: ``relc_t_<slug>`` (the database's slug), the one role its migrations
    run as. At most 63 bytes: a longer name keeps a prefix and ends in 8 hex digits of the tenant's SHA-256, since
    PostgreSQL would silently truncate it (and two long tenants could then share a role)."""
    validate_tenant(tenant)
    name = TENANT_ROLE_PREFIX + tenant.replace("-", "_")
    if len(name) > MAX_IDENTIFIER_BYTES:
        digest = hashlib.sha256(tenant.encode()).hexdigest()[:8]
        name = f"{name[: MAX_IDENTIFIER_BYTES - 9].rstrip('_')}_{digest}"
    return name


KV2_DATA: Final = "data"
"""The segment that makes a KV v2 API path: ``<mount>/data/<secret path>`` (reads and writes)."""


def kv2_location(path: str) -> tuple[str, str]:
    """A rendered KV v2 path (``vault_path``, e.g. ``secret/data/acme-prod/tenants/acme``) as (mount, secret
    path): what the Vault agent template reads is what relc-migrate writes. IdentifierError when the path has no
    ``/data/`` segment after a mount (a KV v1 path, or no mount), which KV v2 cannot address."""
    mount, sep, rest = path.strip("/").partition(f"/{KV2_DATA}/")
    if not sep or not mount or not rest:
        raise IdentifierError(f"Vault path {path!r} is not a KV v2 data path <mount>/{KV2_DATA}/<path>")
    return mount, rest


def tenant_database(tenant: str, country: str | None = None) -> str:
    """:func:`database_name`, after checking the tenant and country; IdentifierError saying why not."""
    validate_tenant(tenant)
    if country is not None and not _COUNTRY_RE.fullmatch(country):
        raise IdentifierError(f"country {country!r} is not a lower-case ISO 3166-1 alpha-2 code")
    return validate_identifier(database_name(tenant, country), "database")


def service_schema(service: str, app: str | None = None) -> str:
    """:func:`schema_name` of a base service (``auth``) or of a service for one app (``entity-crm``), checked."""
    validate_identifier(service, "service")
    if app is not None:
        validate_identifier(app, "app")
    return validate_schema(schema_name(service, app))
