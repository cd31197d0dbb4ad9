"""The tenant secrets' store: HashiCorp Vault's KV v2 engine through hvac, the one module that imports it.

Only ``provision`` and ``rotate-credentials`` open a store, and hvac (with requests) is imported when they do:
``migrate-tenant``, the hot path, never loads it. Vault's answers become typed errors with the documented exit
codes: a refusal (401/403: the Vault role's policy or the Job's ServiceAccount) is ``usage`` (2: retrying cannot
help), Vault unreachable or failing (5xx, timeouts) is ``failed`` (1: the Job's backoff retries), and a
check-and-set conflict is :class:`CasConflict` for the caller to resolve. Messages name the address, the path and
the status, never a value that was read or written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relc_contract import DEFAULT_VAULT_AUTH_MOUNT, SERVICE_ACCOUNT_TOKEN_PATH, VAULT_ROLE, kv2_location
from relc_migrate.errors import RelcMigrateError, UsageError

if TYPE_CHECKING:
    import hvac

TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class VaultConfig:
    """Where Vault is and how this Job logs in (cli.py reads it from the RELC_VAULT_* environment)."""

    address: str
    path_prefix: str  #: the Instance's vault.pathPrefix, ``<mount>/data/<path>``
    namespace: str | None = None
    role: str = VAULT_ROLE  #: Kubernetes auth role
    auth_mount: str = DEFAULT_VAULT_AUTH_MOUNT
    service_account_token_file: str = SERVICE_ACCOUNT_TOKEN_PATH
    token_file: str | None = None  #: a Vault token instead of Kubernetes auth
    ca_cert: str | None = None


class VaultUnavailable(RelcMigrateError):
    """Vault could not be reached or failed (5xx): nothing was changed in the database; the Job retries."""


class VaultDenied(UsageError):
    """Vault refused the login or the operation (401/403): its policy or role must change first."""


class CasConflict(Exception):
    """A KV v2 check-and-set write lost: the secret's version is no longer the one this run read."""


@dataclass(frozen=True, slots=True)
class Secret:
    """One read of a KV v2 secret: its data (None when it has no live version) and current version (0: none)."""

    data: Mapping[str, Any] | None
    version: int


class SecretStore:
    """A logged-in Vault client for the KV v2 secrets under one Instance's path prefix."""

    def __init__(self, config: VaultConfig, client: hvac.Client) -> None:
        self.config = config
        self._client = client

    @classmethod
    def open(cls, config: VaultConfig) -> SecretStore:
        """Log in (a token file, else Kubernetes auth with the ServiceAccount token) and return the store."""
        import hvac
        import requests

        client = hvac.Client(
            url=config.address,
            namespace=config.namespace or None,
            verify=config.ca_cert or True,
            timeout=TIMEOUT_SECONDS,
        )
        store = cls(config, client)
        if config.token_file:
            client.token = _read(config.token_file, "RELC_VAULT_TOKEN_FILE")
            return store
        jwt = _read(config.service_account_token_file, "RELC_VAULT_SA_TOKEN_FILE")
        where = f"auth/{config.auth_mount}/login"
        try:
            client.auth.kubernetes.login(role=config.role, jwt=jwt, mount_point=config.auth_mount)
        except (hvac.exceptions.VaultError, requests.RequestException) as err:
            raise store._error(err, f"log in as role {config.role} at {where}") from None
        return store

    def location(self, path: str) -> tuple[str, str]:
        """(mount, secret path) of a rendered KV v2 data path; UsageError when it is not one."""
        try:
            return kv2_location(path)
        except ValueError as err:
            raise UsageError(str(err)) from None

    def read(self, path: str) -> Secret:
        """The secret's latest version (``Secret(None, 0)`` when it was never written)."""
        import hvac
        import requests

        mount, sub = self.location(path)
        try:
            answer = self._client.secrets.kv.v2.read_secret_version(
                path=sub, mount_point=mount, raise_on_deleted_version=False
            )
        except hvac.exceptions.InvalidPath:
            return Secret(None, 0)
        except (hvac.exceptions.VaultError, requests.RequestException) as err:
            raise self._error(err, f"read {path}") from None
        body = answer.get("data") or {}
        metadata = body.get("metadata") or {}
        data = body.get("data")
        return Secret(data if isinstance(data, dict) else None, int(metadata.get("version") or 0))

    def version(self, path: str) -> int:
        """The secret's current version from its metadata (0: never written), without reading its data."""
        import hvac
        import requests

        mount, sub = self.location(path)
        try:
            answer = self._client.secrets.kv.v2.read_secret_metadata(path=sub, mount_point=mount)
        except hvac.exceptions.InvalidPath:
            return 0
        except (hvac.exceptions.VaultError, requests.RequestException) as err:
            raise self._error(err, f"read the metadata of {path}") from None
        return int((answer.get("data") or {}).get("current_version") or 0)

    def write(self, path: str, data: Mapping[str, str], cas: int) -> int:
        """Write a new version only if the current one is ``cas`` (0: only if none); returns the new version."""
        import hvac
        import requests

        mount, sub = self.location(path)
        try:
            answer = self._client.secrets.kv.v2.create_or_update_secret(
                path=sub, secret=dict(data), cas=cas, mount_point=mount
            )
        except hvac.exceptions.InvalidRequest as err:
            if any("check-and-set" in str(e) for e in err.errors or ()):
                raise CasConflict(path) from None
            raise self._error(err, f"write {path}") from None
        except (hvac.exceptions.VaultError, requests.RequestException) as err:
            raise self._error(err, f"write {path}") from None
        return int((answer.get("data") or {}).get("version") or 0)

    def _error(self, err: Exception, what: str) -> RelcMigrateError:
        import hvac

        where = f"Vault at {self.config.address}"
        if isinstance(err, hvac.exceptions.Unauthorized | hvac.exceptions.Forbidden):
            status = 401 if isinstance(err, hvac.exceptions.Unauthorized) else 403
            return VaultDenied(
                f"{where} refused to {what} ({status} permission denied): check the Vault role "
                f"{self.config.role!r} and its policy (README: relc-migrate, the Vault policy)"
            )
        if isinstance(err, hvac.exceptions.VaultError):
            detail = "; ".join(str(e) for e in err.errors or ()) or type(err).__name__
            return VaultUnavailable(f"{where} failed to {what}: {detail}")
        return VaultUnavailable(f"{where} is unreachable ({type(err).__name__}); could not {what}")


def _read(path: str, variable: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as err:
        raise UsageError(f"cannot read the Vault credentials file {path} ({variable}): {err.strerror}") from None
