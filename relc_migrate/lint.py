"""Lint rules for migration files: what would break an older Release Candidate sharing the database.

Several Release Candidates read one tenant database at once (the first design document), so a migration must
keep the previous version working: no drops, renames or type changes, no long exclusive locks. Each rule is
one function over a parsed file's forward statements; a file silences a rule only with
``-- relc:allow <rule> reason="..."``. ROLLBACK sections are exempt: undoing a change is destructive by
nature.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType

from relc_migrate.files import MigrationFile, Statement, iter_nodes
from relc_migrate.findings import Finding

Hit = tuple[Statement, str]


def _alter_cmds(stmt: Statement) -> Iterator[Any]:
    if isinstance(stmt.node, ast.AlterTableStmt):
        yield from stmt.node.cmds or ()


def _relname(node: Any) -> str:
    """The table a statement targets (pglast's types are partial, so this reads it untyped)."""
    relation: Any = getattr(node, "relation", None)
    return str(relation.relname) if relation is not None else ""


def _created_tables(file: MigrationFile) -> set[str]:
    """Tables created by this file: changing them in the same file cannot hurt an older version."""
    return {_relname(s.node) for s in file.up if isinstance(s.node, ast.CreateStmt)}


def drop_table(file: MigrationFile) -> Iterator[Hit]:
    for stmt in file.up:
        if isinstance(stmt.node, ast.DropStmt) and stmt.node.removeType == ObjectType.OBJECT_TABLE:
            yield stmt, "DROP TABLE removes data an older Release Candidate may still read"


def drop_schema(file: MigrationFile) -> Iterator[Hit]:
    for stmt in file.up:
        if isinstance(stmt.node, ast.DropStmt) and stmt.node.removeType == ObjectType.OBJECT_SCHEMA:
            yield stmt, "DROP SCHEMA removes every object in it"


def drop_column(file: MigrationFile) -> Iterator[Hit]:
    for stmt in file.up:
        for cmd in _alter_cmds(stmt):
            if cmd.subtype == AlterTableType.AT_DropColumn:
                yield stmt, f"DROP COLUMN {cmd.name} breaks older versions that still select it"


def rename(file: MigrationFile) -> Iterator[Hit]:
    for stmt in file.up:
        if isinstance(stmt.node, ast.RenameStmt):
            yield stmt, f"RENAME to {stmt.node.newname} breaks older versions that use the old name"


def alter_type(file: MigrationFile) -> Iterator[Hit]:
    created = _created_tables(file)
    for stmt in file.up:
        for cmd in _alter_cmds(stmt):
            if cmd.subtype == AlterTableType.AT_AlterColumnType and _relname(stmt.node) not in created:
                yield stmt, f"changing the type of column {cmd.name} rewrites the table and can break readers"


def index_not_concurrent(file: MigrationFile) -> Iterator[Hit]:
    created = _created_tables(file)
    for stmt in file.up:
        node = stmt.node
        if isinstance(node, ast.IndexStmt) and not node.concurrent and _relname(node) not in created:
            yield stmt, f"CREATE INDEX on existing table {_relname(node)} blocks writes while it builds"


def _constraint_types(column: Any) -> set[Any]:
    return {c.contype for c in column.constraints or () if isinstance(c, ast.Constraint)}


def not_null_without_default(file: MigrationFile) -> Iterator[Hit]:
    created = _created_tables(file)
    for stmt in file.up:
        for cmd in _alter_cmds(stmt):
            if _relname(stmt.node) in created:
                continue
            if cmd.subtype == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
                kinds = _constraint_types(cmd.def_)
                has_default = ConstrType.CONSTR_DEFAULT in kinds or cmd.def_.raw_default is not None
                if ConstrType.CONSTR_NOTNULL in kinds and not has_default:
                    yield (
                        stmt,
                        (
                            f"ADD COLUMN {cmd.def_.colname} NOT NULL without DEFAULT fails on existing "
                            "rows and breaks older versions' INSERTs"
                        ),
                    )
            elif cmd.subtype == AlterTableType.AT_SetNotNull:
                yield stmt, f"SET NOT NULL on {cmd.name} breaks older versions that insert without it"


def _every_row(file: MigrationFile, kind: type[ast.DeleteStmt | ast.UpdateStmt], verb: str) -> Iterator[Hit]:
    """DELETE / UPDATE statements without a WHERE clause on a table the file did not create."""
    created = _created_tables(file)
    for stmt in file.up:
        node = stmt.node
        if isinstance(node, kind) and node.whereClause is None and _relname(node) not in created:
            yield stmt, f"{verb} every row of {_relname(node)}"


def delete_without_where(file: MigrationFile) -> Iterator[Hit]:
    return _every_row(file, ast.DeleteStmt, "DELETE without WHERE removes")


def update_without_where(file: MigrationFile) -> Iterator[Hit]:
    return _every_row(file, ast.UpdateStmt, "UPDATE without WHERE rewrites")


def truncate(file: MigrationFile) -> Iterator[Hit]:
    created = _created_tables(file)
    for stmt in file.up:
        node = stmt.node
        if isinstance(node, ast.TruncateStmt):
            tables = [str(r.relname) for r in node.relations or () if isinstance(r, ast.RangeVar)]
            if any(t not in created for t in tables):
                yield stmt, f"TRUNCATE removes every row of {', '.join(tables)} and is not undone by a ROLLBACK"


def schema_qualified(file: MigrationFile) -> Iterator[Hit]:
    for stmt in file.up + file.down:
        for node in iter_nodes(stmt.node):
            if isinstance(node, ast.RangeVar) and node.schemaname not in (None, "pg_catalog"):
                yield (
                    stmt,
                    (
                        f"{node.schemaname}.{node.relname} is schema-qualified; files are applied to "
                        "every schema of the service"
                    ),
                )
                break


def set_search_path(file: MigrationFile) -> Iterator[Hit]:
    for stmt in file.up + file.down:
        if isinstance(stmt.node, ast.VariableSetStmt) and stmt.node.name == "search_path":
            yield stmt, "the file changes search_path, which relc-migrate sets to the target schema"


def no_transaction_not_idempotent(file: MigrationFile) -> Iterator[Hit]:
    """Crash recovery re-runs the interrupted no-transaction statement, so it must tolerate a re-run."""
    for stmt in file.up + file.down:
        node = stmt.node
        if isinstance(node, ast.IndexStmt) and node.concurrent and not node.if_not_exists:
            yield stmt, "CREATE INDEX CONCURRENTLY without IF NOT EXISTS cannot be resumed after a crash"
        elif isinstance(node, ast.DropStmt) and node.concurrent and not node.missing_ok:
            yield stmt, "DROP INDEX CONCURRENTLY without IF EXISTS cannot be resumed after a crash"


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    check: Callable[[MigrationFile], Iterator[Hit]]
    fix: str
    allowable: bool = True


_ALLOW_FIX = 'or, if it is safe for every Release Candidate still in use, add -- relc:allow {name} reason="..."'
RULES: Final[tuple[Rule, ...]] = (
    Rule("drop-table", drop_table, "stop using the table first, drop it in a later release " + _ALLOW_FIX),
    Rule("drop-schema", drop_schema, "never drop schemas in a migration " + _ALLOW_FIX),
    Rule("drop-column", drop_column, "stop reading it first, drop it in a later release " + _ALLOW_FIX),
    Rule("rename", rename, "add the new name beside the old one (expand/contract) " + _ALLOW_FIX),
    Rule("alter-type", alter_type, "add a new column of the new type and backfill it " + _ALLOW_FIX),
    Rule("index-not-concurrent", index_not_concurrent,
         "use CREATE INDEX CONCURRENTLY IF NOT EXISTS in a -- relc:no-transaction file " + _ALLOW_FIX),
    Rule("not-null-without-default", not_null_without_default, "add a DEFAULT " + _ALLOW_FIX),
    Rule("delete-without-where", delete_without_where,
         "add a WHERE clause (WHERE true if every row is meant) " + _ALLOW_FIX),
    Rule("update-without-where", update_without_where,
         "add a WHERE clause (WHERE true if every row is meant) " + _ALLOW_FIX),
    Rule("truncate", truncate, "DELETE the rows you mean, with a WHERE clause " + _ALLOW_FIX),
    Rule("schema-qualified", schema_qualified, "use unqualified names " + _ALLOW_FIX),
    Rule("set-search-path", set_search_path, "remove the SET (relc-migrate sets it)", allowable=False),
    Rule("no-transaction-not-idempotent", no_transaction_not_idempotent,
         "add IF NOT EXISTS / IF EXISTS", allowable=False),
)  # fmt: skip
ALLOWABLE_RULES: Final = frozenset(r.name for r in RULES if r.allowable)


def lint_file(file: MigrationFile) -> list[Finding]:
    """Findings of every rule for one parsed file, with allows applied and checked."""
    allowed = {a.rule for a in file.allows}
    findings: list[Finding] = []
    used: set[str] = set()
    for rule in RULES:
        for stmt, message in rule.check(file):
            if rule.allowable and rule.name in allowed:
                used.add(rule.name)
                continue
            findings.append(Finding(file.display, stmt.line, rule.name, message, rule.fix.format(name=rule.name)))
    for allow in file.allows:
        if allow.rule not in ALLOWABLE_RULES:
            findings.append(
                Finding(
                    file.display,
                    allow.line,
                    "unknown-allow",
                    f"no allowable rule is named {allow.rule!r}",
                    "use one of: " + ", ".join(sorted(ALLOWABLE_RULES)),
                )
            )
        elif allow.rule not in used:
            findings.append(
                Finding(
                    file.display,
                    allow.line,
                    "unused-allow",
                    f"allow for {allow.rule!r} matches no statement",
                    "remove the allow",
                    severity="warning",
                )
            )
    return findings
