"""File naming, parsing, checksums and lint rules, with the exact messages developers see."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import relc_contract as contract
from relc_migrate.files import checksum, parse_migration
from relc_migrate.folder import collect_folder
from tests.migrate.helpers import EXAMPLES, REPO


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "svc"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def _rendered(tmp_path: Path, files: dict[str, str]) -> list[str]:
    _, findings = collect_folder(_folder(tmp_path, files), "svc")
    return [f.render() for f in findings]


@pytest.mark.parametrize("service", ["auth", "entity", "payments"])
def test_example_folders_are_clean(service: str) -> None:
    migration_set, findings = collect_folder(EXAMPLES / service, service)
    assert findings == []
    assert migration_set is not None and migration_set.files


def test_checksum_normalisation_ignores_line_endings_and_trailing_blanks() -> None:
    assert checksum("SELECT 1;\r\n-- ROLLBACK:\r\n\r\n") == checksum("\ufeffSELECT 1;   \n-- ROLLBACK:\n")
    assert checksum("SELECT 1;\n") != checksum("SELECT 2;\n")


def test_bad_name(tmp_path: Path) -> None:
    assert _rendered(tmp_path, {"V1.0__1_init.sql": "SELECT 1;\n-- ROLLBACK:\n"}) == [
        "svc/V1.0__1_init.sql:0: error [naming] the file name breaks the naming rule; fix: name it "
        "V<major>.<minor>.<patch>__<NN>_<snake_case_description>.sql, e.g. V2.1.0__01_add_tfa.sql"
    ]


def test_missing_rollback(tmp_path: Path) -> None:
    assert _rendered(tmp_path, {"V1.0.0__01_init.sql": "CREATE TABLE t (a int);\n"}) == [
        "svc/V1.0.0__01_init.sql:0: error [missing-rollback] the file has no '-- ROLLBACK:' section; "
        "fix: add a line '-- ROLLBACK:' followed by the SQL that undoes this file"
    ]


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    out = _rendered(tmp_path, {"V1.0.0__01_init.sql": "CREATE TABLE t (a int);\nSELEC 1;\n-- ROLLBACK:\n"})
    assert out == [
        "svc/V1.0.0__01_init.sql:2: error [sql-syntax] PostgreSQL cannot parse this: syntax error at or near "
        '"SELEC"; fix: correct the SQL (it is parsed with PostgreSQL\'s own parser)'
    ]


def test_concurrently_needs_the_marker_and_a_file_of_its_own(tmp_path: Path) -> None:
    text = "CREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\n-- ROLLBACK:\n"
    assert _rendered(tmp_path, {"V1.0.0__01_init.sql": text}) == [
        "svc/V1.0.0__01_init.sql:2: error [no-transaction-marker] this statement cannot run inside a "
        "transaction; fix: add '-- relc:no-transaction' as the file's first line (and keep only such "
        "statements in that file)"
    ]
    marked = "-- relc:no-transaction\n" + text
    assert [r.split(" [")[1].split("]")[0] for r in _rendered(tmp_path / "b", {"V1.0.0__01_x.sql": marked})] == [
        "mixed-transaction"
    ]


def test_concurrently_in_a_string_or_comment_is_not_a_statement(tmp_path: Path) -> None:
    text = "-- CREATE INDEX CONCURRENTLY x\nSELECT 'VACUUM; CREATE INDEX CONCURRENTLY';\n-- ROLLBACK:\n"
    parsed, findings = parse_migration(_folder(tmp_path, {"V1.0.0__01_x.sql": text}) / "V1.0.0__01_x.sql", "svc")
    assert findings == [] and parsed is not None
    assert [s.no_transaction for s in parsed.up] == [False]


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        ("DROP TABLE old_sessions;", "drop-table"),
        ("ALTER TABLE users DROP COLUMN legacy;", "drop-column"),
        ("DROP SCHEMA other CASCADE;", "drop-schema"),
        ("ALTER TABLE users RENAME COLUMN a TO b;", "rename"),
        ("ALTER TABLE users RENAME TO people;", "rename"),
        ("ALTER TABLE users ALTER COLUMN email TYPE varchar(10);", "alter-type"),
        ("CREATE INDEX users_email ON users (email);", "index-not-concurrent"),
        ("ALTER TABLE users ADD COLUMN tenant text NOT NULL;", "not-null-without-default"),
        ("ALTER TABLE users ALTER COLUMN email SET NOT NULL;", "not-null-without-default"),
        ("CREATE TABLE other.t (a int);", "schema-qualified"),
        ("SET search_path = other;", "set-search-path"),
    ],
)
def test_risky_statements_are_flagged(tmp_path: Path, sql: str, rule: str) -> None:
    out = _rendered(tmp_path, {"V1.1.0__01_change.sql": f"{sql}\n-- ROLLBACK:\nSELECT 1;\n"})
    assert len(out) == 1 and f" error [{rule}] " in out[0] and out[0].startswith("svc/V1.1.0__01_change.sql:1:")


def test_allow_with_reason_silences_a_rule_but_not_without(tmp_path: Path) -> None:
    body = "ALTER TABLE users DROP COLUMN legacy;\n-- ROLLBACK:\nSELECT 1;\n"
    allowed = '-- relc:allow drop-column reason="unused since 1.8.0"\n' + body
    assert _rendered(tmp_path / "a", {"V1.1.0__01_drop.sql": allowed}) == []
    no_reason = "-- relc:allow drop-column\n" + body
    out = _rendered(tmp_path / "b", {"V1.1.0__01_drop.sql": no_reason})
    assert out[0] == (
        "svc/V1.1.0__01_drop.sql:1: error [allow-without-reason] allow for rule 'drop-column' gives no "
        'reason; fix: add reason="<why this is safe for every Release Candidate>"'
    )


def test_changes_to_a_table_created_in_the_same_file_are_fine(tmp_path: Path) -> None:
    text = "CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);\nALTER TABLE t ADD COLUMN b int NOT NULL;\n"
    assert _rendered(tmp_path, {"V1.0.0__01_t.sql": text + "-- ROLLBACK:\nDROP TABLE t;\n"}) == []


def test_unexpected_file_and_duplicate_order(tmp_path: Path) -> None:
    files = {
        "V1.0.0__01_a.sql": "SELECT 1;\n-- ROLLBACK:\n",
        "V1.0.0__01_b.sql": "SELECT 1;\n-- ROLLBACK:\n",
        "notes.txt": "hello",
    }
    rules = sorted(r.split(" [")[1].split("]")[0] for r in _rendered(tmp_path, files))
    assert rules == ["duplicate-order", "unexpected-file"]


@pytest.mark.postgres
def test_lint_command(relc: Any, tmp_path: Path) -> None:
    ok = relc("lint", str(EXAMPLES))
    assert ok.exit_code == 0 and ok.summary["services"] == ["auth", "entity", "payments"]
    folder = _folder(tmp_path, {"V1.0.0__01_x.sql": "DROP TABLE t;\n-- ROLLBACK:\n"})
    bad = relc("lint", str(folder))
    assert bad.exit_code == 2 and bad.summary["errors"] == 1
    assert "svc/V1.0.0__01_x.sql:1: error [drop-table]" in bad.output


@pytest.mark.postgres
def test_lint_flags_whole_table_deletes_updates_and_truncate(relc: Any, tmp_path: Path) -> None:
    wipe = (
        "DELETE FROM t;\nUPDATE t SET a = 1;\nUPDATE t SET a = 2 WHERE a = 1;\nDELETE FROM t WHERE a = 3;\n"
        "TRUNCATE t;\n-- ROLLBACK:\nSELECT 1;\n"
    )
    fresh = "CREATE TABLE n (a int);\nDELETE FROM n;\nUPDATE n SET a = 1;\nTRUNCATE n;\n-- ROLLBACK:\nDROP TABLE n;\n"
    comment = "UPDATE t SET a = 1; -- WHERE a = 0\n-- ROLLBACK:\nSELECT 1;\n"  # a WHERE in a comment is none
    folder = _folder(
        tmp_path, {"V1.1.0__01_wipe.sql": wipe, "V1.2.0__01_fresh.sql": fresh, "V1.3.0__01_comment.sql": comment}
    )
    run = relc("lint", str(folder))
    assert run.exit_code == 2 and run.summary["errors"] == 4
    allow = 'or, if it is safe for every Release Candidate still in use, add -- relc:allow {} reason="..."'
    where = "add a WHERE clause (WHERE true if every row is meant) "
    assert run.output.splitlines()[:4] == [
        "svc/V1.1.0__01_wipe.sql:1: error [delete-without-where] DELETE without WHERE removes every row of t; "
        "fix: " + where + allow.format("delete-without-where"),
        "svc/V1.1.0__01_wipe.sql:2: error [update-without-where] UPDATE without WHERE rewrites every row of t; "
        "fix: " + where + allow.format("update-without-where"),
        "svc/V1.1.0__01_wipe.sql:5: error [truncate] TRUNCATE removes every row of t and is not undone by a "
        "ROLLBACK; fix: DELETE the rows you mean, with a WHERE clause " + allow.format("truncate"),
        "svc/V1.3.0__01_comment.sql:1: error [update-without-where] UPDATE without WHERE rewrites every row of t; "
        "fix: " + where + allow.format("update-without-where"),
    ]


_HOSTILE_DEPENDENCIES = [
    ("requires:\n  - &a {service: auth, minVersion: v1.0.0}\n  - *a\n", 2,
     "anchors and aliases (&name, *name) are not allowed here: write the values out"),
    ("requires:\n  - service: auth\n    service: payments\n    minVersion: v1.0.0\n", 3,
     "duplicate key 'service': YAML loaders silently keep only one"),
    ("requires: " + "[" * 20 + "]" * 20 + "\n", 1, "nested deeper than 16 levels"),
    ("requires: !!python/object:os.system x\n", 1,
     "explicit tags (tag:yaml.org,2002:python/object:os.system) are not allowed here"),
    ("requires:\n  - service: auth\n    minVersion: 2025-01-01\n", 3,  # text in YAML 1.2, not a date
     "requires[0].minVersion '2025-01-01' is not a semantic version (MAJOR.MINOR.PATCH, optionally with a leading "
     "v: v2.1.0)"),
    ("requires:\n  - service: auth\n    minVersion: 1.0\n", 3,
     "requires[0].minVersion 1.0 is not a semantic version (MAJOR.MINOR.PATCH, optionally with a leading v: "
     "v2.1.0)"),
    ("# " + "x" * 70_000 + "\n", 0, "the file is 70003 bytes, over the limit of 65536"),
]  # fmt: skip


@pytest.mark.postgres
@pytest.mark.parametrize(("text", "line", "message"), _HOSTILE_DEPENDENCIES)
def test_dependencies_yml_is_read_bounded_and_as_yaml_1_2_with_its_line(
    relc: Any, tmp_path: Path, text: str, line: int, message: str
) -> None:
    """relc-migrate reads a service image's dependencies.yml with the compiler's limits (size, depth, no aliases
    or tags, duplicate keys, YAML 1.2 scalars: ``no`` is text): the whole folder is refused, file:line named."""
    folder = _folder(tmp_path, {"dependencies.yml": text})
    run = relc("lint", str(folder), "--service", "svc")
    assert run.exit_code == 2 and run.summary["errors"] == 1
    assert run.output.splitlines()[0] == (
        f"svc/dependencies.yml:{line}: error [dependencies] {message}; fix: {contract.DEPENDENCIES_HINT}"
    )


def test_a_folder_without_dependencies_yml_never_imports_yaml() -> None:
    """PyYAML is imported only to read a dependencies.yml (a start-up cost every Job used to pay)."""
    probe = (
        "import sys\nfrom pathlib import Path\nfrom relc_migrate.folder import load_folder\n"
        "load_folder(Path('migrations/auth'), 'auth')\nprint('yaml' in sys.modules)\n"
        "load_folder(Path('migrations/entity'), 'entity')\nprint('yaml' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout == "False\nTrue\n"
