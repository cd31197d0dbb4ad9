"""Migration files: naming, parsing, checksums, the ROLLBACK split and no-transaction detection.

File format (documented in the README):

* name ``V<major>.<minor>.<patch>__<NN>_<description>.sql``: the service release that ships it, a two-digit
  order within that release, a lower-case snake_case description (``V2.1.0__01_add_tfa.sql``);
* optional header comment lines before any SQL: ``-- relc:no-transaction`` and
  ``-- relc:allow <rule> reason="<why>"``;
* the forward SQL, then a line ``-- ROLLBACK:`` and the SQL that undoes it.

Statements are split and classified with pglast (PostgreSQL's own parser), never regular expressions, so a
``;`` inside a string or a function body, or ``CONCURRENTLY`` in a comment, cannot fool it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pglast
import semver
from pglast import ast

from relc_contract import MIGRATION_FILE_RE, ROLLBACK_MARKER_RE, migration_file_name
from relc_migrate.findings import Finding

FILE_NAME_RE: Final = MIGRATION_FILE_RE  # the contract's rule: relc plan lists files by the same names
NAMING_HELP: Final = "name it V<major>.<minor>.<patch>__<NN>_<snake_case_description>.sql, e.g. V2.1.0__01_add_tfa.sql"
NO_TRANSACTION_MARKER: Final = "-- relc:no-transaction"
ALLOW_RE: Final = re.compile(r'--\s*relc:allow\s+(?P<rule>[a-z0-9-]+)(\s+reason="(?P<reason>[^"]*)")?\s*')
MARKER_PREFIX_RE: Final = re.compile(r"--\s*relc:")
INIT_DATA_FILE: Final = "init_data.sql"
IGNORED_FILES: Final = frozenset({"README.md", ".gitkeep"})

#: The normalisation applied before hashing, recorded with every checksum so it can evolve.
CHECKSUM_NORMALISATION: Final = "relc-lf-rstrip-v1"


def normalise(text: str) -> str:
    """relc-lf-rstrip-v1: drop a BOM, CRLF/CR to LF, strip trailing blanks per line and trailing blank lines.

    Editors and git settings change exactly these; none of them change what the SQL does, and none of them
    should turn into a drift error on 30 000 tenants.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def checksum(text: str) -> str:
    """SHA-256 (hex) of the relc-lf-rstrip-v1 normalised UTF-8 text."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement of a file, as PostgreSQL's parser split it."""

    sql: str
    line: int  #: 1-based line in the file where the statement starts
    node: Any  #: the pglast AST node (pglast ships no type information)
    no_transaction: bool  #: cannot run inside a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ...)


@dataclass(frozen=True, slots=True)
class Allow:
    """``-- relc:allow <rule> reason="..."``: the author accepts a risky statement, and says why."""

    rule: str
    reason: str
    line: int


@dataclass(frozen=True, slots=True)
class MigrationFile:
    """A parsed, valid migration file."""

    name: str
    display: str  #: ``<service>/<name>``, used in every message
    version: semver.Version
    order: int
    description: str
    checksum: str
    no_transaction: bool
    allows: tuple[Allow, ...]
    up: tuple[Statement, ...]
    down: tuple[Statement, ...]
    down_sql: str  #: the ROLLBACK section's text, stored at apply time (the older image lacks this file)

    @property
    def key(self) -> tuple[semver.Version, int]:
        """Apply order: by version, then by NN."""
        return (self.version, self.order)

    @property
    def version_text(self) -> str:
        return str(self.version)


@dataclass(frozen=True, slots=True)
class InitData:
    """``init_data.sql``: fixture data applied once, after the files of the first successful migration."""

    display: str
    checksum: str
    statements: tuple[Statement, ...]


def parse_file_name(name: str) -> tuple[semver.Version, int, str] | None:
    """(version, order, description) of a well-named file, or None (the contract's naming rule)."""
    parsed = migration_file_name(name)
    if parsed is None:
        return None
    version, order, description = parsed
    return semver.Version.parse(version), order, description


def iter_nodes(node: Any) -> Iterator[Any]:
    """Every AST node under ``node`` (itself included), depth first."""
    if isinstance(node, ast.Node):
        yield node
        for attr in node:
            yield from iter_nodes(getattr(node, attr))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from iter_nodes(item)


def is_no_transaction(node: Any) -> bool:
    """True for statements PostgreSQL refuses inside a transaction block."""
    if isinstance(node, ast.IndexStmt):
        return bool(node.concurrent)
    if isinstance(node, ast.DropStmt):
        return bool(node.concurrent)
    if isinstance(node, ast.ReindexStmt):
        return any(getattr(p, "defname", None) == "concurrently" for p in node.params or ())
    if isinstance(node, ast.VacuumStmt):
        return bool(node.is_vacuumcmd)
    if isinstance(node, ast.AlterTableStmt):
        return any(isinstance(cmd.def_, ast.PartitionCmd) and bool(cmd.def_.concurrent) for cmd in node.cmds or ())
    return isinstance(
        node,
        ast.CreatedbStmt | ast.DropdbStmt | ast.CreateTableSpaceStmt | ast.DropTableSpaceStmt | ast.AlterSystemStmt,
    )


def _line_of(text: str, char_offset: int) -> int:
    return text.count("\n", 0, char_offset) + 1


def split_statements(sql: str, display: str, first_line: int) -> tuple[list[Statement], list[Finding]]:
    """Split ``sql`` (a section starting at ``first_line`` of its file) into statements with pglast."""
    data = sql.encode("utf-8")
    try:
        raw = pglast.parse_sql(sql)
    except pglast.parser.ParseError as err:
        message, position = err.args[0], int(err.args[1]) if len(err.args) > 1 else 0
        char_pos = len(data[:position].decode("utf-8", errors="ignore"))
        line = first_line + _line_of(sql, char_pos) - 1
        return [], [
            Finding(
                display,
                line,
                "sql-syntax",
                f"PostgreSQL cannot parse this: {message}",
                "correct the SQL (it is parsed with PostgreSQL's own parser)",
            )
        ]
    statements: list[Statement] = []
    for raw_stmt in raw:
        start = int(raw_stmt.stmt_location or 0)
        end = start + int(raw_stmt.stmt_len) if raw_stmt.stmt_len else len(data)
        text = data[start:end].decode("utf-8")
        stripped = _strip_leading_comments(text)
        offset = len(data[:start].decode("utf-8")) + (len(text) - len(stripped))
        statements.append(
            Statement(
                sql=stripped.strip(),
                line=first_line + _line_of(sql, offset) - 1,
                node=raw_stmt.stmt,
                no_transaction=is_no_transaction(raw_stmt.stmt),
            )
        )
    return statements, []


def _strip_leading_comments(text: str) -> str:
    """The statement text from its first token (skipping whitespace and ``--`` comment lines before it)."""
    rest = text
    while True:
        rest = rest.lstrip()
        if rest.startswith("--"):
            newline = rest.find("\n")
            rest = "" if newline < 0 else rest[newline + 1 :]
            continue
        return rest


@dataclass(frozen=True, slots=True)
class _Header:
    no_transaction: bool
    allows: tuple[Allow, ...]
    findings: tuple[Finding, ...]


def _parse_header(lines: list[str], display: str) -> _Header:
    """Read the markers in the leading comment block; a marker anywhere else is an error (never ignored)."""
    no_txn = False
    allows: list[Allow] = []
    findings: list[Finding] = []
    in_header = True
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if in_header and stripped and not stripped.startswith("--"):
            in_header = False
        if not MARKER_PREFIX_RE.match(stripped):
            continue
        if not in_header:
            findings.append(
                Finding(
                    display,
                    number,
                    "misplaced-marker",
                    "relc: markers are only read in the header comment block",
                    "move the marker above the first SQL statement",
                )
            )
            continue
        if stripped == NO_TRANSACTION_MARKER:
            no_txn = True
            continue
        allow = ALLOW_RE.fullmatch(stripped)
        if allow is None:
            findings.append(
                Finding(
                    display,
                    number,
                    "unknown-marker",
                    f"unknown marker {stripped!r}",
                    f'use "{NO_TRANSACTION_MARKER}" or "-- relc:allow <rule> reason=\\"...\\""',
                )
            )
        elif not (allow["reason"] or "").strip():
            findings.append(
                Finding(
                    display,
                    number,
                    "allow-without-reason",
                    f"allow for rule {allow['rule']!r} gives no reason",
                    'add reason="<why this is safe for every Release Candidate>"',
                )
            )
        else:
            allows.append(Allow(allow["rule"], allow["reason"], number))
    return _Header(no_txn, tuple(allows), tuple(findings))


def _split_rollback(lines: list[str], display: str) -> tuple[int, list[Finding]]:
    """Index of the single ``-- ROLLBACK:`` line, or -1 with the finding that says what is wrong."""
    markers = [i for i, line in enumerate(lines) if ROLLBACK_MARKER_RE.fullmatch(line.strip())]
    if not markers:
        return -1, [
            Finding(
                display,
                0,
                "missing-rollback",
                "the file has no '-- ROLLBACK:' section",
                "add a line '-- ROLLBACK:' followed by the SQL that undoes this file",
            )
        ]
    if len(markers) > 1:
        return -1, [
            Finding(
                display,
                markers[1] + 1,
                "duplicate-rollback",
                "a second '-- ROLLBACK:' line",
                "keep exactly one '-- ROLLBACK:' line",
            )
        ]
    return markers[0], []


def parse_migration(path: Path, service: str) -> tuple[MigrationFile | None, list[Finding]]:
    """Parse one migration file; returns the file, or None and the findings that make it unusable."""
    display = f"{service}/{path.name}"
    parsed_name = parse_file_name(path.name)
    if parsed_name is None:
        return None, [Finding(display, 0, "naming", "the file name breaks the naming rule", NAMING_HELP)]
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        return None, [Finding(display, 0, "encoding", f"not UTF-8 ({err.reason})", "save the file as UTF-8")]
    text = normalise(text)
    lines = text.split("\n")
    header = _parse_header(lines, display)
    marker, findings = _split_rollback(lines, display)
    findings = list(header.findings) + findings
    if marker < 0:
        return None, findings
    up, up_findings = split_statements("\n".join(lines[:marker]), display, 1)
    down_sql = "\n".join(lines[marker + 1 :])
    down, down_findings = split_statements(down_sql, display, marker + 2)
    findings += up_findings + down_findings
    if not up and not up_findings:
        findings.append(
            Finding(
                display,
                1,
                "empty-migration",
                "no SQL before '-- ROLLBACK:'",
                "put the forward SQL above the '-- ROLLBACK:' line",
            )
        )
    findings += _transaction_findings(display, header.no_transaction, up + down)
    if any(f.severity == "error" for f in findings):
        return None, findings
    version, order, description = parsed_name
    return MigrationFile(
        name=path.name, display=display, version=version, order=order, description=description,
        checksum=checksum(text), no_transaction=header.no_transaction, allows=header.allows,
        up=tuple(up), down=tuple(down), down_sql=down_sql,
    ), findings  # fmt: skip


def _transaction_findings(display: str, marked: bool, statements: list[Statement]) -> list[Finding]:
    """No-transaction statements need the marker and must not share a file with transactional ones."""
    findings: list[Finding] = []
    for stmt in statements:
        if isinstance(stmt.node, ast.TransactionStmt):
            findings.append(
                Finding(
                    display,
                    stmt.line,
                    "transaction-control",
                    "BEGIN/COMMIT/ROLLBACK inside a migration file",
                    "remove it: relc-migrate runs each file in its own transaction",
                )
            )
        elif stmt.no_transaction and not marked:
            findings.append(
                Finding(
                    display,
                    stmt.line,
                    "no-transaction-marker",
                    "this statement cannot run inside a transaction",
                    f"add '{NO_TRANSACTION_MARKER}' as the file's first line (and keep only "
                    "such statements in that file)",
                )
            )
        elif marked and not stmt.no_transaction:
            findings.append(
                Finding(
                    display,
                    stmt.line,
                    "mixed-transaction",
                    "a transactional statement in a no-transaction file",
                    "move it into a separate, transactional migration file",
                )
            )
    return findings


def parse_init_data(path: Path, service: str) -> tuple[InitData | None, list[Finding]]:
    """Parse ``init_data.sql``: transactional statements only, no ROLLBACK section needed."""
    display = f"{service}/{path.name}"
    text = normalise(path.read_text(encoding="utf-8"))
    statements, findings = split_statements(text, display, 1)
    for stmt in statements:
        if stmt.no_transaction or isinstance(stmt.node, ast.TransactionStmt):
            findings.append(
                Finding(
                    display,
                    stmt.line,
                    "init-data-transactional",
                    "init_data.sql runs in one transaction; this statement cannot",
                    "keep only plain DML/DDL in init_data.sql",
                )
            )
    if findings:
        return None, findings
    return InitData(display=display, checksum=checksum(text), statements=tuple(statements)), []
