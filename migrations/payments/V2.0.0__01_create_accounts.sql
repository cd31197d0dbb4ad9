CREATE TABLE accounts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_ref     text NOT NULL,
    currency      char(3) NOT NULL,
    balance_cents bigint NOT NULL DEFAULT 0
);
-- ROLLBACK:
DROP TABLE accounts;
