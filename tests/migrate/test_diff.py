"""The catalog diff's text form (the design document's +/- lines) for every kind of change."""

from __future__ import annotations

from relc_migrate.diff import Snapshot, compare, render


def test_added_dropped_and_altered_objects_render_as_sql() -> None:
    before = Snapshot(
        tables={"users": "r", "old_sessions": "r"},
        columns={("users", "id"): "bigint NOT NULL", ("users", "email"): "character varying(100)",
                 ("old_sessions", "id"): "uuid"},
        indexes={"users_email_idx": "CREATE INDEX users_email_idx ON users USING btree (email)"},
        constraints={("users", "users_pkey"): "PRIMARY KEY (id)"},
    )  # fmt: skip
    after = Snapshot(
        tables={"users": "r", "entity-links": "r"},
        columns={("users", "id"): "bigint NOT NULL", ("users", "email"): "text NOT NULL",
                 ("users", "tfa_enabled"): "boolean", ("entity-links", "id"): "uuid"},
        indexes={},
        constraints={("users", "users_pkey"): "PRIMARY KEY (id)",
                     ("users", "email_ck"): "CHECK (email <> '')"},
    )  # fmt: skip
    assert render("auth", compare(before, after)).splitlines() == [
        "# schema auth: 6 change(s)",
        '+ CREATE TABLE "entity-links" (id uuid);',
        "- DROP TABLE old_sessions;",
        "~ ALTER TABLE users ALTER COLUMN email text NOT NULL; -- was character varying(100)",
        "+ ALTER TABLE users ADD COLUMN tfa_enabled boolean;",
        "+ ALTER TABLE users ADD CONSTRAINT email_ck CHECK (email <> '');",
        "- DROP INDEX users_email_idx;",
    ]
