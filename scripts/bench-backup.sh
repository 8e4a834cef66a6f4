#!/usr/bin/env bash
# Benchmark of streaming a snapshot from an SSH host into the object store
# (not part of CI): a real sshd test host, SeaweedFS, and the backup
# workflow's own transfer. Usage:
#   scripts/bench-backup.sh [backup-bench flags…]
# e.g. scripts/bench-backup.sh --sizes 100,1024 --runs 3
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/services.sh
ensure_sshd
ensure_test_tools
cargo build --release -q -p taichu-tests --bin backup-bench
target/release/backup-bench "$@"
