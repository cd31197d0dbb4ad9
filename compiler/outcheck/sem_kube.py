"""Semantic checks of rendered/ for what relc-migrate does in the cluster: its readiness gate and its status writes.

Schemas cannot see these defects: every document is valid on its own, yet synced together they fail.

- RLC612 (migrate-gate): a tenant's migration Job (``relc-migrate migrate-tenant``) that does not wait for its
  candidate (``--await-candidate``), or whose ServiceAccount may not get and list Deployments in the namespace it
  waits on (no Role bound to it there). Without the gate, Argo CD applies the tenant's route in the Sync phase
  even when the candidate is not deployed; without the grant, the gate fails every sync with 403.
- RLC613 (status-rbac): a Job that enables the Kubernetes API (``RELC_KUBE_API``) whose ServiceAccount may not get
  and patch the status subresource of the tenancy resources relc-migrate writes, in the Job's namespace; or a
  tenancy CRD whose ``status.conditions`` is not a list-map keyed by ``type`` (status is then silently not
  written: every write is refused, or two conditions of one type are kept).

RBAC is evaluated the way the API server's authorizer does for namespaced requests: the rules of every Role a
RoleBinding in the namespace grants to the ServiceAccount (ClusterRoles are never rendered by relc).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import relc_contract as contract
from compiler.diagnostics import Diagnostic
from compiler.load.documents import field_path
from compiler.load.yamlread import FieldPath
from compiler.outcheck.documents import RenderedDoc

GATE = "RLC612"
STATUS = "RLC613"
_AWAIT = "--await-candidate"


@dataclass
class Grants:
    """Namespace -> (ServiceAccount namespace, name) -> the (verb, group, resource) it may use there."""

    rules: dict[str, dict[tuple[str, str], set[tuple[str, str, str]]]] = field(default_factory=dict)

    def allows(self, namespace: str, account: tuple[str, str], verb: str, group: str, resource: str) -> bool:
        granted = self.rules.get(namespace, {}).get(account, set())
        return any(v in (verb, "*") and g in (group, "*") and r in (resource, "*") for v, g, r in granted)


def grants(docs: Iterable[RenderedDoc]) -> Grants:
    """Every Role's rules, credited to the ServiceAccounts its RoleBindings name (in the binding's namespace)."""
    roles: dict[tuple[str, str], list[Any]] = {}
    bindings: list[Mapping[str, Any]] = []
    for doc in docs:
        data = doc.data
        if not isinstance(data, Mapping) or data.get("apiVersion") != "rbac.authorization.k8s.io/v1":
            continue
        meta = data.get("metadata") or {}
        if data.get("kind") == "Role":
            roles[(str(meta.get("namespace")), str(meta.get("name")))] = list(data.get("rules") or [])
        elif data.get("kind") == "RoleBinding" and (data.get("roleRef") or {}).get("kind") == "Role":
            bindings.append(data)
    found = Grants()
    for binding in bindings:
        ns = str(binding["metadata"].get("namespace"))
        rules = roles.get((ns, str(binding["roleRef"].get("name"))), [])
        for subject in binding.get("subjects") or []:
            if not isinstance(subject, Mapping) or subject.get("kind") != "ServiceAccount":
                continue
            account = (str(subject.get("namespace", ns)), str(subject.get("name")))
            granted = found.rules.setdefault(ns, {}).setdefault(account, set())
            for rule in rules:
                if isinstance(rule, Mapping):
                    granted |= {
                        (str(v), str(g), str(r))
                        for v in rule.get("verbs") or []
                        for g in rule.get("apiGroups") or []
                        for r in rule.get("resources") or []
                    }
    return found


def check(docs: Sequence[RenderedDoc]) -> list[Diagnostic]:
    """RLC612 and RLC613 over every rendered document."""
    granted = grants(docs)
    found: list[Diagnostic] = []
    for doc in docs:
        data = doc.data
        if not isinstance(data, Mapping):
            continue
        if data.get("kind") == "Job" and data.get("apiVersion") == "batch/v1":
            found += _job(doc, data, granted)
        elif (
            data.get("kind") == "CustomResourceDefinition"
            and (data.get("spec") or {}).get("group") == contract.CRD_GROUP
        ):
            found += _crd(doc, data)
    return found


def _job(doc: RenderedDoc, job: Mapping[str, Any], granted: Grants) -> list[Diagnostic]:
    pod = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
    namespace = str((job.get("metadata") or {}).get("namespace"))
    account = (namespace, str(pod.get("serviceAccountName") or "default"))
    name = (job.get("metadata") or {}).get("name")
    found = []
    for index, container in enumerate(pod.get("containers") or []):
        if not isinstance(container, Mapping):
            continue
        base: FieldPath = ("spec", "template", "spec", "containers", index)
        args = [str(a) for a in container.get("args") or []]
        env = {e.get("name"): e.get("value") for e in container.get("env") or [] if isinstance(e, Mapping)}
        if args[:1] == ["migrate-tenant"]:
            found += _gate(doc, (*base, "args"), args, account, granted, name)
        if env.get(contract.ENV_KUBE_API) == contract.KUBE_API_IN_CLUSTER:
            missing = [
                f"{verb} {plural}/status"
                for plural in contract.STATUS_WRITTEN
                for verb in ("get", "patch")
                if not granted.allows(namespace, account, verb, contract.CRD_GROUP, f"{plural}/status")
            ]
            if missing:
                found.append(
                    _diagnostic(
                        doc, (*base, "env"), STATUS,
                        f"Job {name} writes tenancy status ({contract.ENV_KUBE_API}) but ServiceAccount "
                        f"{account[1]} may not {', '.join(missing)} in namespace {namespace}",
                        "bind it a Role granting get and patch on those status subresources in the Job's namespace "
                        "(relc renders relc-migrate-status in the tenancy namespace)",
                    )
                )  # fmt: skip
    return found


def _gate(
    doc: RenderedDoc, where: FieldPath, args: list[str], account: tuple[str, str], granted: Grants, name: object
) -> list[Diagnostic]:
    if _AWAIT not in args[:-1]:
        return [
            _diagnostic(
                doc, where, GATE,
                f"migration Job {name} does not wait for its candidate ({_AWAIT} is missing): Argo CD would apply "
                "the tenant's route even when the candidate's Deployments are not Available",
                f"render the Job with contract.TenantMigrateInvocation(candidate_namespace=...), which adds {_AWAIT}",
            )
        ]  # fmt: skip
    namespace = args[args.index(_AWAIT) + 1]
    if all(granted.allows(namespace, account, verb, "apps", "deployments") for verb in ("get", "list")):
        return []
    return [
        _diagnostic(
            doc, where, GATE,
            f"migration Job {name} waits for the Deployments in {namespace}, but ServiceAccount {account[1]} of "
            f"{account[0]} may not get and list them there: its gate would fail every sync",
            f"bind it a Role granting get and list on deployments in {namespace} (relc renders "
            "relc-migrate-candidate-reader in each candidate namespace)",
        )
    ]  # fmt: skip


def _crd(doc: RenderedDoc, crd: Mapping[str, Any]) -> list[Diagnostic]:
    found = []
    for index, version in enumerate((crd.get("spec") or {}).get("versions") or []):
        root = ((version.get("schema") or {}).get("openAPIV3Schema") or {}) if isinstance(version, Mapping) else {}
        status = (root.get("properties") or {}).get("status") or {}
        conditions = (status.get("properties") or {}).get("conditions")
        if not isinstance(conditions, Mapping):
            continue
        if conditions.get("x-kubernetes-list-type") == "map" and conditions.get("x-kubernetes-list-map-keys") == [
            "type"
        ]:
            continue
        where: FieldPath = (
            "spec", "versions", index, "schema", "openAPIV3Schema", "properties", "status", "properties", "conditions",
        )  # fmt: skip
        found.append(
            _diagnostic(
                doc, where, STATUS,
                f"{(crd.get('metadata') or {}).get('name')}: status.conditions is not a list-map keyed by type, "
                "as relc-migrate writes it (one condition per type)",
                "set x-kubernetes-list-type: map and x-kubernetes-list-map-keys: [type]",
            )
        )  # fmt: skip
    return found


def _diagnostic(doc: RenderedDoc, path: FieldPath, code: str, message: str, hint: str) -> Diagnostic:
    line, column = doc.position(path, key=True)
    return Diagnostic(doc.file.shown, line, column, code, message, hint, field_path(path))
