//! A real etcd cluster for tests: etcd 3.5 members, each on its own sshd
//! host in a network namespace, serving clients over TLS with client
//! certificates required, run as the test account by the host's own
//! `systemctl` (a shell script first in the PATH of its SSH sessions) or, on
//! kubeadm-style hosts, by a kubelet stand-in that runs etcd while its static
//! pod manifest exists.
//!
//! etcd's binaries come from `ensure_test_tools` (scripts/lib/services.sh)
//! under `$TAICHU_TEST_TOOLS` (default `/opt/taichu-test-tools`).
//!
//! Each member's `bin_dir` holds: `systemctl` and `units.sh` (the unit logic),
//! `kubelet` (kubeadm mode), links to `etcd`, `etcdctl` and `etcdutl`,
//! `etcd.flags` (one flag a line: the unit's settings), `etcd.pid`,
//! `etcd.log` (etcd's output), `systemctl.log` (every `systemctl` argv).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, SanType,
};
use taichu_workflows::ssh::{SshAuth, SshTarget};

use crate::sshd::{SshHost, TEST_PASSWORD, TEST_USER};

/// How the members are run, as on the two kinds of hosts Taichu manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deployment {
    /// etcd as a systemd unit: `systemctl start|stop|restart etcd`.
    Systemd,
    /// etcd as a kubeadm static pod: running while `manifests_dir/etcd.yaml` exists.
    Kubeadm,
}

/// One member and the host it runs on.
#[derive(Debug)]
pub struct EtcdMember {
    /// "m1", "m2", …
    pub name: String,
    /// Its own sshd host, in its own network namespace.
    pub host: SshHost,
    /// `https://<ip>:2379` (client certificates required).
    pub client_url: String,
    /// `http://<ip>:2380`.
    pub peer_url: String,
    /// Absolute; made by etcd itself, as the test account.
    pub data_dir: String,
    /// First in the PATH of the host's SSH sessions; holds `systemctl`.
    pub bin_dir: String,
    /// Kubeadm mode: the static pod manifest dir (`etcd.yaml`, `kube-apiserver.yaml`).
    pub manifests_dir: Option<String>,
}

impl EtcdMember {
    /// Where to log in to the member's host: the test account, by password.
    pub fn ssh_target(&self) -> SshTarget {
        SshTarget {
            host: self.host.ip.clone(),
            port: self.host.port,
            username: TEST_USER.into(),
            auth: SshAuth::Password(TEST_PASSWORD.into()),
            host_key: None,
            connect_timeout: Duration::from_secs(10),
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        Path::new(&self.bin_dir).join(name)
    }
}

/// A running cluster; its processes, hosts and files go on drop.
#[derive(Debug)]
pub struct EtcdCluster {
    members: Vec<EtcdMember>,
    deployment: Deployment,
    etcd_bin: String,
    ca_cert: String,
    client_cert: String,
    client_key: String,
    token: String,
    // Last, so that it is removed after the hosts are gone.
    dir: tempfile::TempDir,
}

/// Where `ensure_test_tools` installed etcd and SeaweedFS.
pub(crate) fn tools_dir() -> PathBuf {
    std::env::var_os("TAICHU_TEST_TOOLS").map_or_else(|| PathBuf::from("/opt/taichu-test-tools"), PathBuf::from)
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run command");
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn write(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).expect("write file");
    write_mode(path, mode);
}

fn chown_to_test_user(path: &Path) {
    run(Command::new("chown").args(["-R", &format!("{TEST_USER}:")]).arg(path));
}

impl EtcdCluster {
    /// Starts `members` members (named m1…mN) and waits until all are healthy.
    /// `None` (after `skip`) when etcd, sshd or network namespaces are missing.
    pub fn start(members: usize, deployment: Deployment) -> Option<Self> {
        assert!(members >= 1, "a cluster has members");
        let etcd_bin = tools_dir().join("etcd/bin");
        if !["etcd", "etcdctl", "etcdutl"].iter().all(|t| etcd_bin.join(t).exists()) {
            crate::skip("etcd 3.5 (ensure_test_tools in scripts/lib/services.sh)");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("taichu-etcd-")
            .tempdir()
            .expect("temp dir");
        // The test account must reach its files below this root-owned dir.
        write_mode(dir.path(), 0o755);
        let root = dir.path().to_path_buf();
        let mut hosts = Vec::new();
        for i in 1..=members {
            let bin = root.join(format!("m{i}/bin"));
            std::fs::create_dir_all(&bin).expect("bin dir");
            hosts.push(SshHost::start_in_netns_with_path(&bin.display().to_string())?);
        }
        link_hosts(&hosts);
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let pki = root.join("pki");
        std::fs::create_dir_all(&pki).expect("pki dir");
        write_pki(&pki, &hosts);
        let members: Vec<EtcdMember> = hosts
            .into_iter()
            .enumerate()
            .map(|(i, host)| {
                let name = format!("m{}", i + 1);
                let home = root.join(&name);
                EtcdMember {
                    client_url: format!("https://{}:2379", host.ip),
                    peer_url: format!("http://{}:2380", host.ip),
                    data_dir: home.join("data").display().to_string(),
                    bin_dir: home.join("bin").display().to_string(),
                    manifests_dir: (deployment == Deployment::Kubeadm)
                        .then(|| home.join("manifests").display().to_string()),
                    name,
                    host,
                }
            })
            .collect();
        let cluster = Self {
            deployment,
            etcd_bin: etcd_bin.display().to_string(),
            ca_cert: pki.join("ca.crt").display().to_string(),
            client_cert: pki.join("client.crt").display().to_string(),
            client_key: pki.join("client.key").display().to_string(),
            token: format!("taichu-{}", &tag[..12]),
            members,
            dir,
        };
        for member in &cluster.members {
            cluster.lay_out(member);
        }
        chown_to_test_user(&root);
        for member in &cluster.members {
            // The harness starts what the host's init would, without a line in systemctl.log.
            let unit = match deployment {
                Deployment::Systemd => "etcd",
                Deployment::Kubeadm => "kubelet",
            };
            cluster.as_host_user(member, &format!("locked {unit} {unit}_start"));
        }
        if !cluster.wait_healthy(Duration::from_secs(60)) {
            panic!("etcd cluster did not become healthy:\n{}", cluster.logs());
        }
        Some(cluster)
    }

    pub fn members(&self) -> &[EtcdMember] {
        &self.members
    }

    pub fn deployment(&self) -> Deployment {
        self.deployment
    }

    /// The directory holding `etcd`, `etcdctl` and `etcdutl` (also linked into each `bin_dir`).
    pub fn etcd_bin(&self) -> &str {
        &self.etcd_bin
    }

    pub fn ca_cert(&self) -> &str {
        &self.ca_cert
    }

    /// A client certificate every member accepts (readable by the test account).
    pub fn client_cert(&self) -> &str {
        &self.client_cert
    }

    pub fn client_key(&self) -> &str {
        &self.client_key
    }

    /// `--initial-cluster-token` the cluster was made with.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// `--initial-cluster`: `m1=http://…:2380,m2=…`.
    pub fn initial_cluster(&self) -> String {
        self.members
            .iter()
            .map(|m| format!("{}={}", m.name, m.peer_url))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Every member's client URL.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(|m| m.client_url.clone()).collect()
    }

    /// Runs `etcdctl` from the test process against `endpoints`, with the client certificate.
    pub fn etcdctl(&self, endpoints: &[String], args: &[&str]) -> Output {
        Command::new(Path::new(&self.etcd_bin).join("etcdctl"))
            .arg(format!("--endpoints={}", endpoints.join(",")))
            .arg(format!("--cacert={}", self.ca_cert))
            .arg(format!("--cert={}", self.client_cert))
            .arg(format!("--key={}", self.client_key))
            .args(["--dial-timeout=2s", "--command-timeout=5s"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run etcdctl")
    }

    fn etcdctl_ok(&self, endpoints: &[String], args: &[&str]) -> Vec<u8> {
        let out = self.etcdctl(endpoints, args);
        assert!(
            out.status.success(),
            "etcdctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    pub fn put(&self, key: &str, value: &str) {
        self.etcdctl_ok(&self.endpoints(), &["put", "--", key, value]);
    }

    /// Keys and values under `prefix`, read with quorum.
    pub fn get_prefix(&self, prefix: &str) -> Vec<(String, String)> {
        kvs(&self.etcdctl_ok(&self.endpoints(), &["get", "--prefix", "-w", "json", "--", prefix]))
    }

    /// Keys and values under `prefix` as `member` alone holds them (a serializable read).
    pub fn get_prefix_at(&self, member: usize, prefix: &str) -> Vec<(String, String)> {
        let endpoint = [self.members[member].client_url.clone()];
        let args = ["get", "--prefix", "--consistency=s", "-w", "json", "--", prefix];
        kvs(&self.etcdctl_ok(&endpoint, &args))
    }

    /// The revision in `member`'s own `endpoint status` header.
    pub fn revision(&self, member: usize) -> i64 {
        let endpoint = [self.members[member].client_url.clone()];
        let out = self.etcdctl_ok(&endpoint, &["endpoint", "status", "-w", "json"]);
        let status: serde_json::Value = serde_json::from_slice(&out).expect("endpoint status json");
        status[0]["Status"]["header"]["revision"]
            .as_i64()
            .expect("revision in endpoint status")
    }

    /// `etcdctl endpoint health` against that member only.
    pub fn healthy(&self, member: usize) -> bool {
        let endpoint = [self.members[member].client_url.clone()];
        self.etcdctl(&endpoint, &["endpoint", "health"]).status.success()
    }

    /// Whether the member's etcd process is alive.
    pub fn running(&self, member: usize) -> bool {
        self.pid(member).is_some()
    }

    /// The member's etcd process, while it is alive.
    pub fn pid(&self, member: usize) -> Option<u32> {
        pid_alive(&self.members[member].file("etcd.pid"), "etcd")
    }

    /// Waits until every member is healthy.
    pub fn wait_healthy(&self, within: Duration) -> bool {
        wait(within, || (0..self.members.len()).all(|i| self.healthy(i)))
    }

    /// Waits until `member` is healthy.
    pub fn wait_member_healthy(&self, member: usize, within: Duration) -> bool {
        wait(within, || self.healthy(member))
    }

    /// Waits until `member`'s etcd process is gone.
    pub fn wait_stopped(&self, member: usize, within: Duration) -> bool {
        wait(within, || !self.running(member))
    }

    /// The next start of etcd on that host (by `systemctl` or the kubelet)
    /// first zeroes both bbolt meta pages of `member/snap/db` in its data
    /// dir, so that start fails, and so does every later one until the data
    /// dir is replaced (a restore). One-shot: only that start damages.
    pub fn corrupt_next_start(&self, member: usize) {
        let marker = self.members[member].file("corrupt-next-start");
        write(&marker, "", 0o644);
        chown_to_test_user(&marker);
    }

    /// What `member`'s etcd printed (and what the harness did to it).
    pub fn log(&self, member: usize) -> String {
        std::fs::read_to_string(self.members[member].file("etcd.log")).unwrap_or_default()
    }

    /// Every `systemctl` command line run on `member`'s host, one a line.
    pub fn systemctl_log(&self, member: usize) -> String {
        std::fs::read_to_string(self.members[member].file("systemctl.log")).unwrap_or_default()
    }

    fn logs(&self) -> String {
        (0..self.members.len())
            .map(|i| format!("== {} ==\n{}", self.members[i].name, self.log(i)))
            .collect()
    }

    /// Runs `script` after sourcing the host's `units.sh`, in the member's
    /// namespace as the test account.
    fn as_host_user(&self, member: &EtcdMember, script: &str) {
        let ns = member.host.netns().expect("member hosts have namespaces");
        let line = format!(". {}/units.sh && {script}", member.bin_dir);
        run(Command::new("ip")
            .args(["netns", "exec", ns, "runuser", "-u", TEST_USER, "--", "sh", "-c", &line])
            .stdin(Stdio::null()));
    }

    /// Writes the member's unit settings, scripts, tool links and manifests.
    fn lay_out(&self, member: &EtcdMember) {
        let bin = Path::new(&member.bin_dir);
        let pki = self.dir.path().join("pki");
        let flags = [
            format!("--name={}", member.name),
            format!("--data-dir={}", member.data_dir),
            format!("--listen-client-urls={},https://127.0.0.1:2379", member.client_url),
            format!("--advertise-client-urls={}", member.client_url),
            format!("--cert-file={}", pki.join(format!("{}.crt", member.name)).display()),
            format!("--key-file={}", pki.join(format!("{}.key", member.name)).display()),
            format!("--trusted-ca-file={}", self.ca_cert),
            "--client-cert-auth=true".into(),
            format!("--listen-peer-urls={}", member.peer_url),
            format!("--initial-advertise-peer-urls={}", member.peer_url),
            format!("--initial-cluster={}", self.initial_cluster()),
            format!("--initial-cluster-token={}", self.token),
            "--initial-cluster-state=new".into(),
        ];
        write(&bin.join("etcd.flags"), &(flags.join("\n") + "\n"), 0o644);
        let manifest = member
            .manifests_dir
            .as_ref()
            .map(|d| format!("{d}/etcd.yaml"))
            .unwrap_or_default();
        let units = UNITS.replace("@BIN@", &member.bin_dir).replace("@MANIFEST@", &manifest);
        write(&bin.join("units.sh"), &units, 0o644);
        write(
            &bin.join("systemctl"),
            &SYSTEMCTL.replace("@BIN@", &member.bin_dir),
            0o755,
        );
        for tool in ["etcd", "etcdctl", "etcdutl"] {
            std::os::unix::fs::symlink(Path::new(&self.etcd_bin).join(tool), bin.join(tool)).expect("link tool");
        }
        if let Some(dir) = &member.manifests_dir {
            write(&bin.join("kubelet"), &KUBELET.replace("@BIN@", &member.bin_dir), 0o755);
            std::fs::create_dir_all(dir).expect("manifests dir");
            let command: String = flags.iter().map(|f| format!("    - {f}\n")).collect();
            let etcd_yaml = ETCD_YAML
                .replace("@COMMAND@", &command)
                .replace("@CLIENT_URL@", &member.client_url)
                .replace("@DATA@", &member.data_dir)
                .replace("@PKI@", &pki.display().to_string());
            write(&Path::new(dir).join("etcd.yaml"), &etcd_yaml, 0o644);
            let apiserver = APISERVER_YAML.replace("@IP@", &member.host.ip);
            write(&Path::new(dir).join("kube-apiserver.yaml"), &apiserver, 0o644);
        }
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for member in &self.members {
            // The kubelet first, or it would start etcd again.
            for (pidfile, comm) in [("kubelet.pid", "sh"), ("etcd.pid", "etcd")] {
                if let Some(pid) = pid_alive(&member.file(pidfile), comm) {
                    let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
                }
            }
        }
    }
}

fn write_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Joins every pair of hosts with a veth pair of their own and a host route
/// each way, so members reach each other's address without the test
/// machine forwarding packets between namespaces.
fn link_hosts(hosts: &[SshHost]) {
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    for (i, a) in hosts.iter().enumerate() {
        for (j, b) in hosts.iter().enumerate().skip(i + 1) {
            let (ns_a, ns_b) = (a.netns().expect("netns"), b.netns().expect("netns"));
            let (if_a, if_b) = (format!("tm{tag}{i}{j}a"), format!("tm{tag}{i}{j}b"));
            run(Command::new("ip").args([
                "link", "add", &if_a, "netns", ns_a, "type", "veth", "peer", "name", &if_b, "netns", ns_b,
            ]));
            for (ns, dev, to, from) in [(ns_a, &if_a, &b.ip, &a.ip), (ns_b, &if_b, &a.ip, &b.ip)] {
                run(Command::new("ip").args(["-n", ns, "link", "set", dev, "up"]));
                let dest = format!("{to}/32");
                run(Command::new("ip").args(["-n", ns, "route", "add", &dest, "dev", dev, "src", from]));
            }
        }
    }
}

/// A throwaway CA (`ca.crt`), a server certificate per host (`m<i>.crt`,
/// for its address and 127.0.0.1) and a client certificate (`client.crt`).
fn write_pki(pki: &Path, hosts: &[SshHost]) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "taichu-test-etcd-ca");
    let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("ca key")).expect("ca cert");
    write(&pki.join("ca.crt"), &issuer.pem(), 0o644);
    let issue = |file: &str, cn: &str, ips: &[&str], server: bool| {
        let mut params =
            CertificateParams::new(if server { vec!["localhost".to_owned()] } else { vec![] }).expect("params");
        for ip in ips {
            params
                .subject_alt_names
                .push(SanType::IpAddress(ip.parse().expect("ip")));
        }
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        if server {
            params.extended_key_usages.push(ExtendedKeyUsagePurpose::ServerAuth);
        }
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &issuer).expect("cert");
        write(&pki.join(format!("{file}.crt")), &cert.pem(), 0o644);
        write(&pki.join(format!("{file}.key")), &key.serialize_pem(), 0o600);
    };
    for (i, host) in hosts.iter().enumerate() {
        let name = format!("m{}", i + 1);
        issue(&name, &name, &[&host.ip, "127.0.0.1"], true);
    }
    issue("client", "taichu", &[], false);
}

/// `etcdctl get -w json` → keys and values.
fn kvs(json: &[u8]) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(json).expect("etcdctl json");
    let text = |field: &serde_json::Value| {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(field.as_str().unwrap_or_default())
            .expect("base64");
        String::from_utf8(bytes).expect("utf-8")
    };
    v["kvs"]
        .as_array()
        .map(|kvs| kvs.iter().map(|kv| (text(&kv["key"]), text(&kv["value"]))).collect())
        .unwrap_or_default()
}

/// The pid in `pidfile`, if that process is alive (not a zombie) and named `comm`.
fn pid_alive(pidfile: &Path, comm: &str) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(pidfile).ok()?.trim().parse().ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (name, rest) = stat.split_once(" (")?.1.rsplit_once(") ")?;
    (name == comm && !rest.starts_with('Z')).then_some(pid)
}

fn wait(within: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if ok() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The unit logic of a host, sourced by its `systemctl` and its kubelet.
/// Daemons get a pidfile; a pid counts only while that process lives (not a
/// zombie: nothing may reap it here) under the expected name.
const UNITS: &str = r#"# Units of a test host (written by the test harness).
HERE='@BIN@'
MANIFEST='@MANIFEST@'
ETCD_PID="$HERE/etcd.pid"
KUBELET_PID="$HERE/kubelet.pid"

# alive PIDFILE NAME: true while that pid is a live process called NAME; sets $pid.
alive() {
  [ -s "$1" ] || return 1
  read -r pid <"$1"
  { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
  name=${stat#* (}; name=${name%%) *}
  state=${stat##*) }; state=${state%% *}
  [ "$name" = "$2" ] && [ "$state" != Z ]
}

# locked UNIT COMMAND...: one start or stop of a unit at a time.
locked() {
  unit=$1; shift
  ( flock 9; "$@" ) 9>"$HERE/$unit.lock"
}

# daemon PIDFILE LOG COMMAND...: runs COMMAND in a session of its own.
daemon() {
  pidfile=$1 log=$2; shift 2
  rm -f "$pidfile"
  setsid sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$log" 2>&1 9>&- &
  i=0
  while [ ! -s "$pidfile" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}

# halt PIDFILE NAME: SIGTERM, then SIGKILL after 15 s; returns once it is gone.
halt() {
  if alive "$1" "$2"; then
    kill -TERM "$pid" 2>/dev/null
    i=0
    while alive "$1" "$2"; do
      i=$((i + 1))
      [ $i -eq 150 ] && kill -KILL "$pid" 2>/dev/null
      [ $i -gt 300 ] && break
      sleep 0.1
    done
  fi
  rm -f "$1"
}

# etcd's flags: the static pod manifest's, as the kubelet would run them, else the unit's.
etcd_flags() {
  if [ -n "$MANIFEST" ] && [ -f "$MANIFEST" ] && grep -q '^ *- --' "$MANIFEST"; then
    sed -n 's/^ *- \(--[^ ]*\) *$/\1/p' "$MANIFEST"
  else
    cat "$HERE/etcd.flags"
  fi
}

etcd_start() {
  alive "$ETCD_PID" etcd && return 0
  etcd_flags >"$HERE/etcd.flags.effective"
  if [ -f "$HERE/corrupt-next-start" ]; then
    rm -f "$HERE/corrupt-next-start"
    data=$(sed -n 's/^--data-dir=//p' "$HERE/etcd.flags.effective")
    # Both bbolt meta pages zeroed: etcd cannot open its backend, now or later.
    dd if=/dev/zero of="$data/member/snap/db" bs=4096 count=2 conv=notrunc 2>/dev/null
    echo "harness: zeroed the bbolt meta pages of $data/member/snap/db" >>"$HERE/etcd.log"
  fi
  if [ -n "$MANIFEST" ] && [ -f "$MANIFEST" ]; then cksum <"$MANIFEST" >"$HERE/etcd.manifest-sum"; fi
  set --
  while IFS= read -r flag; do [ -n "$flag" ] && set -- "$@" "$flag"; done <"$HERE/etcd.flags.effective"
  daemon "$ETCD_PID" "$HERE/etcd.log" "$HERE/etcd" "$@"
}

etcd_stop() { halt "$ETCD_PID" etcd; }

kubelet_start() {
  alive "$KUBELET_PID" sh && return 0
  daemon "$KUBELET_PID" "$HERE/kubelet.log" sh "$HERE/kubelet"
}

kubelet_stop() { halt "$KUBELET_PID" sh; }
"#;

/// `systemctl` on a test host: etcd (and, on kubeadm hosts, the kubelet)
/// are real daemons; any other unit is accepted and left alone.
const SYSTEMCTL: &str = r#"#!/bin/sh
# systemctl of a test host (written by the test harness).
. '@BIN@/units.sh'
echo "$*" >>"$HERE/systemctl.log"
verb= units=
for arg in "$@"; do
  case $arg in
    -*) ;;
    *) if [ -z "$verb" ]; then verb=$arg; else units="$units ${arg%.service}"; fi ;;
  esac
done
rc=0
for unit in $units; do
  case $unit in
    etcd) pidfile=$ETCD_PID name=etcd ;;
    kubelet) if [ -n "$MANIFEST" ]; then pidfile=$KUBELET_PID name=sh; else pidfile=; fi ;;
    *) pidfile= ;;
  esac
  if [ -z "$pidfile" ]; then
    case $verb in is-active) echo active ;; esac
    continue
  fi
  case $verb in
    start) locked "$unit" "${unit}_start" ;;
    stop) locked "$unit" "${unit}_stop" ;;
    restart) locked "$unit" "${unit}_stop" && locked "$unit" "${unit}_start" ;;
    is-active)
      if alive "$pidfile" "$name"; then echo active; else echo inactive; rc=3; fi ;;
    status)
      echo "* $unit.service - $unit (test host)"
      if alive "$pidfile" "$name"; then
        echo "     Active: active (running)"; echo "   Main PID: $pid"
      else
        echo "     Active: inactive (dead)"; rc=3
      fi ;;
  esac
done
exit $rc
"#;

/// The kubelet stand-in: runs etcd while its static pod manifest exists
/// (again when it dies, at most once a second; anew when the manifest
/// changes) and stops it once the manifest is gone.
const KUBELET: &str = r#"#!/bin/sh
# kubelet of a test host (written by the test harness).
. '@BIN@/units.sh'
last=0
while :; do
  if [ -f "$MANIFEST" ]; then
    if alive "$ETCD_PID" etcd; then
      if [ "$(cksum <"$MANIFEST")" != "$(cat "$HERE/etcd.manifest-sum" 2>/dev/null)" ]; then
        locked etcd etcd_stop
        locked etcd etcd_start
        last=$(date +%s)
      fi
    elif [ "$(date +%s)" -gt "$last" ]; then
      locked etcd etcd_start
      last=$(date +%s)
    fi
  elif alive "$ETCD_PID" etcd; then
    locked etcd etcd_stop
  fi
  sleep 0.2
done
"#;

/// A kubeadm-style static pod manifest; its `- --flag` lines are etcd's flags.
const ETCD_YAML: &str = "apiVersion: v1
kind: Pod
metadata:
  annotations:
    kubeadm.kubernetes.io/etcd.advertise-client-urls: @CLIENT_URL@
  labels:
    component: etcd
    tier: control-plane
  name: etcd
  namespace: kube-system
spec:
  containers:
  - command:
    - etcd
@COMMAND@    image: registry.k8s.io/etcd:3.5.1-0
    name: etcd
    volumeMounts:
    - mountPath: @DATA@
      name: etcd-data
    - mountPath: @PKI@
      name: etcd-certs
  hostNetwork: true
  priorityClassName: system-node-critical
  volumes:
  - hostPath:
      path: @PKI@
      type: DirectoryOrCreate
    name: etcd-certs
  - hostPath:
      path: @DATA@
      type: DirectoryOrCreate
    name: etcd-data
";

const APISERVER_YAML: &str = "apiVersion: v1
kind: Pod
metadata:
  labels:
    component: kube-apiserver
    tier: control-plane
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-apiserver
    - --advertise-address=@IP@
    - --etcd-servers=https://127.0.0.1:2379
    image: registry.k8s.io/kube-apiserver:v1.33.0
    name: kube-apiserver
  hostNetwork: true
";
