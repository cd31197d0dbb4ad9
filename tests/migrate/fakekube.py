"""A Kubernetes API server stand-in that checks every request relc-migrate makes against the real API.

No kube-apiserver (or kind/envtest binary) can run here, so the status and gate tests point relc-migrate's
in-cluster configuration at this HTTPS server. It answers only what relc-migrate may do, and records anything
else as a violation (answered 400/404, as the real server would refuse it):

- TLS with a CA the client must verify (the ServiceAccount's ``ca.crt``), and ``Authorization: Bearer <token>``
  with the mounted token on every request (401 otherwise);
- RBAC as rendered: each request is mapped to (verb, API group, resource, namespace) the way the API server's
  authorizer does (GET of one object: get; GET of a collection: list; PATCH: patch; ``<plural>/status`` for the
  status subresource) and must be allowed by a rule of a Role bound to the relc-migrate ServiceAccount
  (403 with the API server's message otherwise, recorded in ``forbidden``);
- ``GET|PATCH /apis/tenancy.relc.dev/v1alpha1/namespaces/<ns>/<plural>/<name>/status``: PATCH only with
  ``Content-Type: application/merge-patch+json``, a body of ``{"status": {...}}`` only (the status subresource
  ignores everything else; relc must not send it), applied as RFC 7386 merge patch, after which the whole object
  must validate against the rendered CRD's openAPIV3Schema (translated by compiler.render.crdschema, the
  translation ``relc validate --rendered`` uses) and its list-map keys must be unique; 404 for an unknown object;
- ``GET /apis/apps/v1/namespaces/<ns>/deployments?limit=N[&continue=T]``: an apps/v1 DeploymentList, paged.
"""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import yaml

import relc_contract as contract
from compiler.render.crdschema import resource_schema

REPO = Path(__file__).resolve().parents[2]
CRDS = REPO / "rendered" / "crds"
SERVICE_ACCOUNT = "relc-migrate"
_STATUS = re.compile(r"/apis/([^/]+)/([^/]+)/namespaces/([a-z0-9-]+)/([a-z]+)/([^/]+)/status")
_DEPLOYMENTS = re.compile(r"/apis/apps/v1/namespaces/([a-z0-9-]+)/deployments")


@dataclass(frozen=True)
class CrdSchema:
    kind: str
    schema: dict[str, Any]
    list_maps: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    """(path to a list, its map keys) for every ``x-kubernetes-list-type: map``"""


def crd_schemas(folder: Path = CRDS) -> dict[str, CrdSchema]:
    """plural -> the resource schema of every rendered tenancy CRD."""
    found = {}
    for path in sorted(folder.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        spec = crd["spec"]
        version = spec["versions"][0]
        openapi = version["schema"]["openAPIV3Schema"]
        found[spec["names"]["plural"]] = CrdSchema(
            spec["names"]["kind"],
            resource_schema(spec["group"], spec["names"]["kind"], version["name"], openapi),
            tuple(_list_maps(openapi, ())),
        )
    return found


def _list_maps(node: Mapping[str, Any], path: tuple[str, ...]) -> Iterable[tuple[tuple[str, ...], tuple[str, ...]]]:
    if node.get("x-kubernetes-list-type") == "map":
        yield path, tuple(node["x-kubernetes-list-map-keys"])
    for name, sub in (node.get("properties") or {}).items():
        yield from _list_maps(sub, (*path, name))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


@dataclass(frozen=True)
class Rule:
    namespace: str
    groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]

    def allows(self, namespace: str, verb: str, group: str, resource: str) -> bool:
        return (
            namespace == self.namespace
            and group in self.groups
            and (resource in self.resources or "*" in self.resources)
            and (verb in self.verbs or "*" in self.verbs)
        )


def service_account_rules(manifests: Iterable[Mapping[str, Any]], sa_namespace: str) -> list[Rule]:
    """The rules of every Role a RoleBinding grants the relc-migrate ServiceAccount of ``sa_namespace``."""
    docs = list(manifests)
    roles = {(d["metadata"]["namespace"], d["metadata"]["name"]): d for d in docs if d.get("kind") == "Role"}
    rules = []
    for binding in (d for d in docs if d.get("kind") == "RoleBinding"):
        ns = binding["metadata"]["namespace"]
        subject = {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": sa_namespace}
        if not any(all(s.get(k) == v for k, v in subject.items()) for s in binding["subjects"]):
            continue
        role = roles[(ns, binding["roleRef"]["name"])]
        for rule in role["rules"]:
            rules.append(Rule(ns, tuple(rule["apiGroups"]), tuple(rule["resources"]), tuple(rule["verbs"])))
    return rules


def deployment(
    name: str, namespace: str, *, replicas: int = 2, available: int | None = None, observed: int = 1
) -> dict[str, Any]:
    """An apps/v1 Deployment as the API server returns it (generation 1; ``available`` defaults to all)."""
    ready = replicas if available is None else available
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "generation": 1, "uid": f"uid-{name}"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}},
        "status": {
            "observedGeneration": observed,
            "replicas": replicas,
            "updatedReplicas": ready,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "conditions": [
                {"type": "Available", "status": "True" if ready == replicas else "False", "reason": "MinimumReplicas"}
            ],
        },
    }


@dataclass
class FakeKube:
    token: str
    rules: list[Rule]
    schemas: dict[str, CrdSchema] = field(default_factory=crd_schemas)
    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    """(plural, namespace, name) -> the stored object"""
    deployments: dict[str, list[list[dict[str, Any]]]] = field(default_factory=dict)
    """namespace -> the Deployments each successive list call sees (the last one stays)"""
    page_size: int | None = None
    """answer at most this many items per page (whatever the client's limit), to exercise ``continue``"""
    answer_status_with: int | None = None
    """answer every status request with this HTTP status (the best-effort policy's tests)"""
    delay: float = 0.0
    violations: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)
    patches: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    """(plural, name, the status patch) in arrival order"""
    lists: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, document: Mapping[str, Any]) -> None:
        """Store a rendered custom resource (as Argo CD would have applied it: no status yet)."""
        plural = next(p for p, s in self.schemas.items() if s.kind == document["kind"])
        meta = document["metadata"]
        stored = {**document, "metadata": {**meta, "generation": 1, "resourceVersion": "1"}}
        self.objects[(plural, meta["namespace"], meta["name"])] = stored

    def phases(self, plural: str, name: str) -> list[str]:
        """The phases patched into one object, in order."""
        return [p["phase"] for pl, n, p in self.patches if (pl, n) == (plural, name) and "phase" in p]

    def status(self, plural: str, namespace: str, name: str) -> dict[str, Any]:
        return dict(self.objects[(plural, namespace, name)].get("status") or {})


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (the test's cluster CA is the certificate itself)."""
    cert, key = folder / "ca.crt", folder / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=kubernetes",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def serve(state: FakeKube, cert: Path, key: Path) -> ThreadingHTTPServer:
    """A started HTTPS server on a free port of 127.0.0.1 (``server.shutdown()`` stops it)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._handle("GET")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def _handle(self, method: str) -> None:
            if state.delay:
                time.sleep(state.delay)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Authorization") != f"Bearer {state.token}":
                state.violations.append(f"{method} {self.path}: no or wrong bearer token")
                return self._status(401, "Unauthorized")
            url = urlsplit(self.path)
            status_match, deployments_match = _STATUS.fullmatch(url.path), _DEPLOYMENTS.fullmatch(url.path)
            if status_match and method in ("GET", "PATCH"):
                return self._status_subresource(method, status_match, body)
            if deployments_match and method == "GET":
                return self._deployments(deployments_match[1], parse_qs(url.query))
            state.violations.append(f"unexpected {method} {self.path}")
            return self._status(404, "the server could not find the requested resource")

        def _authorized(self, verb: str, group: str, resource: str, namespace: str, name: str) -> bool:
            if any(rule.allows(namespace, verb, group, resource) for rule in state.rules):
                return True
            user = f"system:serviceaccount:{namespace}:{SERVICE_ACCOUNT}"
            message = (
                f'{resource}.{group} "{name}" is forbidden: User "{user}" cannot {verb} resource "{resource}" '
                f'in API group "{group}" in the namespace "{namespace}"'
            )
            state.forbidden.append(message)
            self._status(403, message, "Forbidden")
            return False

        def _status_subresource(self, method: str, match: re.Match[str], body: bytes) -> None:
            group, version, namespace, plural, name = match.groups()
            if (group, version) != (contract.CRD_GROUP, contract.CRD_VERSION) or plural not in state.schemas:
                state.violations.append(f"{method} {self.path}: not a tenancy resource")
                return self._status(404, "the server could not find the requested resource")
            if not self._authorized("get" if method == "GET" else "patch", group, f"{plural}/status", namespace, name):
                return None
            if state.answer_status_with is not None:
                return self._status(state.answer_status_with, "injected failure")
            with state.lock:
                stored = state.objects.get((plural, namespace, name))
                if stored is None:
                    return self._status(404, f'{plural}.{group} "{name}" not found', "NotFound")
                if method == "GET":
                    return self._json(200, stored)
                problem = self._check_patch(plural, stored, body)
                if problem is not None:
                    state.violations.append(f"PATCH {self.path}: {problem}")
                    return self._status(422, problem, "Invalid")
                patch = json.loads(body)
                merged = merge_patch(stored, {"status": patch["status"]})
                errors = sorted(jsonschema.Draft7Validator(state.schemas[plural].schema).iter_errors(merged), key=str)
                errors_text = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
                errors_text += _duplicate_keys(merged, state.schemas[plural].list_maps)
                if errors_text:
                    state.violations.append(f"PATCH {self.path}: {'; '.join(errors_text)}")
                    return self._status(422, "; ".join(errors_text), "Invalid")
                merged["metadata"]["resourceVersion"] = str(int(stored["metadata"]["resourceVersion"]) + 1)
                state.objects[(plural, namespace, name)] = merged
                state.patches.append((plural, name, patch["status"]))
            return self._json(200, merged)

        def _check_patch(self, plural: str, stored: dict[str, Any], body: bytes) -> str | None:
            if self.headers.get("Content-Type") != "application/merge-patch+json":
                return f"Content-Type {self.headers.get('Content-Type')!r} is not application/merge-patch+json"
            try:
                patch = json.loads(body)
            except ValueError:
                return "the body is not JSON"
            if not isinstance(patch, dict) or set(patch) != {"status"} or not isinstance(patch["status"], dict):
                shown = sorted(patch) if isinstance(patch, dict) else patch
                return f"the body must be {{'status': {{...}}}} only, not {shown!r}"
            return None

        def _deployments(self, namespace: str, query: dict[str, list[str]]) -> None:
            if not self._authorized("list", "apps", "deployments", namespace, ""):
                return
            limit = int((query.get("limit") or ["0"])[0])
            start = int((query.get("continue") or ["0"])[0])
            with state.lock:
                script = state.deployments.get(namespace) or [[]]
                items = script[0]
                size = min(x for x in (limit, state.page_size or 0, len(items)) if x > 0) if items else 0
                page = items[start : start + size]
                meta: dict[str, Any] = {"resourceVersion": "7"}
                if start + size < len(items):
                    meta["continue"] = str(start + size)
                elif len(script) > 1:
                    script.pop(0)  # the list is complete: the next list call sees the next state
                if start == 0:
                    state.lists += 1
            self._json(200, {"apiVersion": "apps/v1", "kind": "DeploymentList", "metadata": meta, "items": page})

        def _status(self, code: int, message: str, reason: str = "") -> None:
            self._json(
                code,
                {"apiVersion": "v1", "kind": "Status", "status": "Failure", "message": message, "reason": reason,
                 "code": code},
            )  # fmt: skip

        def _json(self, code: int, payload: Mapping[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _duplicate_keys(obj: Mapping[str, Any], list_maps: Iterable[tuple[tuple[str, ...], tuple[str, ...]]]) -> list[str]:
    """The API server refuses a list-map with two items of one key (structural merge would be ambiguous)."""
    problems = []
    for path, keys in list_maps:
        node: Any = obj
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, list):
            continue
        seen = [tuple(item.get(k) for k in keys) for item in node if isinstance(item, dict)]
        if len(seen) != len(set(seen)):
            problems.append(f"{'.'.join(path)}: duplicate entries for keys {keys}")
    return problems


def environment(server: ThreadingHTTPServer, folder: Path, cert: Path, namespace: str, token: str) -> dict[str, str]:
    """What a pod of the rendered Job gets: the API enabled, the service host/port, a ServiceAccount mount."""
    sa = folder / "serviceaccount"
    sa.mkdir(parents=True, exist_ok=True)
    (sa / "token").write_text(token)
    (sa / "namespace").write_text(namespace)
    (sa / "ca.crt").write_bytes(cert.read_bytes())
    return {
        contract.ENV_KUBE_API: contract.KUBE_API_IN_CLUSTER,
        contract.ENV_KUBE_SERVICEACCOUNT_DIR: str(sa),
        "KUBERNETES_SERVICE_HOST": "127.0.0.1",
        "KUBERNETES_SERVICE_PORT": str(server.server_address[1]),
    }
