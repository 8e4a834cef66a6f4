//! A throwaway PostgreSQL server (not just a database) of the test's own, on
//! a free loopback port, which a test may stop and start again: `initdb` and
//! `postgres` from Debian's /usr/lib/postgresql/<version>/bin, run as the
//! `postgres` user (the server refuses root) on a data dir in a temp dir.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running (or stopped) PostgreSQL server. Shut down on drop.
#[derive(Debug)]
pub struct PgServer {
    bin: PathBuf,
    port: u16,
    data: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    _dir: tempfile::TempDir,
}

/// The newest installed server's bin directory.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let path = e.ok()?.path();
            let version = path.file_name()?.to_str()?.parse().ok()?;
            path.join("bin/postgres").exists().then(|| (version, path.join("bin")))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// `command` run as the `postgres` user, with its supplementary groups.
fn as_postgres(program: &Path) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=postgres", "--regid=postgres", "--init-groups", "--"])
        .arg(program);
    cmd
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn signal(child: &Child, name: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status();
}

impl PgServer {
    /// Makes a cluster with `initdb` and starts it, or returns `None` (after
    /// `skip`) when PostgreSQL's server binaries or the `postgres` user are missing.
    pub fn start() -> Option<Self> {
        let user = Command::new("id").arg("postgres").stdout(Stdio::null()).status();
        let (Some(bin), true) = (bin_dir(), user.is_ok_and(|s| s.success())) else {
            crate::skip("PostgreSQL server (initdb, postgres) and the postgres user");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let status = Command::new("chown")
            .args(["postgres:postgres", &dir.path().display().to_string()])
            .status()
            .expect("chown");
        assert!(status.success(), "chown of the data dir's parent failed");
        let data = dir.path().join("data");
        let log = dir.path().join("postgres.log");
        let out = as_postgres(&bin.join("initdb"))
            .args([
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .arg("-D")
            .arg(&data)
            .output()
            .expect("initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut server = Self {
            bin,
            port: 0,
            data,
            log,
            child: None,
            _dir: dir,
        };
        for _ in 0..5 {
            server.port = free_port();
            if server.spawn() {
                return Some(server);
            }
        }
        panic!("postgres did not start: {}", server.log());
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Fast shutdown (SIGINT: sessions are ended, in-flight transactions roll
    /// back) and waits until the server has exited.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal(&child, "INT");
            let _ = child.wait();
        }
    }

    /// Starts the stopped server again on the same port and data.
    pub fn start_again(&mut self) {
        assert!(self.spawn(), "postgres did not start again: {}", self.log());
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Starts the postmaster and waits until it accepts connections; false
    /// if it exited (the port was taken meanwhile).
    fn spawn(&mut self) -> bool {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let mut child = as_postgres(&self.bin.join("postgres"))
            .arg("-D")
            .arg(&self.data)
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="])
            .args(["-c", "fsync=off", "-c", "max_connections=200"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start postgres");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() && self.accepts() {
                self.child = Some(child);
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        signal(&child, "QUIT");
        let _ = child.wait();
        false
    }

    /// Whether the server answers a query (it listens before recovery ends).
    fn accepts(&self) -> bool {
        Command::new(self.bin.join("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres"])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // Immediate shutdown: nothing of it is worth keeping.
        if let Some(mut child) = self.child.take() {
            signal(&child, "QUIT");
            let _ = child.wait();
        }
    }
}
