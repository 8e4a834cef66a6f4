#!/usr/bin/env bash
# The Python client in clients/python, generated from openapi/openapi.json
# with openapi-python-client (pinned in scripts/lib/services.sh).
#
#   scripts/client.sh           # regenerate clients/python
#   scripts/client.sh --check   # fail when the committed client differs from a fresh generation
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/services.sh
ensure_api_tools
export PATH="$TAICHU_API_TOOLS/bin:$PATH"
# No cache directories in the generated tree.
export RUFF_NO_CACHE=true

generate() {
  openapi-python-client generate --path openapi/openapi.json --config clients/python-config.yaml \
    --meta setup --output-path "$1" --overwrite >/dev/null
}

if [ "${1:-}" = "--check" ]; then
  fresh=$(mktemp -d)
  trap 'rm -rf "$fresh"' EXIT
  generate "$fresh/python"
  if ! diff -r -q clients/python "$fresh/python"; then
    echo "clients/python differs from a fresh generation from openapi/openapi.json: run scripts/client.sh and commit the result" >&2
    exit 1
  fi
  echo "clients/python matches openapi/openapi.json"
else
  generate clients/python
  echo "generated clients/python from openapi/openapi.json"
fi
