"""relc-migrate: the companion Job program that provisions tenant databases and applies schema migrations.

Kept import-free on purpose: the compiler imports ``relc_migrate.contract`` and must not pay
for (or depend on) psycopg, pglast or click when it does.
"""
