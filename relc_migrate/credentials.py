"""The tenant role's credentials: generated here, kept in Vault (the one source of truth), set on the role.

The tenant's KV v2 secret (``<vault.pathPrefix>/<tenant>``, the path the migration Job's Vault agent reads its
``dsn`` from) holds ``username``, ``password``, ``dsn`` (libpq key=value: the admin DSN's host, port and TLS
settings with the tenant's user and password, and no database: relc-migrate names the database on every
connection) and ``database`` (the tenant's main database, for other readers).

Written once, reused until rotated (design 3.2). Vault is written FIRST, always with check-and-set, and the role
changed after: a failed Vault write changes nothing, and a failure between the two leaves Vault ahead of the role,
which the next ``provision`` repairs (it sets the role's password to Vault's when that one does not log in). The
other order could leave a password that only the database knows.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Final

import psycopg
from psycopg import conninfo

from relc_contract import tenant_database, tenant_role, vault_path
from relc_migrate import db, privileges
from relc_migrate.errors import DatabaseError, RelcMigrateError, UsageError
from relc_migrate.runtime import Runtime
from relc_migrate.vault import CasConflict, Secret, SecretStore

log = logging.getLogger("relc_migrate")

PASSWORD_BYTES: Final = 32
"""secrets.token_urlsafe(32): 256 random bits, 43 URL-safe characters (nothing libpq or a shell must quote)."""
CAS_ATTEMPTS: Final = 3
#: What of the admin DSN the tenant's keeps: where the server is and how to trust it, not who the admin is.
CARRIED_OVER: Final = (
    "host", "hostaddr", "port", "sslmode", "sslrootcert", "sslcrl", "sslcompression", "connect_timeout",
    "target_session_attrs", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
)  # fmt: skip


class VaultConflict(RelcMigrateError):
    """The tenant's secret kept changing under this run (concurrent writers): nothing changed in the database."""


@dataclass(frozen=True, slots=True)
class CredentialsResult:
    action: str  #: written | reused | repaired | updated | rotated
    path: str
    version: int


def tenant_dsn(admin_dsn: str, role: str, password: str) -> str:
    """The tenant's connection string: the admin DSN's server settings with the tenant's user and password."""
    parts = conninfo.conninfo_to_dict(admin_dsn)
    kept = {key: str(parts[key]) for key in CARRIED_OVER if parts.get(key) is not None}
    return conninfo.make_conninfo("", **kept, user=role, password=password)


def _secret_for(rt: Runtime, tenant: str, role: str, password: str) -> dict[str, str]:
    return {
        "username": role,
        "password": password,
        "dsn": tenant_dsn(rt.dsn, role, password),
        "database": tenant_database(tenant),
    }


def _usable(secret: Secret, role: str) -> str | None:
    """The stored password, when the secret is this role's and complete."""
    data = secret.data or {}
    password = data.get("password")
    if data.get("username") == role and isinstance(password, str) and password and data.get("dsn"):
        return password
    return None


def _logs_in(rt: Runtime, role: str, password: str, database: str) -> bool:
    try:
        with psycopg.connect(tenant_dsn(rt.dsn, role, password), dbname=database, connect_timeout=10):
            return True
    except psycopg.OperationalError:
        return False


def ensure(rt: Runtime, store: SecretStore, tenant: str, database: str) -> CredentialsResult:
    """Make the tenant's Vault secret and its role's password agree, writing a secret only when there is none.

    Reuse: the stored password logs in to ``database`` (reused), or is set on the role (repaired: Vault is the
    truth its readers use); a stored DSN that no longer matches the admin DSN's server settings (the server moved)
    gets a new version with the same password (updated). Else a new password is written with ``cas`` = the
    version read (0: none), then set on the role; a lost check-and-set means another Job wrote meanwhile, so
    read again and reuse that.
    """
    role, path = tenant_role(tenant), vault_path(store.config.path_prefix, tenant)
    for _ in range(CAS_ATTEMPTS):
        secret = store.read(path)
        password = _usable(secret, role)
        if password is not None:
            action = "reused"
            if not _logs_in(rt, role, password, database):
                _set_password(rt, role, password)
                log.warning("%s: the role's password did not match Vault's (version %d); set it", role, secret.version)
                action = "repaired"
            data = _secret_for(rt, tenant, role, password)
            if (secret.data or {}).get("dsn") == data["dsn"]:
                log.info("%s: %s version %d of %s", role, action, secret.version, path)
                return CredentialsResult(action, path, secret.version)
            try:  # the server's address or TLS settings changed: same password, a DSN that reaches it
                version = store.write(path, data, cas=secret.version)
            except CasConflict:
                continue
            log.info("%s: wrote version %d of %s with the server's new settings", role, version, path)
            return CredentialsResult("updated", path, version)
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        try:
            version = store.write(path, _secret_for(rt, tenant, role, password), cas=secret.version)
        except CasConflict:
            log.info("%s: another writer changed %s meanwhile; reading it again", role, path)
            continue
        _set_password(rt, role, password)
        log.info("%s: wrote version %d of %s and set the role's password", role, version, path)
        return CredentialsResult("written", path, version)
    raise VaultConflict(f"{path} changed {CAS_ATTEMPTS} times while provisioning read it; nothing was changed")


def rotate(rt: Runtime, store: SecretStore, tenant: str) -> CredentialsResult:
    """A new password: a new Vault version (check-and-set on the version read), then ALTER ROLE.

    The version comes from the secret's metadata (``<mount>/metadata/<path>``), so rotating never reads the old
    password. A lost check-and-set is an error, not a retry: someone else changed the secret, and rotating on top of a
    version this run never saw could discard theirs. Running again rotates from the new version.
    """
    role, path = tenant_role(tenant), vault_path(store.config.path_prefix, tenant)
    _require_role(rt, role, tenant)
    current = store.version(path)  # the metadata only: rotating needs no old password
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    try:
        version = store.write(path, _secret_for(rt, tenant, role, password), cas=current)
    except CasConflict:
        raise VaultConflict(
            f"{path} changed while rotating (it is no longer version {current}); the role's password was "
            "not changed: run rotate-credentials again"
        ) from None
    try:
        _set_password(rt, role, password)
    except DatabaseError as err:
        raise DatabaseError(
            f"{err}; Vault already holds the new password (version {version}): run provision (which sets the "
            "role's password to Vault's) or rotate-credentials again"
        ) from None
    log.info("%s: rotated: wrote version %d of %s, then set the role's password", role, version, path)
    return CredentialsResult("rotated", path, version)


def _require_role(rt: Runtime, role: str, tenant: str) -> None:
    with db.connect(rt.dsn, None, f"credentials:{tenant}") as admin:
        if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
            raise UsageError(f"tenant {tenant} has no role {role}: run relc-migrate provision first")


def _set_password(rt: Runtime, role: str, password: str) -> None:
    with db.connect(rt.dsn, None, f"credentials:{role}") as admin:
        privileges.set_password_verifier(admin, role, password)
