CREATE TABLE transactions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES accounts (id),
    amount_cents bigint NOT NULL,
    booked_at    timestamptz NOT NULL DEFAULT now()
);
-- ROLLBACK:
DROP TABLE transactions;
