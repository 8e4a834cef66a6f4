#!/usr/bin/env bash
# The one test command: installs or starts what the tests need, then runs the
# whole workspace suite (SQLite), and the API suite again on PostgreSQL
# (with Redis as the queue, since the SQLite queue needs the SQLite database).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/services.sh

ensure_nextest
ensure_postgres
ensure_redis
ensure_sshd
ensure_test_tools
ensure_api_tools
ensure_browser
ensure_faketime
cleanup_test_netns
trap cleanup_test_netns EXIT

# Nothing may be skipped here: a missing server fails the run.
export TAICHU_TEST_REQUIRE=all

echo "== the committed Python client against a fresh generation =="
bash scripts/client.sh --check
echo "== workspace suite (SQLite) =="
run_tests --workspace
echo "== API suite on PostgreSQL (${TAICHU_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432}) =="
TAICHU_TEST_DATABASE=postgres run_tests -p taichu-tests
echo "== schemathesis against the committed spec (taichu serve, SQLite) =="
bash scripts/schemathesis.sh
