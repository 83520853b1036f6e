#!/usr/bin/env bash
# The test command: lint, then the whole suite against SQLite and a real PostgreSQL that
# this script starts on loopback and stops again. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

started_postgres=0
cleanup() { if [ "$started_postgres" = 1 ]; then scripts/postgres.sh stop || true; fi; }
trap cleanup EXIT

if [ -z "${HANDSOFF_TEST_POSTGRES_URL:-}" ]; then
  HANDSOFF_TEST_POSTGRES_URL="$(scripts/postgres.sh start)"
  started_postgres=1
fi
export HANDSOFF_TEST_POSTGRES_URL
export HANDSOFF_TEST_REQUIRE_POSTGRES=1
# Set by .ci/run, which installs Chromium: the browser test must run there, not skip.
export HANDSOFF_TEST_REQUIRE_BROWSER="${HANDSOFF_TEST_REQUIRE_BROWSER:-0}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1

echo "== ruff" >&2
$BIN/ruff check .
echo "== import contracts (lint-imports)" >&2
$BIN/lint-imports --no-cache
echo "== mypy" >&2
$BIN/mypy handsoff_core db flows annotation_app migrations
echo "== pytest (SQLite and PostgreSQL)" >&2
$BIN/pytest -q -p no:cacheprovider --timeout=900 "$@"
