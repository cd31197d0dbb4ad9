-- Two-factor authentication; the DEFAULT keeps INSERTs of auth 1.1.x (still pinned by older candidates) valid.
ALTER TABLE users ADD COLUMN tfa_enabled boolean NOT NULL DEFAULT false;
CREATE TABLE tfa_secrets (
    user_id    bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- ROLLBACK:
DROP TABLE tfa_secrets;
ALTER TABLE users DROP COLUMN tfa_enabled;
