-- Links to auth.users and payments.accounts by id: that is why dependencies.yml requires auth >= 1.2.0 and
-- payments >= 2.1.0 (the ids are resolved through their 1.2/2.1 APIs). Different schemas, so no foreign keys.
ALTER TABLE entities ADD COLUMN owner_user_id bigint;
ALTER TABLE entities ADD COLUMN payment_account_id bigint;
-- ROLLBACK:
ALTER TABLE entities DROP COLUMN payment_account_id;
ALTER TABLE entities DROP COLUMN owner_user_id;
