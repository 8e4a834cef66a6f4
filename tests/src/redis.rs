//! A throwaway `redis-server` on a free loopback port, stopped on drop: one
//! that keeps nothing on disk, or one with an append-only file in a directory
//! of the test's, which can be restarted or wiped on the same port.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running redis-server.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
    /// Arguments after `--port N`, to start it again the same way.
    args: Vec<String>,
    /// Where the append-only file lives, for a persistent server.
    dir: Option<PathBuf>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn pong(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(stream.read(&mut buf), Ok(n) if buf[..n].starts_with(b"+PONG"))
}

fn installed() -> bool {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok();
    if !found {
        crate::skip("redis-server");
    }
    found
}

/// Starts redis-server on `port` and waits for PONG; `None` if it exited
/// (the port was taken meanwhile).
fn spawn_on(port: u16, args: &[String]) -> Option<Child> {
    let mut child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start redis-server");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if pong(port) {
            return Some(child);
        }
        if let Ok(Some(_)) = child.try_wait() {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

impl RedisServer {
    /// Starts one that keeps nothing on disk, or returns `None` (after
    /// `skip`) when redis-server is not installed.
    pub fn start() -> Option<Self> {
        let args = ["--save", "", "--appendonly", "no"].map(String::from).to_vec();
        Self::start_with(args, None)
    }

    /// Starts one as production runs it (`--appendonly yes`), keeping its
    /// files in `dir`; `None` (after `skip`) when redis-server is not installed.
    pub fn start_persistent(dir: &Path) -> Option<Self> {
        let args = vec![
            "--appendonly".into(),
            "yes".into(),
            "--dir".into(),
            dir.display().to_string(),
        ];
        Self::start_with(args, Some(dir.to_owned()))
    }

    fn start_with(args: Vec<String>, dir: Option<PathBuf>) -> Option<Self> {
        if !installed() {
            return None;
        }
        for _ in 0..5 {
            let port = free_port();
            if let Some(child) = spawn_on(port, &args) {
                return Some(Self { child, port, args, dir });
            }
        }
        panic!("redis-server did not start");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops it as an orchestrator does (SIGTERM: the append-only file is
    /// flushed) and starts it again on the same port with the same files.
    pub fn restart(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        self.start_again();
    }

    /// `kill -9`, its directory emptied, and an empty server started on the same port.
    pub fn kill_and_wipe(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = self.dir.as_ref().expect("only a persistent server has files to wipe");
        for entry in std::fs::read_dir(dir).expect("redis dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path).expect("remove redis files");
            } else {
                std::fs::remove_file(&path).expect("remove redis file");
            }
        }
        self.start_again();
    }

    fn start_again(&mut self) {
        // The port was just freed; only a race with another process could take it.
        self.child = spawn_on(self.port, &self.args).expect("redis-server restarts on its port");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
