CREATE TABLE roles (
    name        text PRIMARY KEY,
    description text NOT NULL DEFAULT ''
);
CREATE TABLE user_roles (
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_name text NOT NULL REFERENCES roles (name),
    PRIMARY KEY (user_id, role_name)
);
-- ROLLBACK:
DROP TABLE user_roles;
DROP TABLE roles;
