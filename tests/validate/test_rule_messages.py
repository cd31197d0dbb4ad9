"""Exact message and hint of the rules' diagnostics, on their negative examples (tests/examples/invalid/).

The harness checks file, line and code; these are the words a fleet author reads, so they are pinned too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.load.cli import run
from tests.test_invalid_examples import materialise

MESSAGES = [
    (
        "RLC301-release-operator-missing",
        "operator 'globex' is not a tenant of instance 'arematics-prod' (instances/arematics-prod.yaml), which uses "
        "this release",
        "add tenants/arematics-prod/globex.yaml with role: Operator, or name the Operator tenant that exists",
    ),
    (
        "RLC302-release-operator-agent",
        "operator 'bob' is an Agent in instance 'arematics-prod' (tenants/arematics-prod/bob.yaml), not an Operator",
        "name the Operator tenant, or give that tenant role: Operator",
    ),
    (
        "RLC303-unknown-component",
        "candidate pins component 'billing', which blueprint 'arematics-platform' does not define",
        "remove it, or add 'billing' to blueprint 'arematics-platform'",
    ),
    (
        "RLC303-values-for-unknown-component",
        "candidate sets values for component 'paymnts', which blueprint 'arematics-platform' does not define",
        "did you mean 'payments'? If not, remove it, or add 'paymnts' to blueprint 'arematics-platform'",
    ),
    (
        "RLC304-unpinned-component",
        "component 'auth' of blueprint 'arematics-platform' has no pinned version",
        "add 'auth: <version>' under spec.components",
    ),
    (
        "RLC305-unknown-component-version",
        "no ComponentVersion describes payments 2.2.0; described versions: 2.0.0, 2.1.0",
        "add blueprints/components/payments/2.2.0.yaml (kind: ComponentVersion) or pin a described version",
    ),
    (
        "RLC306-service-not-in-candidate",
        "service 'ledger' is not part of candidate 'platform-2025-07'",
        "use one of: auth, entity, payments",
    ),
    (
        "RLC501-namespace-too-long",
        "namespace name 'arematics-prod-pppppppppppppppppppppppppppppppppppppppppppppppppp' derived for candidate "
        "'pppppppppppppppppppppppppppppppppppppppppppppppppp' of instance 'arematics-prod' is 65 bytes, over the "
        "63-byte limit",
        "use a shorter instance or candidate name: Kubernetes namespaces are at most 63 characters",
    ),
    (
        "RLC502-database-collision",
        "database 'tenant_xyz_de' of tenant 'xyz-de' of instance 'arematics-prod' "
        "(tenants/arematics-prod/xyz-de.yaml) is also derived for tenant 'xyz' of instance 'arematics-prod', country "
        "'de' (tenants/arematics-prod/xyz.yaml)",
        "rename one tenant, or give the instances different database servers",
    ),
    (
        "RLC502-schema-collision",
        "schema 'payments-billing' of service 'payments' of app 'billing' in database 'tenant_acme' "
        "(tenants/arematics-prod/acme.yaml) is also derived for base service 'payments-billing' in database "
        "'tenant_acme' (tenants/arematics-prod/acme.yaml)",
        "rename the app or the service so their schema names differ",
    ),
    (
        "RLC503-invalid-country",
        "'DE' is not an ISO 3166-1 alpha-2 country code",
        "write 'de': countries are lower-case, as in the database name",
    ),
    (
        "RLC601-candidate-not-offered",
        "candidate 'platform-2025-09' is not offered by global release 'arematics-2025-07' of instance "
        "'arematics-prod' (releases/global/arematics-2025-07.yaml)",
        "pin one of: platform-2025-05, platform-2025-07; or add 'platform-2025-09' to the global release",
    ),
    (
        "RLC602-end-of-life",
        "candidate 'platform-2025-05' reached its end of life on 2026-10-31",
        "move the tenant to a supported candidate its global release offers",
    ),
    (
        "RLC603-deprecated",
        "candidate 'platform-2025-05' is deprecated since 2026-11-01 and reaches its end of life on 2027-06-30",
        "plan the tenant's move to a newer candidate before the end of life",
    ),
    (
        "RLC604-draft-candidate",
        "candidate 'platform-2025-07' is a draft (releases/candidates/platform-2025-07.yaml) but this release is "
        "used by prod instance(s) arematics-prod",
        "publish it (status: published in releases/candidates/platform-2025-07.yaml) or remove it from this release",
    ),
    (
        "RLC605-country-scope",
        "app 'crm' is country-scoped but service 'entity' is not countryScopable",
        "remove 'entity' from this app, drop countryScoped, or mark 'entity' countryScopable in its blueprint",
    ),
    (
        "RLC701-literal-credentials",
        "'credentials' holds a literal secret 'hu****'",
        "store the value in Vault and write 'vault:<path>#<key>' here; then rotate the secret: git history keeps it",
    ),
    (
        "RLC701-dsn-in-values",
        "a connection string embeds a password (postgres://auth:****@pg-prod-eu.arematics.example:5432/auth)",
        "drop the password from the URL and let the service read it from Vault (vault:<path>#<key>)",
    ),
    (
        "RLC701-malformed-vault-reference",
        "'credentials' holds a malformed Vault reference 'vault:secret/data/arematics-prod/postgres'",
        "write the reference as 'vault:<path>#<key>', e.g. vault:secret/data/acme/postgres#password",
    ),
]


@pytest.mark.parametrize(("case", "message", "hint"), MESSAGES, ids=[m[0] for m in MESSAGES])
def test_message_and_hint(case: str, message: str, hint: str, tmp_path: Path) -> None:
    root = materialise(EXAMPLES / "invalid" / case, tmp_path / "fleet")
    found = json.loads(run(root, "--format", "json").stdout)["diagnostics"]
    assert [(d["message"], d["hint"]) for d in found] == [(message, hint)]


def test_service_without_a_schema_cannot_serve_an_app(base_fleet: Path) -> None:
    path = base_fleet / "blueprints/arematics-platform.yaml"
    text = path.read_text()
    path.write_text(
        text.replace("      ownsSchema: true\n      countryScopable: true\n", "      countryScopable: true\n", 2)
    )
    found = json.loads(run(base_fleet, "--format", "json").stdout)["diagnostics"]
    mine = [d for d in found if d["code"] == "RLC306"]  # (the resolver also flags platform-2025-07's migrationOrder)
    assert [(d["file"], d["line"], d["code"], d["message"]) for d in mine] == [
        (
            "tenants/arematics-prod/acme.yaml",
            13,
            "RLC306",
            "service 'payments' owns no database schema, so an app cannot use it",
        ),
        (
            "tenants/arematics-prod/xyz.yaml",
            13,
            "RLC306",
            "service 'entity' owns no database schema, so an app cannot use it",
        ),
        (
            "tenants/arematics-prod/xyz.yaml",
            13,
            "RLC306",
            "service 'payments' owns no database schema, so an app cannot use it",
        ),
    ]
