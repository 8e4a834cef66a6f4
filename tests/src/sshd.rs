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
    pub port: u16,
    /// OpenSSH-format private key authorised for [`TEST_USER`].
    pub client_key: String,
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
            port: 0,
            client_key,
        };
        host.launch();
        Some(host)
    }

    fn config(&self) -> PathBuf {
        let d = self.dir.path().display();
        let text = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n\
             AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nPasswordAuthentication yes\n\
             KbdInteractiveAuthentication no\nUsePAM no\nPermitRootLogin no\nAllowUsers {TEST_USER}\n\
             MaxStartups 100\nLogLevel ERROR\n",
            port = self.port
        );
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
        let port = self.port;
        let config = self.config();
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("restart sshd");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "sshd did not come back");
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
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

impl Drop for SshHost {
    fn drop(&mut self) {
        self.stop();
    }
}
