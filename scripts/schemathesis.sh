#!/usr/bin/env bash
# Schemathesis against the committed spec and the real `taichu serve`
# (SQLite, loopback only), as an admin and as a viewer: no 5xx, no response that breaks the
# spec, no 405 without `Allow`. Operations that make taichu connect to an
# address taken from the request (SSH to a machine, a kubeconfig's server,
# etcd endpoints, backups and restores that use them) are left out: a fuzzer
# must never make our host reach anything but loopback. So are those that
# would end the fuzzer's own session (logout, password change).
#
#   scripts/schemathesis.sh            # bounded, as scripts/test.sh runs it
#   EXAMPLES=200 scripts/schemathesis.sh   # a longer run
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/services.sh
ensure_api_tools
command -v curl >/dev/null 2>&1 || apt_install curl

examples="${EXAMPLES:-15}"
# Built from this checkout, so the server and openapi/openapi.json agree.
cargo build -q -p taichu-api --bin taichu
bin=target/debug/taichu

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
admin_password="schemathesis-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
TAICHU_DATA_DIR="$work" \
  TAICHU_JWT_SECRET="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  TAICHU_SECRET_KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  TAICHU_ADMIN_PASSWORD="$admin_password" \
  TAICHU_LOGIN_ATTEMPTS_PER_MINUTE=100000 \
  TAICHU_REGISTRATIONS_PER_HOUR=100000 \
  RUST_LOG=warn \
  "$bin" serve --listen "127.0.0.1:$port" >"$work/taichu.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT

base="http://127.0.0.1:$port/api/v1"
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
token=$(curl -fs -X POST "$base/auth/login" -H 'content-type: application/json' \
  -d "{\"username\": \"admin\", \"password\": \"$admin_password\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["token"])')

# Something to find behind the `{id}`s: a cluster (no kubeconfig, so nothing
# to connect to), a workflow run, and a machine on loopback port 1.
post() {
  curl -fs -X POST "$base/$1" -H "Authorization: Bearer $token" -H 'content-type: application/json' -d "$2" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["id"])'
}
cluster=$(post clusters '{"name": "fuzzed"}')
run=$(post workflows/canary '{"steps": 1}')
machine=$(post machines '{"name": "fuzzed", "ip": "127.0.0.1", "port": 1, "username": "nobody", "password": "x", "role": "worker"}')
cat >"$work/schemathesis.toml" <<TOML
[[operations]]
include-path-regex = '^/clusters/\{id\}'
parameters = { id = "$cluster" }
[[operations]]
include-path-regex = '^/workflows/\{id\}'
parameters = { id = "$run" }
[[operations]]
include-path-regex = '^/machines/\{id\}'
parameters = { id = "$machine" }
TOML

outside='^(create_cluster|import_cluster|create_machine|update_machine|check_machine|create_cluster_from_machines|expand_cluster|set_control_plane_machine|update_etcd_settings|create_backup|create_etcd_backup|create_resource_backup|restore_backup|create_backup_schedule|update_backup_schedule|retry_create_task|logout|change_password)$'

# A renamed operation must not slip back in: every name above must exist.
python3 - "$outside" <<'PY'
import json, re, sys
names = sys.argv[1].strip("^$()").split("|")
ids = {op.get("operationId") for ops in json.load(open("openapi/openapi.json"))["paths"].values() for op in ops.values()}
missing = [n for n in names if n not in ids]
if missing:
    sys.exit(f"schemathesis.sh: no operation named {missing} in openapi/openapi.json; fix the exclusions")
PY

# Once as an admin, once as a viewer (what anyone who registers gets).
fuzz() {
  "$TAICHU_API_TOOLS/bin/schemathesis" --config-file "$work/schemathesis.toml" run openapi/openapi.json \
    --url "$base" \
    -H "Authorization: Bearer $1" \
    --exclude-operation-id-regex "$outside" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,unsupported_method,allow_header_conformance \
    --phases "${PHASES:-examples,coverage,fuzzing,stateful}" \
    --max-examples "$examples" \
    --seed 20261126 \
    --workers 2 \
    --request-timeout 30 \
    --no-color \
    --generation-database none \
    --suppress-health-check all
}
viewer_password="viewer-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
curl -fs -X POST "$base/auth/register" -H 'content-type: application/json' \
  -d "{\"username\": \"fuzz-viewer\", \"password\": \"$viewer_password\"}" >/dev/null
viewer=$(curl -fs -X POST "$base/auth/login" -H 'content-type: application/json' \
  -d "{\"username\": \"fuzz-viewer\", \"password\": \"$viewer_password\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["token"])')
echo "== as admin =="
fuzz "$token"
echo "== as a viewer =="
fuzz "$viewer"
