-- relc:no-transaction
-- transactions is large and written to by every version: build the index without blocking writes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS transactions_booked_at_idx ON transactions (booked_at);
-- ROLLBACK:
DROP INDEX CONCURRENTLY IF EXISTS transactions_booked_at_idx;
