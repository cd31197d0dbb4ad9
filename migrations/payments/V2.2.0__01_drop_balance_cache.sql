-- relc:allow drop-column reason="balance_cents is unused since 2.1.0 and no Release Candidate in use pins 2.0.x"
ALTER TABLE accounts DROP COLUMN balance_cents;
-- ROLLBACK:
ALTER TABLE accounts ADD COLUMN balance_cents bigint NOT NULL DEFAULT 0;
