#!/usr/bin/env bash
# Runs the whole suite twice: on SQLite, then on PostgreSQL (DATABASE_URL, default the local server).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
pg_url="${SEIKYU_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

echo "== suite on SQLite"
env -u DATABASE_URL pytest "$@"
echo "== suite on PostgreSQL ($pg_url)"
DATABASE_URL="$pg_url" pytest "$@"
