"""RLC701: no literal secret anywhere in the fleet; secrets are referenced in Vault as ``vault:<path>#<key>``.

The fleet repository is read by everyone with access to the platform's GitOps history, and git never forgets, so
a secret committed once is leaked for good. This rule walks every parsed document's raw data (typed or not, so an
object with a schema error is still scanned) and flags:

- keys that name a secret (password, token, apiKey, credentials, …) holding a literal instead of a Vault reference;
- connection strings with an embedded password (``scheme://user:pass@host``);
- PEM private keys and well-known credential shapes (AWS access key ids, GitHub and Slack tokens).

Messages show a redacted form only: the report itself is often pasted into pull requests and CI logs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from compiler.diagnostics import Diagnostic
from compiler.load.documents import Document
from compiler.load.yamlread import FieldPath
from compiler.validate.context import Context

VAULT_REF = re.compile(r"vault:[^#\s]+#[^#\s]+\Z")
_TEMPLATE = re.compile(r"\{\{.*\}\}\Z", re.DOTALL)
_SECRET_WORDS = (
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "credential",
    "accesskey",
    "clientsecret",
)
_SECRET_WORD = re.compile("|".join(_SECRET_WORDS))
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
# Keys that *name* or *point at* a secret (a Kubernetes Secret's name, a file path, a Vault key) hold no secret.
_POINTER_SUFFIXES = ("name", "ref", "reference", "path", "file", "id", "enabled", "length", "ttl", "policy", "mode")
_DSN = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@(?P<host>[^\s]*)")
_SHAPES = (
    (re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"), "a PEM private key"),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "a GitHub token"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "a Slack token"),
)
_ANY_SHAPE = re.compile("://|PRIVATE KEY|AKIA|ASIA|gh[pousr]_|xox")
_SHORTEST = 8  # a://b:c@ is the shortest value any pattern above matches
_HINT = "store the value in Vault and write 'vault:<path>#<key>' here; then rotate the secret: git history keeps it"


def check(ctx: Context) -> Iterator[Diagnostic]:
    for doc in ctx.fleet.documents:
        if _suspect(doc.data):
            yield from _walk(doc, doc.data, ())
    for entry in ctx.fleet.instances.values():
        credentials = entry.obj.spec.database.credentials.strip()
        if not credentials or _TEMPLATE.match(credentials):
            yield entry.doc.diagnostic(
                ("spec", "database", "credentials"),
                "RLC701",
                "the database credentials must be a Vault reference",
                "write 'vault:<path>#<key>', e.g. vault:secret/data/<instance>/postgres#admin",
            )


def _suspect(value: Any) -> bool:
    """Whether :func:`_walk` could report anything in ``value``: a secret-named key, or a string a shape may match.

    Nearly every document is clean, and this plain recursive test (no generators, no field paths) decides that
    in under half the time the reporting walk takes; only suspect documents are walked for diagnostics.
    """
    if isinstance(value, str):
        return len(value) >= _SHORTEST and _ANY_SHAPE.search(value) is not None
    if isinstance(value, dict):
        for key, item in value.items():  # noqa: SIM110 - a loop: any() over a generator costs a third more here
            if _names_secret(key) or _suspect(item):
                return True
        return False
    if isinstance(value, list):
        return any(map(_suspect, value))
    return False


def _walk(doc: Document, value: Any, path: FieldPath) -> Iterator[Diagnostic]:
    """Recursive: the loader bounds the depth (Limits.max_depth), so the stack cannot overflow."""
    if isinstance(value, dict):
        for key, item in value.items():
            child = (*path, key)
            if _names_secret(key) and _is_literal(item):
                yield _literal(doc, child, key, item)
            elif _names_secret(key) and isinstance(item, list):
                yield from _literal_items(doc, child, key, item)
            else:
                yield from _walk(doc, item, child)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(doc, item, (*path, i))
    elif isinstance(value, str):
        yield from _shapes(doc, value, path)


def _literal_items(doc: Document, path: FieldPath, key: str, items: list[Any]) -> Iterator[Diagnostic]:
    """A list under a secret-named key (``passwords: [...]``, ``apiKeys: [...]``): each scalar is a secret."""
    for i, item in enumerate(items):
        if _is_literal(item):
            yield _literal(doc, (*path, i), key, item)
        else:
            yield from _walk(doc, item, (*path, i))


@functools.lru_cache(maxsize=4096)
def _names_secret(key: str) -> bool:
    """Cached: a fleet repeats the same few hundred keys across thousands of files."""
    norm = _NOT_ALNUM.sub("", key.lower())
    if norm.startswith("existing") or norm.endswith(_POINTER_SUFFIXES):
        return False
    return _SECRET_WORD.search(norm) is not None


def _is_literal(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return True
    if not isinstance(value, str):
        return False  # a mapping or list under a secret-like key: its leaves are checked one by one
    text = value.strip()
    return bool(text) and not VAULT_REF.match(text) and not _TEMPLATE.match(text)


def _literal(doc: Document, path: FieldPath, key: str, value: Any) -> Diagnostic:
    text = str(value)
    if text.startswith("vault:"):
        return doc.diagnostic(
            path,
            "RLC701",
            f"'{key}' holds a malformed Vault reference {redact_vault(text)!r}",
            "write the reference as 'vault:<path>#<key>', e.g. vault:secret/data/acme/postgres#password",
        )
    return doc.diagnostic(path, "RLC701", f"'{key}' holds a literal secret {redact(text)!r}", _HINT)


def _shapes(doc: Document, text: str, path: FieldPath) -> Iterator[Diagnostic]:
    if len(text) < _SHORTEST or _ANY_SHAPE.search(text) is None:
        return  # the common case, decided by one scan
    dsn = _DSN.search(text)
    if dsn is not None and not _TEMPLATE.match(dsn.group("password")):
        shown = f"{dsn.group('scheme')}://{dsn.group('user')}:****@{dsn.group('host')}"
        yield doc.diagnostic(
            path,
            "RLC701",
            f"a connection string embeds a password ({shown})",
            "drop the password from the URL and let the service read it from Vault (vault:<path>#<key>)",
        )
        return
    for pattern, what in _SHAPES:
        if pattern.search(text):
            yield doc.diagnostic(path, "RLC701", f"the value looks like {what} ({redact(text)!r})", _HINT)
            return


def redact(text: str) -> str:
    """Enough to recognise the value in the file, never enough to use it."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    if first.startswith("-----BEGIN"):
        return first + " …"
    return (first[:2] if len(first) >= 12 else "") + "****"


def redact_vault(text: str) -> str:
    return text if "#" not in text else text.split("#", 1)[0] + "#****"
