CREATE TABLE sessions (
    id         uuid PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);
-- sessions is created in this file, so a plain CREATE INDEX locks nobody out.
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
-- ROLLBACK:
DROP TABLE sessions;
