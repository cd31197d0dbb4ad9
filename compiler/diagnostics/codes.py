"""The registry of diagnostic codes.

Codes are stable API: CI filters and suppressions name them, so a code is never renumbered or reused. The
test suite holds a negative example file for every code listed here (tests/examples/invalid/), and the README's
table is checked against this registry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    id: str
    name: str
    summary: str


_ALL = (
    # 1xx: reading files
    Code("RLC101", "yaml-syntax", "the file is not well-formed YAML"),
    Code("RLC102", "duplicate-key", "a mapping repeats a key; YAML loaders silently keep one of them"),
    Code("RLC103", "unsafe-yaml", "too large, too deep, too many aliases, or an unsupported tag"),
    Code("RLC104", "document-count", "a file must hold exactly one object"),
    Code("RLC105", "unknown-kind", "apiVersion/kind is not one relc knows"),
    Code("RLC106", "misplaced-kind", "the object lives in another kind's folder"),
    Code("RLC107", "duplicate-name", "two objects of one kind share a name"),
    Code("RLC108", "file-name", "the file name does not match the object it holds"),
    Code("RLC109", "wrong-folder", "the folder named after a field (tenants/<instance>/, …) names another value"),
    Code("RLC110", "not-read", "a file in the fleet folders does not end in .yaml or .yml, so relc ignores it"),
    # 2xx: fields and types
    Code("RLC201", "unknown-field", "a field the schema does not define (typo?)"),
    Code("RLC202", "missing-field", "a required field is absent"),
    Code("RLC203", "invalid-value", "a field has the wrong type or a value outside its range"),
    Code("RLC204", "invalid-semver", "a version is not semantic versioning"),
    Code("RLC205", "invalid-name", "a name is not a DNS-1123 label (it becomes namespaces, databases, paths)"),
    # 3xx: references between objects
    Code("RLC301", "unknown-reference", "a reference names an object that does not exist"),
    Code("RLC302", "wrong-reference", "a reference names an object of the wrong role or place"),
    Code("RLC303", "unknown-component", "a candidate pins a component its blueprint does not define"),
    Code("RLC304", "unpinned-component", "a candidate leaves a blueprint component without a version"),
    Code("RLC305", "unknown-component-version", "no ComponentVersion describes a pinned version"),
    Code("RLC306", "unknown-app-service", "a tenant app uses a service its candidate does not provide"),
    # 4xx: dependency resolution
    Code("RLC401", "unsatisfied-dependency", "a pinned version does not satisfy another's requirement"),
    Code("RLC402", "unsatisfied-shared-dependency", "shared services and a candidate they serve disagree"),
    Code("RLC403", "dependency-cycle", "services require each other in a cycle"),
    Code("RLC404", "missing-dependency", "a required service is provided by nothing the candidate can reach"),
    Code("RLC405", "migration-order", "migrationOrder is incomplete or contradicts the dependencies"),
    Code("RLC406", "migration-dependencies", "a ComponentVersion's requires is looser than its dependencies.yml"),
    # 5xx: derived identifiers
    Code("RLC501", "identifier-too-long", "a derived Kubernetes or PostgreSQL name exceeds 63 bytes"),
    Code("RLC502", "identifier-collision", "two objects derive the same database, schema or namespace name"),
    Code("RLC503", "invalid-country", "a country is not an ISO 3166-1 alpha-2 code"),
    Code("RLC504", "route-collision", "two Instances render the same HTTPRoute match on one Gateway"),
    Code("RLC505", "argo-name-collision", "two Argo CD Applications, ApplicationSets or AppProjects derive one name"),
    Code("RLC509", "argo-reserved-name", "an Instance takes the name of Argo CD's default project or relc's own"),
    # 6xx: release lifecycle
    Code("RLC601", "candidate-not-offered", "a tenant pins a candidate its Instance's global release does not offer"),
    Code("RLC602", "candidate-end-of-life", "a tenant pins a candidate past its end of life"),
    Code("RLC603", "candidate-deprecated", "a tenant pins a candidate past its deprecation notice date"),
    Code("RLC604", "draft-candidate", "a draft candidate is offered to a production Instance"),
    Code("RLC605", "country-scope", "an app is country-scoped over a service that may not be"),
    Code("RLC606", "backup-destination", "tenants must be backed up before migrating but their Instance has nowhere"),
    Code("RLC607", "backup-scheme", "a backup destination is not one relc-migrate can write"),
    Code("RLC608", "backup-identity", "a backup identity is not the one its destination's object store needs"),
    Code("RLC609", "serving-candidate", "servingCandidate on a tenant that is not a dry run, or naming its own pin"),
    Code("RLC610", "serving-candidate-not-offered", "a dry-run tenant's serving candidate is not offered to it"),
    Code("RLC611", "removed-operator", "a live Agent's Operator is removed (a tombstone)"),
    Code("RLC612", "migrate-gate", "a migration Job does not wait for its candidate, or may not read its Deployments"),
    Code("RLC613", "status-rbac", "relc-migrate may not write the tenancy status it writes, or a CRD cannot hold it"),
    # 7xx: security
    Code("RLC701", "literal-secret", "a secret is written in the repository instead of referenced in Vault"),
    Code("RLC702", "vault-path", "an Instance's vault.pathPrefix is not a KV v2 data path <mount>/data/<path>"),
    Code("RLC703", "vault-address", "a production Instance's vault.address is not https"),
    # 8xx: rendering and output
    Code("RLC801", "template", "a values template fails to render"),
    Code("RLC802", "rendered-schema", "a rendered manifest does not validate against its schema"),
    Code("RLC803", "stale-output", "rendered/ does not match what the inputs compile to"),
    Code("RLC804", "status-file", "a relc report --status file is not the JSON relc-migrate status prints"),
    Code("RLC805", "rendered-route-collision", "two rendered HTTPRoutes tie on a match of one Gateway"),
    Code("RLC806", "missing-server-default", "a rendered custom resource omits a field its CRD defaults"),
    Code("RLC807", "duplicate-argo-name", "two rendered Argo CD objects of one kind share a name"),
    Code(
        "RLC808",
        "missing-generate-paths",
        "a rendered Application or ApplicationSet template lacks manifest-generate-paths",
    ),
    Code(
        "RLC809",
        "route-to-undeployed-candidate",
        "an HTTPRoute sends a tenant to a candidate its Instance does not deploy",
    ),
    Code("RLC810", "dry-run-route-moved", "a dry-run tenant's routes are not on its serving candidate"),
    Code("RLC811", "removed-tenant-routed", "a removed tenant (a tombstone) still has routes"),
    # 9xx: policies a change must keep against the base branch (relc plan, relc validate --base)
    Code("RLC901", "published-candidate-changed", "a published candidate's pins or values are edited in place"),
    Code("RLC902", "released-version-changed", "a ComponentVersion a published candidate pins is edited in place"),
    Code("RLC903", "downgrade", "a tenant moves to a lower version of a schema-owning service without saying so"),
    Code("RLC904", "shared-persistence", "a destructive version is offered while tenants of the Instance pin older"),
    Code("RLC905", "retired-candidate", "a retired candidate gets a new pin, or is retired or removed while pinned"),
    Code("RLC906", "undeploy-with-last-move", "a change moves the last tenants off a candidate and undeploys it"),
    Code("RLC907", "unsafe-removal", "an Instance with tenants, or a tenant without its tombstone, is deleted"),
    Code("RLC908", "dry-run-route-move", "a dry-run tenant moves without naming the candidate that keeps serving it"),
)

CODES: dict[str, Code] = {c.id: c for c in _ALL}
