"""A Vault stand-in on 127.0.0.1 that checks EVERY request against Vault's HTTP API, for the credentials tests.

It speaks the parts relc-migrate uses: Kubernetes auth login (``POST /v1/auth/<mount>/login`` with ``role`` and
``jwt``) and the KV v2 engine's data endpoint (``GET`` / ``POST`` ``/v1/<mount>/data/<path>``, the write body
exactly ``{"data": {...}, "options": {"cas": N}}``) and metadata endpoint (``GET /v1/<mount>/metadata/<path>``),
answering in Vault's shapes (version metadata included). Every request must carry the expected
``X-Vault-Namespace`` and, past the login, a token it issued (``X-Vault-Token``); anything else is answered as
Vault would (400/403/404/405) AND recorded in ``violations``, which the tests assert stays empty.

``fail`` injects a status for the next matching request (403, 500, ...); ``before_write`` runs just before a
write is applied (a concurrent writer, for check-and-set conflicts).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_TIME = "2100-01-01T00:00:00.000000Z"


@dataclass
class Request:
    method: str
    path: str
    token: str | None
    namespace: str | None
    body: Any


@dataclass
class FakeVault:
    mount: str = "secret"
    auth_mount: str = "kubernetes"
    namespace: str = "vault-test"
    role: str = "relc-migrate"
    jwt: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    static_token: str | None = None  #: a token accepted without login (token-file auth)
    secrets: dict[str, list[dict[str, str]]] = field(default_factory=dict)  #: path -> versions' data
    requests: list[Request] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    fail: dict[tuple[str, str], int] = field(default_factory=dict)  #: (method, kind) -> status, once
    before_write: Callable[[FakeVault, str], object] | None = None
    _tokens: set[str] = field(default_factory=set)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def address(self) -> str:
        assert self._server is not None
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> FakeVault:
        vault = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                vault._handle(self, "GET")

            def do_POST(self) -> None:
                vault._handle(self, "POST")

            def do_PUT(self) -> None:
                vault._handle(self, "PUT")

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def current(self, path: str) -> dict[str, str] | None:
        versions = self.secrets.get(path) or []
        return versions[-1] if versions else None

    def put(self, path: str, data: dict[str, str]) -> int:
        """Write a version directly (another writer, or test set-up)."""
        self.secrets.setdefault(path, []).append(dict(data))
        return len(self.secrets[path])

    # --- the API --------------------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode(errors="replace")
        token, namespace = handler.headers.get("X-Vault-Token"), handler.headers.get("X-Vault-Namespace")
        with self._lock:
            self.requests.append(Request(method, handler.path, token, namespace, body))
            status, answer = self._route(method, handler.path, token, namespace, body)
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _violation(self, status: int, text: str) -> tuple[int, dict[str, Any]]:
        self.violations.append(text)
        return status, {"errors": [text]}

    def _route(
        self, method: str, path: str, token: str | None, namespace: str | None, body: Any
    ) -> tuple[int, dict[str, Any]]:
        if namespace != self.namespace:
            return self._violation(403, f"{method} {path}: X-Vault-Namespace {namespace!r}, not {self.namespace!r}")
        login = f"/v1/auth/{self.auth_mount}/login"
        if path == login:
            return self._login(method, body)
        if token is None or (token not in self._tokens and token != self.static_token):
            return self._violation(403, f"{method} {path}: no valid X-Vault-Token")
        for kind in ("data", "metadata"):
            prefix = f"/v1/{self.mount}/{kind}/"
            if path.startswith(prefix) and len(path) > len(prefix) and "?" not in path:
                injected = self.fail.pop((method, kind), None)
                if injected is not None:
                    return injected, {"errors": ["permission denied" if injected == 403 else "injected failure"]}
                secret = path[len(prefix) :]
                if kind == "metadata":
                    return self._metadata(method, secret)
                return self._read(secret) if method == "GET" else self._write(method, secret, body)
        return self._violation(404, f"{method} {path}: not an endpoint of this Vault")

    def _login(self, method: str, body: Any) -> tuple[int, dict[str, Any]]:
        if method != "POST":
            return self._violation(405, f"{method} login")
        if not isinstance(body, dict) or set(body) != {"role", "jwt"}:
            return self._violation(400, f"login body {body!r} is not {{role, jwt}}")
        injected = self.fail.pop(("POST", "login"), None)
        if injected is not None:
            return injected, {"errors": ["permission denied"]}
        if body["role"] != self.role or body["jwt"] != self.jwt:
            return 403, {"errors": ["permission denied"]}
        token = "hvs." + secrets.token_urlsafe(24)
        self._tokens.add(token)
        return 200, {
            "request_id": secrets.token_hex(8), "lease_id": "", "renewable": False, "lease_duration": 0,
            "data": None, "wrap_info": None, "warnings": None,
            "auth": {
                "client_token": token, "accessor": secrets.token_hex(8), "policies": ["default", "relc-migrate"],
                "token_policies": ["default", "relc-migrate"], "metadata": {"role": self.role},
                "lease_duration": 3600, "renewable": True, "entity_id": "", "token_type": "service",
                "orphan": True,
            },
        }  # fmt: skip

    def _version_metadata(self, version: int) -> dict[str, Any]:
        return {
            "created_time": _TIME, "custom_metadata": None, "deletion_time": "", "destroyed": False,
            "version": version,
        }  # fmt: skip

    def _envelope(self, data: Any) -> dict[str, Any]:
        return {
            "request_id": secrets.token_hex(8), "lease_id": "", "renewable": False, "lease_duration": 0,
            "data": data, "wrap_info": None, "warnings": None, "auth": None,
        }  # fmt: skip

    def _read(self, secret: str) -> tuple[int, dict[str, Any]]:
        versions = self.secrets.get(secret)
        if not versions:
            return 404, {"errors": []}
        return 200, self._envelope({"data": versions[-1], "metadata": self._version_metadata(len(versions))})

    def _write(self, method: str, secret: str, body: Any) -> tuple[int, dict[str, Any]]:
        if method not in ("POST", "PUT"):
            return self._violation(405, f"{method} data/{secret}")
        shape_ok = (
            isinstance(body, dict)
            and set(body) == {"data", "options"}
            and isinstance(body["data"], dict)
            and all(isinstance(v, str) for v in body["data"].values())
            and isinstance(body["options"], dict)
            and set(body["options"]) == {"cas"}
            and isinstance(body["options"]["cas"], int)
        )
        if not shape_ok:
            return self._violation(400, f"write body {body!r} is not {{data: {{...}}, options: {{cas: N}}}}")
        if self.before_write is not None:
            hook, self.before_write = self.before_write, None
            hook(self, secret)
        versions = self.secrets.setdefault(secret, [])
        if body["options"]["cas"] != len(versions):
            return 400, {"errors": ["check-and-set parameter did not match the current version"]}
        versions.append(body["data"])
        return 200, self._envelope(self._version_metadata(len(versions)))

    def _metadata(self, method: str, secret: str) -> tuple[int, dict[str, Any]]:
        if method != "GET":
            return self._violation(405, f"{method} metadata/{secret}")
        versions = self.secrets.get(secret)
        if not versions:
            return 404, {"errors": []}
        return 200, self._envelope({
            "cas_required": False, "created_time": _TIME, "current_version": len(versions), "custom_metadata": None,
            "delete_version_after": "0s", "max_versions": 0, "oldest_version": 1, "updated_time": _TIME,
            "versions": {str(n): self._version_metadata(n) for n in range(1, len(versions) + 1)},
        })  # fmt: skip
