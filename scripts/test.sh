#!/usr/bin/env bash
# The whole suite: lint and types, then every test on SQLite, then again on MariaDB.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/services.sh

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports
node_modules/.bin/eslint .

echo "== tests on SQLite =="
.venv/bin/pytest "$@"
echo "== tests on MariaDB =="
TEST_DATABASE_URL=${MARIADB_TEST_URL:-mysql+aiomysql://root@127.0.0.1/clinic_test} \
  .venv/bin/pytest -m "not browser" "$@"
