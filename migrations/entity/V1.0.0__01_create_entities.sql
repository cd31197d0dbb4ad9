CREATE TABLE entities (
    id         uuid PRIMARY KEY,
    kind       text NOT NULL,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- ROLLBACK:
DROP TABLE entities;
