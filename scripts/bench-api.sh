#!/usr/bin/env bash
# Benchmark of the HTTP API (not part of CI): `taichu bench api` three times
# per shape, on SQLite with one replica, then on PostgreSQL + Redis with one
# and with two replicas (each PostgreSQL run on a fresh database). Usage:
#   scripts/bench-api.sh [path/to/taichu] [extra bench flags…]
# e.g. RUNS=1 scripts/bench-api.sh target/release/taichu --seconds 5 --mixed-seconds 20
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/taichu}
shift || true
repeats=${RUNS:-3}
pg=${TAICHU_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432}
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --logfile "/tmp/taichu-bench-redis-$port.log" >/dev/null
dbs=()
cleanup() {
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  for db in "${dbs[@]}"; do
    psql -q "$pg/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  done
}
trap cleanup EXIT
# Sets $fresh to the URL of a new, empty database (dropped on exit).
fresh_pg() {
  local db="taichu_bench_$(date +%s%N)"
  psql -q "$pg/postgres" -c "CREATE DATABASE $db"
  dbs+=("$db")
  fresh="$pg/$db"
}
for i in $(seq "$repeats"); do
  echo "=== run $i of $repeats: SQLite, 1 replica ==="
  "$bin" bench api "$@"
  echo "=== run $i of $repeats: PostgreSQL + Redis, 1 replica ==="
  fresh_pg
  "$bin" bench api --database "$fresh" --queue "redis://127.0.0.1:$port/" "$@"
  echo "=== run $i of $repeats: PostgreSQL + Redis, 2 replicas ==="
  fresh_pg
  "$bin" bench api --database "$fresh" --queue "redis://127.0.0.1:$port/" --replicas 2 "$@"
done
