"""relc-migrate: the companion Job program that provisions tenant databases and applies schema migrations.

Kept import-free on purpose: importing one module (tests, bench) must not pull in all of psycopg, pglast and
click. What it shares with the compiler lives in ``relc_contract``, which neither program owns.
"""
