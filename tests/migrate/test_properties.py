"""Properties that must hold for any input, not just the examples."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

import relc_contract as contract
from relc_migrate.files import checksum, normalise, split_statements


@given(st.text(max_size=80))
def test_every_accepted_identifier_is_short_and_plain(name: str) -> None:
    try:
        contract.validate_identifier(name, "schema")
    except contract.IdentifierError:
        return
    assert len(name.encode()) <= 63 and re.fullmatch(r"[a-z_][a-z0-9_-]*", name)


@given(st.text(alphabet="abc-9", min_size=1, max_size=70))
def test_tenant_databases_are_valid_identifiers_or_rejected(tenant: str) -> None:
    try:
        name = contract.tenant_database(tenant)
    except contract.IdentifierError:
        return
    assert name == contract.validate_identifier(name, "database") and "-" not in name


@given(st.text(max_size=200))
def test_normalisation_is_idempotent(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)


@given(st.text(max_size=200))
def test_a_file_checked_out_with_crlf_has_the_checksum_of_its_lf_original(text: str) -> None:
    """What git's autocrlf does to an LF file. (A lone CR before a line break is a line break of its own:
    "a\r\nb" was never an LF file, so turning its LF into CRLF adds a line and the checksum rightly changes.)"""
    lf = text.replace("\r", "")
    assert checksum(lf) == checksum(lf.replace("\n", "\r\n"))
    assert checksum("a\r\nb") != checksum("a\r\r\nb")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["SELECT 1", "SELECT ';'", "CREATE TABLE t (a text DEFAULT ';')",
                                 "DO $$ BEGIN PERFORM 1; END $$"]), min_size=1, max_size=6))  # fmt: skip
def test_statement_splitting_respects_strings_and_bodies(statements: list[str]) -> None:
    parsed, findings = split_statements(";\n".join(statements) + ";\n", "x.sql", 1)
    assert findings == []
    assert [s.sql for s in parsed] == statements
    assert [s.line for s in parsed] == list(range(1, len(statements) + 1))
