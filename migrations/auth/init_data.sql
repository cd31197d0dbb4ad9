-- Applied once, after the files of the first successful migration of a schema.
INSERT INTO roles (name, description) VALUES
    ('admin', 'tenant administrator'),
    ('member', 'regular user')
ON CONFLICT (name) DO NOTHING;
