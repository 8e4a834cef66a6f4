//! Real OpenSSH servers for tests: `sshd -D` on a free loopback port with a
//! throwaway host key, for the local test account (password and key login).
//!
//! The account (`taichutest`, password `TEST_PASSWORD`) is created by
//! `scripts/test.sh`; sshd must run as root to log other users in.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The local account tests log in as.
pub const TEST_USER: &str = "taichutest";
/// Its password (a throwaway account on test machines only).
pub const TEST_PASSWORD: &str = "taichu-ssh-test-pw";
const SSHD: &str = "/usr/sbin/sshd";

/// A running sshd; stopped on drop.
#[derive(Debug)]
pub struct SshHost {
    child: Option<Child>,
    dir: tempfile::TempDir,
    /// Address to connect to: 127.0.0.1, or the host's own address in its namespace.
    pub ip: String,
    pub port: u16,
    netns: Option<String>,
    /// A directory put first in every SSH session's PATH (sshd's `SetEnv`).
    path_first: Option<String>,
    /// Directories bound over system paths in sshd's own mount namespace
    /// (`source`, `target`): what sessions see at `target` is this host's own.
    mounts: Vec<(String, String)>,
    /// OpenSSH-format private key authorised for [`TEST_USER`].
    pub client_key: String,
    /// The claim on this host's /30 (see [`claim_block`]), released on drop.
    claim: Option<PathBuf>,
}

/// /30 blocks of 10.77.0.0/16.
const BLOCKS: u32 = 256 * 64;

/// Claims a /30 block no other test process holds: a file created with
/// `create_new` is atomic across processes (tests run as separate processes,
/// and two hosts with one address would answer for each other). Claims of a
/// killed run are cleared by scripts/test.sh (`cleanup_test_netns`).
fn claim_block() -> (u32, PathBuf) {
    let dir = std::env::temp_dir().join("taichu-netns-claims");
    std::fs::create_dir_all(&dir).expect("claims dir");
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let start = std::process::id().wrapping_mul(97) + NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    for n in 0..BLOCKS {
        let block = start.wrapping_add(n) % BLOCKS;
        let path = dir.join(block.to_string());
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(_) => return (block, path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("claiming {}: {e}", path.display()),
        }
    }
    panic!("every /30 of 10.77.0.0/16 is claimed; clear {}", dir.display());
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run command");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn keygen(path: &Path, comment: &str) {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(path.with_extension("pub"));
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path));
}

impl SshHost {
    /// Starts one, or `None` (after `skip`) when sshd or the test account is missing.
    pub fn start() -> Option<Self> {
        if !Path::new(SSHD).exists() {
            crate::skip("openssh-server (sshd)");
            return None;
        }
        if !Command::new("id")
            .arg(TEST_USER)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            crate::skip("the taichutest account (created by scripts/test.sh)");
            return None;
        }
        let _ = std::fs::create_dir_all("/run/sshd");
        let dir = tempfile::tempdir().expect("temp dir");
        keygen(&dir.path().join("host_key"), "host");
        keygen(&dir.path().join("client_key"), "client");
        std::fs::copy(dir.path().join("client_key.pub"), dir.path().join("authorized_keys")).expect("authorized_keys");
        let client_key = std::fs::read_to_string(dir.path().join("client_key")).expect("client key");
        let mut host = Self {
            child: None,
            dir,
            ip: "127.0.0.1".into(),
            port: 0,
            netns: None,
            path_first: None,
            mounts: Vec::new(),
            client_key,
            claim: None,
        };
        host.launch();
        Some(host)
    }

    /// Starts one in a network namespace of its own, joined to this one by a
    /// veth pair, at its own address 10.77.x.y port 22: a distinct host on a
    /// network the test owns. `None` (after `skip`) where namespaces are not permitted.
    pub fn start_in_netns() -> Option<Self> {
        Self::netns_host(None)
    }

    /// As [`SshHost::start_in_netns`], with `dir` first in the PATH of every
    /// SSH session (so a host can have its own `systemctl`, say).
    pub fn start_in_netns_with_path(dir: &str) -> Option<Self> {
        Self::netns_host(Some(dir.to_owned()))
    }

    /// As [`SshHost::start_in_netns_with_path`], and with each `(source,
    /// target)` directory bound over `target` for this host's sessions only
    /// (a mount namespace of its own), so hosts sharing one file system
    /// each have their own `/etc/kubernetes`, say.
    pub fn start_in_netns_with_mounts(dir: &str, mounts: &[(String, String)]) -> Option<Self> {
        Self::netns_host_with(Some(dir.to_owned()), mounts.to_vec())
    }

    /// The host's network namespace, if it has one of its own.
    pub fn netns(&self) -> Option<&str> {
        self.netns.as_deref()
    }

    fn netns_host(path_first: Option<String>) -> Option<Self> {
        Self::netns_host_with(path_first, Vec::new())
    }

    fn netns_host_with(path_first: Option<String>, mounts: Vec<(String, String)>) -> Option<Self> {
        let probe = format!("taichu-probe-{}", std::process::id());
        let permitted = Command::new("ip")
            .args(["netns", "add", &probe])
            .status()
            .is_ok_and(|s| s.success());
        if !permitted {
            crate::skip("network namespaces (ip netns)");
            return None;
        }
        let _ = Command::new("ip").args(["netns", "del", &probe]).status();
        let mut host = Self::start()?;
        host.stop();
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let ns = format!("taichu-{}", &tag[..10]);
        let (outer, inner) = (format!("tv{}a", &tag[..8]), format!("tv{}b", &tag[..8]));
        // One /30 per host, claimed across every test process on the machine.
        let (block, claim) = claim_block();
        host.claim = Some(claim);
        let (third, fourth) = (block / 64, (block % 64) * 4);
        let (outer_ip, inner_ip) = (
            format!("10.77.{third}.{}", fourth + 1),
            format!("10.77.{third}.{}", fourth + 2),
        );
        run(Command::new("ip").args(["netns", "add", &ns]));
        host.netns = Some(ns.clone());
        run(Command::new("ip").args(["link", "add", &outer, "type", "veth", "peer", "name", &inner]));
        run(Command::new("ip").args(["link", "set", &inner, "netns", &ns]));
        run(Command::new("ip").args(["addr", "add", &format!("{outer_ip}/30"), "dev", &outer]));
        run(Command::new("ip").args(["link", "set", &outer, "up"]));
        let inner_cidr = format!("{inner_ip}/30");
        for args in [
            vec!["link", "set", "lo", "up"],
            vec!["addr", "add", inner_cidr.as_str(), "dev", inner.as_str()],
            vec!["link", "set", inner.as_str(), "up"],
        ] {
            run(Command::new("ip").args(["netns", "exec", &ns, "ip"]).args(args));
        }
        host.ip = inner_ip;
        host.port = 22;
        host.path_first = path_first;
        host.mounts = mounts;
        host.spawn_sshd();
        Some(host)
    }

    /// Runs sshd (inside the namespace, if any) and waits until it accepts.
    fn spawn_sshd(&mut self) {
        let config = self.config();
        let mut cmd = match &self.netns {
            Some(ns) if !self.mounts.is_empty() => {
                // Paths are the harness's own (temp dirs, fixed targets): no quoting needed beyond this.
                let mut script = String::new();
                for (source, target) in &self.mounts {
                    script.push_str(&format!(
                        "mkdir -p '{target}' && mount --bind '{source}' '{target}' && "
                    ));
                }
                script.push_str("exec \"$0\" \"$@\"");
                let mut c = Command::new("ip");
                c.args([
                    "netns",
                    "exec",
                    ns,
                    "unshare",
                    "--mount",
                    "--propagation",
                    "private",
                    "sh",
                    "-c",
                ])
                .arg(script)
                .arg(SSHD);
                c
            }
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, SSHD]);
                c
            }
            None => Command::new(SSHD),
        };
        let child = cmd
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.path().join("sshd.log")).expect("log"))
            .spawn()
            .expect("start sshd");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((self.ip.as_str(), self.port)).is_err() {
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default();
                panic!("sshd at {}:{} did not start: {log}", self.ip, self.port);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn config(&self) -> PathBuf {
        let d = self.dir.path().display();
        let mut text = format!(
            "Port {port}\nListenAddress {ip}\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n\
             AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nPasswordAuthentication yes\n\
             KbdInteractiveAuthentication no\nUsePAM no\nPermitRootLogin no\nAllowUsers {TEST_USER}\n\
             MaxStartups 100\nLogLevel INFO\n",
            port = self.port,
            ip = self.ip
        );
        if let Some(first) = &self.path_first {
            // sshd applies SetEnv after its own PATH, so sessions see this one.
            text.push_str(&format!(
                "SetEnv PATH={first}:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin\n"
            ));
        }
        let path = self.dir.path().join("sshd_config");
        std::fs::write(&path, text).expect("sshd_config");
        path
    }

    fn launch(&mut self) {
        for _ in 0..5 {
            self.port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("port");
            let config = self.config();
            let mut child = Command::new(SSHD)
                .args(["-D", "-e", "-f"])
                .arg(&config)
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(self.dir.path().join("sshd.log")).expect("log"))
                .spawn()
                .expect("start sshd");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                    self.child = Some(child);
                    return;
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let log = std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default();
        panic!("sshd did not start: {log}");
    }

    fn stop(&mut self) {
        // A frozen host's sessions would otherwise stay stopped for good.
        self.thaw();
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Restarts on the same port with a new host key, as after a reinstall
    /// (or a man in the middle).
    pub fn replace_host_key(&mut self) {
        self.stop();
        keygen(&self.dir.path().join("host_key"), "host-2");
        self.spawn_sshd();
    }

    /// Authorises one more client key, encrypted with `passphrase`; returns its private half.
    pub fn add_client_key(&self, passphrase: &str) -> String {
        let path = self
            .dir
            .path()
            .join(format!("extra_key_{}", uuid::Uuid::new_v4().simple()));
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", passphrase, "-C", "extra", "-f"])
            .arg(&path));
        let public = std::fs::read_to_string(path.with_extension("pub")).expect("public key");
        let authorized = self.dir.path().join("authorized_keys");
        let mut keys = std::fs::read_to_string(&authorized).expect("authorized_keys");
        keys.push_str(&public);
        std::fs::write(&authorized, keys).expect("authorized_keys");
        std::fs::read_to_string(&path).expect("private key")
    }

    /// What sshd logged so far: connections and every password or key
    /// login, accepted or failed (tests read who tried what).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// The sshd that listens for this host (its sessions are its descendants).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Cuts every open session at once (SIGKILL to each session process):
    /// clients see their connection close mid-stream. New logins still work.
    pub fn drop_sessions(&self) {
        let Some(pid) = self.pid() else { return };
        signal(&descendants(pid), "KILL");
    }

    /// Freezes the host (SIGSTOP to sshd and every session): open sessions
    /// stall, new connections are accepted by the kernel and then hang.
    pub fn freeze(&self) {
        let Some(pid) = self.pid() else { return };
        let mut all = vec![pid];
        all.extend(descendants(pid));
        signal(&all, "STOP");
    }

    /// Undoes [`SshHost::freeze`].
    pub fn thaw(&self) {
        let Some(pid) = self.pid() else { return };
        let mut all = vec![pid];
        all.extend(descendants(pid));
        signal(&all, "CONT");
    }

    /// A scratch directory the test account can write to.
    pub fn scratch(&self) -> String {
        use std::os::unix::fs::PermissionsExt;
        // The temp dir is root's and private; the test account must be able to enter it.
        let _ = std::fs::set_permissions(self.dir.path(), std::fs::Permissions::from_mode(0o755));
        let path = self.dir.path().join("scratch");
        let _ = std::fs::create_dir_all(&path);
        run(Command::new("chown").arg(TEST_USER).arg(&path));
        path.display().to_string()
    }
}

/// Every process below `root`, read from /proc.
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The parent is the second field after the command name, which may hold spaces.
            let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(parents.iter().filter(|(_, p)| *p == parent).map(|(c, _)| *c));
        i += 1;
    }
    found.remove(0);
    found
}

fn signal(pids: &[u32], name: &str) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status();
}

impl Drop for SshHost {
    fn drop(&mut self) {
        self.stop();
        if let Some(ns) = self.netns.take() {
            // Deleting the namespace deletes its veth end, and with it the peer.
            let _ = Command::new("ip").args(["netns", "del", &ns]).status();
        }
        if let Some(claim) = self.claim.take() {
            let _ = std::fs::remove_file(claim);
        }
    }
}
