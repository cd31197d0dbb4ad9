#!/usr/bin/env bash
# relc-migrate walk-through against a throwaway local PostgreSQL (started here, removed on exit):
# lint the example migrations, provision tenant "acme", dry-run, migrate, show status, roll back.
# Needs the PostgreSQL server binaries (initdb, pg_ctl); run it as `make migrate-demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
RM=.venv/bin/relc-migrate
[ -x "$RM" ] || make install

DIR=$(mktemp -d /tmp/relc-demo-XXXXXX)
chmod 755 "$DIR"  # the server may run as an unprivileged user (initdb refuses root)
cleanup() { "$PY" -m tests.migrate.pgserver stop "$DIR/pg" >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
DSN=$("$PY" -m tests.migrate.pgserver start "$DIR/pg")
"$PY" -c 'import sys, psycopg; psycopg.connect(sys.argv[1], autocommit=True).execute("CREATE DATABASE relc_infra")' "$DSN"

# Credentials come from files (Vault-injected in the cluster), never from arguments.
printf '%s' "$DSN" > "$DIR/db-dsn"
printf '%s' "${DSN/dbname=postgres/dbname=relc_infra}" > "$DIR/infra-dsn"
export RELC_DB_DSN_FILE="$DIR/db-dsn" RELC_INFRA_DSN_FILE="$DIR/infra-dsn"
export RELC_TERMINATION_LOG="$DIR/termination-log" RELC_METRICS_FILE="$DIR/metrics.prom" RELC_JOB_NAME=demo

step() { printf '\n\033[1m$ relc-migrate %s\033[0m\n' "$*"; "$RM" "$@" || echo "(exit code $?)"; }
MIG=(--tenant acme --database tenant_acme)

step lint migrations
step provision "${MIG[@]}" --schema auth=auth --schema payments=payments --schema entity=entity \
  --schema entity-crm=entity
step migrate "${MIG[@]}" --service auth --schema auth --desired-version 1.1.0 --migrations-dir migrations/auth
step migrate "${MIG[@]}" --service entity --schema entity --schema entity-crm --desired-version 1.2.0 \
  --migrations-dir migrations/entity
step migrate "${MIG[@]}" --service auth --schema auth --desired-version 1.2.0 --migrations-dir migrations/auth \
  --dry-run
step migrate "${MIG[@]}" --service auth --schema auth --desired-version 1.2.0 --migrations-dir migrations/auth
step migrate "${MIG[@]}" --service payments --schema payments --desired-version 2.2.0 \
  --migrations-dir migrations/payments --backup --backup-destination "$DIR/backups"
step migrate "${MIG[@]}" --service entity --schema entity --schema entity-crm --desired-version 1.2.0 \
  --migrations-dir migrations/entity
step status --tenant acme
step rollback "${MIG[@]}" --service payments --schema payments --to-version 2.1.0 \
  --migrations-dir migrations/payments
step status --tenant acme --service payments
printf '\nmetrics (text format, no Pushgateway configured):\n'
grep -E '^tenant_(migration_total|schema_version)' "$DIR/metrics.prom" || true
