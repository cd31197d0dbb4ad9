"""A minimal Kubernetes API client: in-cluster configuration, JSON over HTTPS, the standard library only.

Why not the ``kubernetes`` package: relc-migrate needs three calls (GET and merge-PATCH of a status
subresource, LIST of Deployments) and starts once per tenant per sync; the official client pulls in
urllib3, oauthlib, google-auth and its generated models (hundreds of modules) for them. ``http.client`` and
``ssl`` do the same in a few milliseconds of import time, and only commands that talk to the API import this
module at all.

Configuration is the in-cluster one every client uses: the API server at ``KUBERNETES_SERVICE_HOST`` /
``KUBERNETES_SERVICE_PORT``, the ServiceAccount token, CA bundle and namespace in the directory the kubelet
mounts. The token file is re-read for each request because the kubelet rotates projected tokens (a migration
can outlive one). Every request has a timeout (connect and read); responses are read up to a bound.
"""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from relc_contract import ENV_KUBE_API, ENV_KUBE_SERVICEACCOUNT_DIR, KUBE_API_IN_CLUSTER, SERVICEACCOUNT_DIR

DEFAULT_TIMEOUT_SECONDS: Final = 5.0
MAX_RESPONSE_BYTES: Final = 16 * 1024 * 1024
MERGE_PATCH: Final = "application/merge-patch+json"


class KubeError(Exception):
    """A request that did not succeed: the connection failed or timed out (``status`` None) or the API server
    answered with an error status (its ``Status`` message, when it sent one)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class KubeConfigError(Exception):
    """RELC_KUBE_API=in-cluster, but this pod has no usable in-cluster configuration (says what is missing)."""


@dataclass(frozen=True, slots=True)
class InCluster:
    """Where the API server is and where the ServiceAccount's credentials are mounted."""

    host: str
    port: int
    serviceaccount_dir: Path
    namespace: str

    @property
    def token_file(self) -> Path:
        return self.serviceaccount_dir / "token"

    @property
    def ca_file(self) -> Path:
        return self.serviceaccount_dir / "ca.crt"


def in_cluster(env: Mapping[str, str]) -> InCluster | None:
    """The in-cluster configuration when the environment enables the API (``RELC_KUBE_API=in-cluster``), None
    when it does not; KubeConfigError when it is enabled but something is missing."""
    mode = env.get(ENV_KUBE_API) or ""
    if not mode:
        return None
    if mode != KUBE_API_IN_CLUSTER:
        raise KubeConfigError(f"{ENV_KUBE_API} must be {KUBE_API_IN_CLUSTER!r} or unset, not {mode[:40]!r}")
    host, port = env.get("KUBERNETES_SERVICE_HOST") or "", env.get("KUBERNETES_SERVICE_PORT") or ""
    if not host or not port.isdigit():
        raise KubeConfigError("KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set: not running in a pod")
    folder = Path(env.get(ENV_KUBE_SERVICEACCOUNT_DIR) or SERVICEACCOUNT_DIR)
    try:
        namespace = (folder / "namespace").read_text(encoding="utf-8").strip()
    except OSError as err:
        raise KubeConfigError(f"no ServiceAccount mounted at {folder} ({err.strerror})") from None
    for needed in ("token", "ca.crt"):
        if not (folder / needed).is_file():
            raise KubeConfigError(f"no ServiceAccount {needed} in {folder} (automountServiceAccountToken off?)")
    return InCluster(host, int(port), folder, namespace)


class KubeClient:
    """JSON requests to the API server with the ServiceAccount's bearer token, verified against its CA."""

    def __init__(self, config: InCluster, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.config = config
        self.timeout = timeout
        try:
            self._tls = ssl.create_default_context(cafile=str(config.ca_file))
        except (OSError, ssl.SSLError) as err:
            raise KubeConfigError(f"cannot load the cluster CA {config.ca_file}: {err}") from None

    def request(
        self, method: str, path: str, body: Mapping[str, Any] | None = None, content_type: str = "application/json"
    ) -> dict[str, Any]:
        """One request; the decoded JSON object answered, or KubeError."""
        try:
            token = self.config.token_file.read_text(encoding="utf-8").strip()
        except OSError as err:
            raise KubeError(f"cannot read the ServiceAccount token: {err.strerror}") from None
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "User-Agent": "relc-migrate"}
        payload = None
        if body is not None:
            payload = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = content_type
        conn = http.client.HTTPSConnection(self.config.host, self.config.port, timeout=self.timeout, context=self._tls)
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read(MAX_RESPONSE_BYTES + 1)
        except (OSError, http.client.HTTPException) as err:  # refused, reset, TLS, timeout (TimeoutError is one)
            raise KubeError(f"{method} {path}: {type(err).__name__}: {err}") from None
        finally:
            conn.close()
        if len(data) > MAX_RESPONSE_BYTES:
            raise KubeError(f"{method} {path}: response larger than {MAX_RESPONSE_BYTES} bytes", response.status)
        decoded = _json(data)
        if response.status >= 300:
            message = decoded.get("message") if isinstance(decoded.get("message"), str) else response.reason
            raise KubeError(f"{method} {path}: {response.status} {message}", response.status)
        return decoded

    def merge_patch_status(self, path: str, status: Mapping[str, Any]) -> dict[str, Any]:
        """Merge-patch ``.status`` through the status subresource (``path`` ends in ``/status``)."""
        return self.request("PATCH", path, {"status": dict(status)}, MERGE_PATCH)


def _json(data: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(data or b"{}")
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}
