"""The secrets rule walks only documents its cheap pre-test calls suspect; a clean verdict must mean no finding.

Values are drawn from keys and strings close to what the rule looks for (secret words with separators and case,
pointer suffixes, URLs with and without passwords, credential shapes), so both verdicts are exercised.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.load.documents import Document, SourceFile
from compiler.validate.secrets import _suspect, _walk

_KEYS = st.sampled_from(
    ["name", "image", "Password", "db_pass_word", "api-key", "tokenTTL", "secretName", "existingSecret", "x", ""]
)
_STRINGS = st.one_of(
    st.sampled_from(
        [
            "",
            "short",
            "vault:kv/a#b",
            "https://example.org/chart",
            "postgres://user:hunter22@db/app",
            "AKIAABCDEFGHIJKLMNOP",
            "-----BEGIN RSA PRIVATE KEY-----\nabc",
            "xoxb-1234567890-abc",
            "{{ tenant.name }}",
        ]
    ),
    st.text(max_size=24),
)
_SCALARS = st.one_of(_STRINGS, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_a_clean_verdict_means_the_walk_finds_nothing(value: Any) -> None:
    doc = Document(SourceFile("tenants/x/y.yaml", ""), value)
    found = list(_walk(doc, value, ()))
    assert _suspect(value) or not found
