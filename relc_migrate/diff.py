"""Catalog diff of one schema: what a dry run would change, read from pg_catalog before and after.

Diffing the catalog (not the SQL text) shows the effect, whatever syntax produced it. The text form follows
the design document (``+`` added, ``-`` dropped, ``~`` altered, each as the SQL that states the change);
the JSON form carries the same changes as objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import psycopg
from psycopg import sql

Kind = Literal["table", "column", "index", "constraint"]
Op = Literal["+", "-", "~"]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Objects of one schema: tables, columns (table.column), indexes, constraints (table.name)."""

    tables: dict[str, str]  #: name -> relkind
    columns: dict[tuple[str, str], str]  #: (table, column) -> "type [NOT NULL] [DEFAULT x]"
    indexes: dict[str, str]  #: name -> CREATE INDEX ... (indexes not backing a constraint)
    constraints: dict[tuple[str, str], str]  #: (table, name) -> definition


def snapshot(conn: psycopg.Connection, schema: str) -> Snapshot:
    """Read the schema's catalog inside the caller's transaction (the dry run's, always rolled back).

    search_path is pinned to the schema first: pg_get_constraintdef and pg_get_expr qualify names that are
    not on the path, so without this a before/after pair would differ in spelling, not in substance.
    """
    conn.execute("SELECT set_config('search_path', %s, true)", (sql.Identifier(schema).as_string(conn),))
    tables = {
        name: kind
        for name, kind in conn.execute(
            """SELECT c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm')""",
            (schema,),
        ).fetchall()
    }
    columns = {
        (table, column): definition
        for table, column, definition in conn.execute(
            """SELECT c.relname, a.attname,
                      format_type(a.atttypid, a.atttypmod)
                      || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
                      || CASE WHEN a.attidentity <> '' THEN ' GENERATED AS IDENTITY' ELSE '' END
                      || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
               FROM pg_attribute a
               JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
               LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0
                 AND NOT a.attisdropped
               ORDER BY c.relname, a.attnum""",
            (schema,),
        ).fetchall()
    }
    indexes = {
        name: definition
        for name, definition in conn.execute(
            """SELECT ic.relname, pg_get_indexdef(i.indexrelid)
               FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
               JOIN pg_namespace n ON n.oid = ic.relnamespace
               WHERE n.nspname = %s
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)""",
            (schema,),
        ).fetchall()
    }
    constraints = {
        (table, name): definition
        for table, name, definition in conn.execute(
            """SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
               FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s""",
            (schema,),
        ).fetchall()
    }
    return Snapshot(tables, columns, indexes, constraints)


@dataclass(frozen=True, slots=True)
class Change:
    op: Op
    kind: Kind
    table: str
    name: str
    before: str | None
    after: str | None

    def sql(self) -> str:
        """The change as the design document shows it: ``+ ALTER TABLE users ADD COLUMN tfa boolean;``."""
        table = _quote(self.table)
        if self.kind == "table":
            verb = {"+": "CREATE TABLE", "-": "DROP TABLE", "~": "ALTER TABLE"}[self.op]
            body = f" ({self.after})" if self.op == "+" and self.after else ""
            return f"{self.op} {verb} {table}{body};"
        if self.kind == "column":
            column = _quote(self.name)
            if self.op == "+":
                return f"+ ALTER TABLE {table} ADD COLUMN {column} {self.after};"
            if self.op == "-":
                return f"- ALTER TABLE {table} DROP COLUMN {column};"
            return f"~ ALTER TABLE {table} ALTER COLUMN {column} {self.after}; -- was {self.before}"
        if self.kind == "index":
            if self.op == "-":
                return f"- DROP INDEX {_quote(self.name)};"
            suffix = f" -- was {self.before}" if self.op == "~" else ""
            return f"{self.op} {self.after};{suffix}"
        name = _quote(self.name)
        if self.op == "+":
            return f"+ ALTER TABLE {table} ADD CONSTRAINT {name} {self.after};"
        if self.op == "-":
            return f"- ALTER TABLE {table} DROP CONSTRAINT {name};"
        return f"~ ALTER TABLE {table} ALTER CONSTRAINT {name} {self.after}; -- was {self.before}"

    def as_json(self) -> dict[str, str | None]:
        return {
            "op": {"+": "added", "-": "dropped", "~": "altered"}[self.op],
            "kind": self.kind,
            "table": self.table,
            "name": self.name,
            "before": self.before,
            "after": self.after,
        }


def _quote(name: str) -> str:
    """Quote like PostgreSQL's quote_ident for display (the SQL is shown, never run)."""
    plain = name.replace("_", "a").isalnum() and name == name.lower() and not name[:1].isdigit()
    return name if plain else '"' + name.replace('"', '""') + '"'


def _changes(kind: Kind, before: dict[str, str], after: dict[str, str], tables: set[str]) -> list[Change]:
    """Added/dropped/altered entries of one object kind; objects of added or dropped tables are implied."""
    out: list[Change] = []
    for key in sorted(before.keys() | after.keys()):
        table, _, name = key.partition("\x00")
        if table in tables:
            continue
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        op: Op = "+" if old is None else "-" if new is None else "~"
        out.append(Change(op, kind, table, name, old, new))
    return out


def compare(before: Snapshot, after: Snapshot) -> list[Change]:
    """Changes from ``before`` to ``after``, tables first, in a stable order."""
    added = sorted(after.tables.keys() - before.tables.keys())
    dropped = sorted(before.tables.keys() - after.tables.keys())
    changes: list[Change] = []
    for table in added:
        cols = ", ".join(f"{_quote(c)} {d}" for (t, c), d in after.columns.items() if t == table)
        changes.append(Change("+", "table", table, table, None, cols))
    changes += [Change("-", "table", t, t, "table", None) for t in dropped]
    moved = set(added) | set(dropped)

    def flat(items: dict[tuple[str, str], str]) -> dict[str, str]:
        return {f"{t}\x00{n}": v for (t, n), v in items.items()}

    changes += _changes("column", flat(before.columns), flat(after.columns), moved)
    changes += _changes("constraint", flat(before.constraints), flat(after.constraints), set(dropped))
    idx_before = {f"\x00{n}": v for n, v in before.indexes.items()}
    idx_after = {f"\x00{n}": v for n, v in after.indexes.items()}
    changes += _changes("index", idx_before, idx_after, set())
    return changes


def render(schema: str, changes: list[Change]) -> str:
    """The text report of one schema's changes."""
    lines = [f"# schema {schema}: {len(changes)} change(s)"]
    lines += [change.sql() for change in changes]
    return "\n".join(lines)
