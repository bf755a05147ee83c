#!/usr/bin/env bash
# Lint and types first (fast, fail early), then the whole suite on SQLite and on PostgreSQL.
#   scripts/test.sh [pytest args]
# SEIKYU_TEST_POSTGRES_URL picks the PostgreSQL server (default: the local one, started or installed
# if need be: CI must never skip PostgreSQL).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
pg_url="${SEIKYU_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
source scripts/postgres.sh

# Test runs never touch ./var: each gets a data dir of its own.
SEIKYU_DATA_DIR="$(mktemp -d)"
export SEIKYU_DATA_DIR
trap 'rm -rf "$SEIKYU_DATA_DIR"' EXIT

echo "== lint and types"
ruff check --quiet . && ruff format --check --quiet . && mypy \
  || { echo "== FAILED: lint and types (fix these first: ruff check --fix . ; ruff format . ; mypy)"; exit 1; }

ensure_postgres "$pg_url" || { echo "== FAILED: no PostgreSQL to test on"; exit 1; }

summary=()
failed=0
run_suite() {
  local label="$1" started status
  shift
  echo "== suite on $label"
  started=$SECONDS
  "$@"
  status=$?
  if [ "$status" -eq 0 ]; then
    summary+=("$label passed ($((SECONDS - started)) s)")
  else
    summary+=("$label FAILED ($((SECONDS - started)) s)")
    failed=1
  fi
}
run_suite SQLite env -u DATABASE_URL pytest "$@"
run_suite PostgreSQL env DATABASE_URL="$pg_url" pytest "$@"

joined="$(printf '%s; ' "${summary[@]}")"
echo "== ${joined%; }"
exit "$failed"
