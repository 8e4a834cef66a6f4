//! Machines a cluster is created on, for tests. Real kubeadm cannot run
//! here, so each machine is a real sshd host in its own network namespace
//! (SSH, files and the command sequence are real) whose `kubeadm`,
//! `kubelet`, `kubectl`, `systemctl`, `apt-get`, `apt-mark`, `curl`, `gpg`,
//! `modprobe`, `sysctl` and `sudo` are scripts first in its PATH. They record every call (argv) and
//! act like the real tools where a caller can tell: `kubeadm init` refuses a
//! host that has `/etc/kubernetes/admin.conf` and writes it (pointing at the
//! fleet's test API server); `kubeadm token create --print-join-command`
//! prints the fleet's join command; `kubeadm join` checks the token and CA
//! hash it is given; `kubeadm reset -f` removes what init and join wrote.
//! Each host has its own `/etc/kubernetes`, `/var/lib/kubelet`,
//! `/etc/cni/net.d`, `/etc/apt/sources.list.d`, `/etc/apt/keyrings` and
//! `/run/containerd` (with a live socket where containerd's would be),
//! bound in sshd's own mount namespace. What is simulated: the kubelet and control
//! plane. A poller registers each host that joined as a Node of the test API
//! server, Ready once a network manifest was applied with `kubectl apply`.

use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::apiserver::TestApiServer;
use crate::sshd::{SshHost, TEST_USER};

/// The token, CA hash and certificate key of every fleet (test values).
pub const TOKEN: &str = "abcdef.0123456789abcdef";
pub const CA_HASH: &str = "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
pub const CERTIFICATE_KEY: &str = "c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ff";

const LIB: &str = r#"CLUSTER=@CLUSTER@
STATE=@STATE@
log() { { printf '%s' "$(basename "$0")"; for a in "$@"; do printf '\037%s' "$a"; done; printf '\036'; } >> "$STATE/calls.log"; }
"#;

const KUBEADM: &str = r#"#!/bin/sh
. @LIB@
log "$@"
cmd=${1:-}; [ $# -gt 0 ] && shift
case "$cmd" in
version) echo "@VERSION@" ;;
init)
  if [ "${1:-}" = phase ]; then touch "$CLUSTER/certs-uploaded"; echo "[upload-certs] Using certificate key:"; cat "$CLUSTER/certificate-key"; exit 0; fi
  if [ -e /etc/kubernetes/admin.conf ]; then echo "error: /etc/kubernetes/admin.conf already exists" >&2; exit 1; fi
  config=
  while [ $# -gt 0 ]; do case "$1" in --config) config=$2; shift ;; esac; shift; done
  [ -r "$config" ] || { echo "error: kubeadm init needs --config" >&2; exit 1; }
  name=$(awk '/^nodeRegistration:/ { f = 1 } f && /^  name:/ { print $2; exit }' "$config")
  mkdir -p /etc/kubernetes/pki
  cp "$CLUSTER/admin.conf" /etc/kubernetes/admin.conf
  cp "$CLUSTER/ca.crt" /etc/kubernetes/pki/ca.crt
  cp "$config" "$STATE/init-config.yaml"
  echo control-plane > "$STATE/role"
  echo "$name" > "$STATE/joined"
  echo "Your Kubernetes control-plane has initialized successfully!" ;;
token)
  echo "kubeadm join $(cat "$CLUSTER/endpoint") --token $(cat "$CLUSTER/token") --discovery-token-ca-cert-hash $(cat "$CLUSTER/ca-hash")" ;;
join)
  token=; hash=; name=$(hostname); cp=; key=
  while [ $# -gt 0 ]; do
    case "$1" in
    --token) token=$2; shift ;; --discovery-token-ca-cert-hash) hash=$2; shift ;; --node-name) name=$2; shift ;;
    --control-plane) cp=yes ;; --certificate-key) key=$2; shift ;;
    esac
    shift
  done
  [ "$token" = "$(cat "$CLUSTER/token")" ] || { echo "error: the bootstrap token is not valid" >&2; exit 1; }
  [ "$hash" = "$(cat "$CLUSTER/ca-hash")" ] || { echo "error: the cluster CA does not match the hash" >&2; exit 1; }
  if [ -n "$cp" ]; then
    [ "$key" = "$(cat "$CLUSTER/certificate-key")" ] || { echo "error: the certificate key does not decrypt the uploaded certificates" >&2; exit 1; }
    [ -e "$CLUSTER/certs-uploaded" ] || { echo "error: no certificates were uploaded (kubeadm init phase upload-certs)" >&2; exit 1; }
    mkdir -p /etc/kubernetes && cp "$CLUSTER/admin.conf" /etc/kubernetes/admin.conf
    echo control-plane > "$STATE/role"
  fi
  if [ -e "$STATE/fail-join" ]; then echo "error: the kubelet did not start (a fault the test set)" >&2; exit 1; fi
  if [ -e "$STATE/slow-join" ]; then sleep "$(cat "$STATE/slow-join")"; fi
  mkdir -p /etc/kubernetes/pki
  cp "$CLUSTER/ca.crt" /etc/kubernetes/pki/ca.crt
  echo "kubelet" > /etc/kubernetes/kubelet.conf
  echo "$name" > "$STATE/joined"
  echo "This node has joined the cluster" ;;
reset)
  rm -rf /etc/kubernetes/* /var/lib/kubelet/*
  rm -f "$STATE/joined" "$STATE/role"
  echo "reset" > "$STATE/reset" ;;
*) echo "kubeadm stand-in: '$cmd' is not simulated" >&2; exit 1 ;;
esac
"#;

const KUBECTL: &str = r#"#!/bin/sh
. @LIB@
log "$@"
case " $* " in
*" apply "*) echo applied > "$STATE/cni-applied"; echo '{"cniVersion": "0.3.1"}' > /etc/cni/net.d/10-test.conflist; echo "configured" ;;
*" version"*) echo "Client Version: @VERSION@" ;;
esac
"#;

const KUBELET: &str = r#"#!/bin/sh
. @LIB@
log "$@"
echo "Kubernetes @VERSION@"
"#;

const SYSTEMCTL: &str = r#"#!/bin/sh
. @LIB@
log "$@"
[ "${1:-}" = is-active ] && echo active
exit 0
"#;

const RECORDED: &str = r#"#!/bin/sh
. @LIB@
log "$@"
exit 0
"#;

const MODPROBE: &str = r#"#!/bin/sh
. @LIB@
log "$@"
if [ "${1:-}" = -n ] && grep -qx "${2:-}" "$STATE/missing-modules" 2>/dev/null; then
  echo "modprobe: FATAL: Module $2 not found in directory /lib/modules/test" >&2
  exit 1
fi
exit 0
"#;

const CURL: &str = r#"#!/bin/sh
. @LIB@
log "$@"
echo "-----BEGIN PGP PUBLIC KEY BLOCK----- (test key)"
"#;

const GPG: &str = r#"#!/bin/sh
. @LIB@
log "$@"
out=
while [ $# -gt 0 ]; do case "$1" in -o) out=$2; shift ;; esac; shift; done
cat > "$out"
"#;

const SUDO: &str = r#"#!/bin/sh
. @LIB@
log "$@"
exec "$@"
"#;

/// One recorded call: the program's name and its arguments.
pub type Call = Vec<String>;

/// A machine with kubeadm stand-ins.
#[derive(Debug)]
pub struct KubeHost {
    pub ssh: SshHost,
    /// What the stand-ins write: `calls.log`, `joined`, `init-config.yaml`, …
    pub state: PathBuf,
    /// The host's own directories, bound over `/etc/kubernetes`, `/etc/apt/…`, `/run/containerd`.
    pub home: PathBuf,
    _runtime: UnixListener,
}

impl KubeHost {
    /// Every call of a stand-in on this host, in order.
    pub fn calls(&self) -> Vec<Call> {
        let log = std::fs::read_to_string(self.state.join("calls.log")).unwrap_or_default();
        log.split('\u{1e}')
            .filter(|r| !r.is_empty())
            .map(|r| r.split('\u{1f}').map(str::to_owned).collect())
            .collect()
    }

    /// Calls of one program.
    pub fn calls_of(&self, program: &str) -> Vec<Call> {
        self.calls().into_iter().filter(|c| c[0] == program).collect()
    }

    /// Makes the next `kubeadm join` on this host fail (or work again).
    pub fn fail_join(&self, fail: bool) {
        let marker = self.state.join("fail-join");
        if fail {
            std::fs::write(&marker, "fault").expect("fault");
        } else {
            let _ = std::fs::remove_file(marker);
        }
    }

    /// Makes `modprobe -n` on this host fail for `module`, as on a kernel built without it.
    pub fn lack_module(&self, module: &str) {
        std::fs::write(self.state.join("missing-modules"), format!("{module}\n")).expect("module fault");
    }

    /// Removes the container runtime's socket, as when containerd is not running.
    pub fn stop_runtime(&self) {
        std::fs::remove_file(self.home.join("run-containerd/containerd.sock")).expect("runtime socket");
    }

    /// A file the host wrote under one of its bound directories, e.g. `etc-apt-sources/taichu-kubernetes.list`.
    pub fn file(&self, relative: &str) -> Option<String> {
        std::fs::read_to_string(self.home.join(relative)).ok()
    }

    /// Makes this host a control plane of the fleet's cluster as if someone
    /// else had run `kubeadm init` there (for imported clusters): its node
    /// registers as `name`, with the control-plane role, Ready.
    pub fn pretend_control_plane(&self, name: &str) {
        let admin = std::fs::read_to_string(self.home.join("../cluster/admin.conf")).expect("admin.conf");
        std::fs::write(self.home.join("etc-kubernetes/admin.conf"), admin).expect("admin.conf");
        std::fs::write(self.state.join("role"), "control-plane\n").expect("role");
        std::fs::write(self.state.join("cni-applied"), "applied\n").expect("cni");
        std::fs::write(self.state.join("joined"), format!("{name}\n")).expect("joined");
    }

    /// Makes `kubeadm join` on this host take `seconds` (0: as fast as it can).
    pub fn slow_join(&self, seconds: u32) {
        let marker = self.state.join("slow-join");
        if seconds > 0 {
            std::fs::write(&marker, seconds.to_string()).expect("slow");
        } else {
            let _ = std::fs::remove_file(marker);
        }
    }

    /// The node name `kubeadm init` or `join` registered, if the host is in a cluster.
    pub fn joined(&self) -> Option<String> {
        std::fs::read_to_string(self.state.join("joined"))
            .ok()
            .map(|s| s.trim().to_owned())
    }
}

/// Hosts for one cluster and the test API server their control plane "is".
pub struct KubeFleet {
    pub hosts: Vec<KubeHost>,
    pub server: Arc<TestApiServer>,
    stop: Arc<AtomicBool>,
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for KubeFleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeFleet")
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

fn write(path: &Path, text: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

impl KubeFleet {
    /// `count` hosts whose tools report `version`; `None` (after `skip`) where
    /// sshd or network namespaces are missing.
    pub async fn start(count: usize, version: &str) -> Option<Self> {
        let server = Arc::new(TestApiServer::start("kube-fleet-token").await);
        let dir = tempfile::Builder::new().prefix("taichu-kube-").tempdir().expect("dir");
        write_mode_dir(dir.path());
        let cluster = dir.path().join("cluster");
        std::fs::create_dir_all(&cluster).expect("cluster dir");
        // The control planes' stand-ins record there that certificates were uploaded.
        let owned = Command::new("chown")
            .args([&format!("{TEST_USER}:")])
            .arg(&cluster)
            .status()
            .is_ok_and(|s| s.success());
        assert!(owned, "chown the cluster's directory");
        let endpoint = server.url.trim_start_matches("https://").to_owned();
        for (name, text) in [
            ("admin.conf", server.kubeconfig("kube-fleet-token")),
            ("ca.crt", "test CA\n".to_owned()),
            ("endpoint", format!("{endpoint}\n")),
            ("token", format!("{TOKEN}\n")),
            ("ca-hash", format!("{CA_HASH}\n")),
            ("certificate-key", format!("{CERTIFICATE_KEY}\n")),
        ] {
            write(&cluster.join(name), &text, 0o644);
        }
        let mut hosts = Vec::new();
        for i in 1..=count {
            let home = dir.path().join(format!("host{i}"));
            let (bin, state) = (home.join("bin"), home.join("state"));
            let (etc, kubelet) = (home.join("etc-kubernetes"), home.join("var-lib-kubelet"));
            let cni = home.join("etc-cni-net.d");
            let (sources, keyrings) = (home.join("etc-apt-sources"), home.join("etc-apt-keyrings"));
            let runtime_dir = home.join("run-containerd");
            for d in [&bin, &state, &etc, &kubelet, &cni, &sources, &keyrings, &runtime_dir] {
                std::fs::create_dir_all(d).expect("dir");
            }
            let lib = home.join("lib.sh");
            let fill = |text: &str| {
                text.replace("@CLUSTER@", &cluster.display().to_string())
                    .replace("@STATE@", &state.display().to_string())
                    .replace("@LIB@", &lib.display().to_string())
                    .replace("@VERSION@", version)
            };
            write(&lib, &fill(LIB), 0o644);
            for (name, text) in [
                ("kubeadm", KUBEADM),
                ("kubectl", KUBECTL),
                ("kubelet", KUBELET),
                ("systemctl", SYSTEMCTL),
                ("apt-get", RECORDED),
                ("apt-mark", RECORDED),
                ("curl", CURL),
                ("gpg", GPG),
                ("modprobe", MODPROBE),
                ("sysctl", RECORDED),
                ("sudo", SUDO),
            ] {
                write(&bin.join(name), &fill(text), 0o755);
            }
            let owned = Command::new("chown")
                .args(["-R", &format!("{TEST_USER}:")])
                .arg(&home)
                .status()
                .is_ok_and(|s| s.success());
            assert!(owned, "chown the host's files");
            // A live socket where containerd's would be.
            let runtime = UnixListener::bind(runtime_dir.join("containerd.sock")).expect("runtime socket");
            let mounts = [
                (etc.display().to_string(), "/etc/kubernetes".to_owned()),
                (kubelet.display().to_string(), "/var/lib/kubelet".to_owned()),
                (cni.display().to_string(), "/etc/cni/net.d".to_owned()),
                (sources.display().to_string(), "/etc/apt/sources.list.d".to_owned()),
                (keyrings.display().to_string(), "/etc/apt/keyrings".to_owned()),
                (runtime_dir.display().to_string(), "/run/containerd".to_owned()),
            ];
            let ssh = SshHost::start_in_netns_with_mounts(&bin.display().to_string(), &mounts)?;
            hosts.push(KubeHost {
                ssh,
                state,
                home,
                _runtime: runtime,
            });
        }
        let stop = Arc::new(AtomicBool::new(false));
        register_nodes(
            hosts.iter().map(|h| (h.state.clone(), h.ssh.ip.clone())).collect(),
            server.clone(),
            stop.clone(),
        );
        Some(Self {
            hosts,
            server,
            stop,
            _dir: dir,
        })
    }
}

impl Drop for KubeFleet {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn write_mode_dir(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// What a kubelet and the control plane would do: every host that joined
/// becomes a Node, Ready once a network manifest was applied.
fn register_nodes(states: Vec<(PathBuf, String)>, server: Arc<TestApiServer>, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let mut seen: Vec<(String, bool)> = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let networked = states.iter().any(|(s, _)| s.join("cni-applied").exists());
            for (state, ip) in &states {
                let Ok(name) = std::fs::read_to_string(state.join("joined")) else {
                    continue;
                };
                let name = name.trim().to_owned();
                if !seen.contains(&(name.clone(), networked)) {
                    let mut labels = json!({"kubernetes.io/hostname": name});
                    if state.join("role").exists() {
                        labels["node-role.kubernetes.io/control-plane"] = json!("");
                    }
                    server.put(
                        "v1",
                        "nodes",
                        json!({"apiVersion": "v1", "kind": "Node",
                               "metadata": {"name": name, "labels": labels},
                               "status": {"addresses": [{"type": "InternalIP", "address": ip}],
                                          "conditions": [{"type": "Ready", "status": if networked { "True" } else { "False" }}]}}),
                    );
                    seen.retain(|(n, _)| *n != name);
                    seen.push((name, networked));
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
}
