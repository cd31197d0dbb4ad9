"""RLC701 on real files through the CLI: what counts as a literal secret, what does not, and that the report
never repeats the secret itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.load.cli import diagnostics, run

BLUEPRINT = "blueprints/arematics-platform.yaml"
ANCHOR = "      values:\n        image:\n"  # the first component's values (auth), line 16


def _values(root: Path, yaml_lines: str) -> None:
    """Insert ``yaml_lines`` (indented for the values mapping) into the auth component's Helm values."""
    path = root / BLUEPRINT
    text = path.read_text()
    assert ANCHOR in text
    path.write_text(text.replace(ANCHOR, "      values:\n" + yaml_lines + "        image:\n", 1))


@pytest.mark.parametrize(
    "line",
    # templates are rendered at compile time (and checked there, RLC801): they must name real context fields
    [
        "password: vault:secret/data/auth/db#password",
        "db_password: vault:kv/auth#pw",
        "existingSecret: auth-db",
        "secretName: auth-tls",
        "passwordSecretRef: auth-db",
        "tokenEnabled: true",
        'apiKey: "{{ candidate.name }}"',
        "password: ''",
        "password: null",
        "url: https://charts.arematics.example/auth",
        "url: postgres://auth@pg-prod-eu.arematics.example/auth",
        "credentials: {}",
        'dsn: "postgres://{{ candidate.name }}:{{ candidate.blueprint }}@{{ candidate.name }}/auth"',
        'dsn: "postgres://app:{{candidate.name}}@pg/auth"',
        "endpoint: http://pg-prod-eu.arematics.example:5432/a@b",
        "mail: ops@arematics.example",
    ],
)
def test_not_a_literal_secret(base_fleet: Path, line: str) -> None:
    _values(base_fleet, f"        {line}\n")
    result = run(base_fleet, "--strict")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("apiKey: sk-0123456789abcdef", "'apiKey' holds a literal secret 'sk****'"),
        ("db_password: 1234567", "'db_password' holds a literal secret '****'"),
        ("clientSecret: hunter2", "'clientSecret' holds a literal secret '****'"),
        ("apiKeys: [k-0123456789abcdef]", "'apiKeys' holds a literal secret 'k-****'"),
        (
            "cache: redis://:pw-12345@redis.arematics.example:6379/0",
            "a connection string embeds a password (redis://:****@redis.arematics.example:6379/0)",
        ),
        (
            'tls: "-----BEGIN RSA PRIVATE KEY-----\\nMIIEow\\n-----END RSA PRIVATE KEY-----"',
            "the value looks like a PEM private key ('-----BEGIN RSA PRIVATE KEY----- …')",
        ),
        ("note: AKIAIOSFODNN7EXAMPLE", "the value looks like an AWS access key id ('AK****')"),
        ("ci: ghp_" + "a1B2" * 9, "the value looks like a GitHub token ('gh****')"),
        (
            "password: vault:secret/data/auth/db",
            "'password' holds a malformed Vault reference 'vault:secret/data/auth/db'",
        ),
    ],
)
def test_literal_secret_is_reported_redacted(base_fleet: Path, line: str, message: str) -> None:
    _values(base_fleet, f"        {line}\n")
    code, found = diagnostics(base_fleet)
    assert code == 1
    assert [(d["file"], d["line"], d["code"], d["message"]) for d in found] == [(BLUEPRINT, 16, "RLC701", message)]
    secret = line.split(": ", 1)[1].strip("[]")
    if not secret.startswith("vault:"):
        assert secret.strip('"') not in run(base_fleet).output


def test_secrets_in_objects_with_schema_errors_are_still_found(base_fleet: Path) -> None:
    """The scan reads raw data: a misspelt field must not hide the password written next to it."""
    path = base_fleet / "tenants/arematics-prod/acme.yaml"
    path.write_text(
        path.read_text().replace("  displayName: ACME Corp\n", "  displayName: ACME Corp\n  adminPassword: s3cret!!\n")
    )
    _, found = diagnostics(base_fleet)
    assert sorted((d["line"], d["code"]) for d in found) == [(8, "RLC201"), (8, "RLC701")]


def test_instance_credentials_must_be_a_vault_reference(base_fleet: Path) -> None:
    path = base_fleet / "instances/arematics-prod.yaml"
    path.write_text(
        path.read_text().replace("credentials: vault:secret/data/arematics-prod/postgres#admin", 'credentials: ""')
    )
    _, found = diagnostics(base_fleet)
    assert [(d["line"], d["code"], d["message"]) for d in found] == [
        (15, "RLC701", "the database credentials must be a Vault reference")
    ]
