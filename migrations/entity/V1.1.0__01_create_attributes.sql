CREATE TABLE entity_attributes (
    entity_id uuid NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    key       text NOT NULL,
    value     jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (entity_id, key)
);
-- ROLLBACK:
DROP TABLE entity_attributes;
