-- Nullable, so payments 2.0.x keeps inserting without it.
ALTER TABLE transactions ADD COLUMN external_ref text;
-- ROLLBACK:
ALTER TABLE transactions DROP COLUMN external_ref;
