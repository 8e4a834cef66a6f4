#!/usr/bin/env bash
# Benchmark of resource backups and restores at scale (not part of CI): a
# test-apiserver process seeded with --objects objects, the backup and the
# restore through the workflows' own code, each in a fresh process. Usage:
#   scripts/bench-resources.sh [resources-bench flags…]
# e.g. scripts/bench-resources.sh --objects 100000 --runs 3
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p taichu-tests --bin resources-bench --bin test-apiserver
target/release/resources-bench "$@"
