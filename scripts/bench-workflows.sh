#!/usr/bin/env bash
# Benchmark of the workflow engine on PostgreSQL + Redis (not part of CI):
# a fresh database and a throwaway redis-server per run, then
# `taichu bench workflows`. Usage:
#   scripts/bench-workflows.sh [path/to/taichu] [extra bench flags…]
# e.g. scripts/bench-workflows.sh target/release/taichu --markers
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/taichu}
shift || true
pg=${TAICHU_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432}
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --logfile "/tmp/taichu-bench-redis-$port.log" >/dev/null
db="taichu_bench_$(date +%s%N)"
psql -q "$pg/postgres" -c "CREATE DATABASE $db"
cleanup() {
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  psql -q "$pg/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
}
trap cleanup EXIT
"$bin" bench workflows --runs "${RUNS:-200}" --steps 5 --workers "${WORKERS:-2}" --concurrency "${CONCURRENCY:-4}" \
  --database "$pg/$db" --queue "redis://127.0.0.1:$port/" "$@"
