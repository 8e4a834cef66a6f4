//! `taichu api` processes started by the benchmark: the code under test runs
//! as it does in production, in processes of its own.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `taichu api`, killed on drop.
pub struct Replica {
    child: Child,
    pub base: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What every replica shares: one database, queue, data directory and set of keys.
pub struct Shared<'a> {
    pub database_url: &'a str,
    pub queue_url: Option<&'a str>,
    pub dir: &'a Path,
    pub admin_password: &'a str,
}

impl Replica {
    /// Starts replica `index` on a free loopback port and waits until it listens.
    pub fn start(index: usize, shared: &Shared<'_>, keys: &(String, String)) -> anyhow::Result<Self> {
        let log = std::fs::File::create(shared.dir.join(format!("api-{index}.log")))?;
        let mut command = Command::new(std::env::current_exe()?);
        command
            .args(["api", "--listen", "127.0.0.1:0"])
            .env("DATABASE_URL", shared.database_url)
            .env("TAICHU_DATA_DIR", shared.dir)
            .env("TAICHU_SECRET_KEY", &keys.0)
            .env("TAICHU_JWT_SECRET", &keys.1)
            .env("TAICHU_ADMIN_PASSWORD", shared.admin_password)
            .env("TAICHU_ACCESS_TOKEN_TTL", "3600")
            // The benchmark logs in far more often than people do.
            .env("TAICHU_LOGIN_ATTEMPTS_PER_MINUTE", "10000000")
            .env("RUST_LOG", "warn")
            .env_remove("QUEUE_URL")
            .stdout(Stdio::piped())
            .stderr(log);
        if let Some(queue) = shared.queue_url {
            command.env("QUEUE_URL", queue);
        }
        let mut child = command.spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("taichu listening on socket://") {
                    let _ = tx.send(addr.to_owned());
                }
            }
        });
        let mut replica = Self {
            child,
            base: String::new(),
        };
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(addr) => {
                replica.base = format!("http://{addr}");
                Ok(replica)
            }
            Err(_) => anyhow::bail!(
                "api replica {index} did not start within 120 s; see {}",
                shared.dir.join(format!("api-{index}.log")).display()
            ),
        }
    }

    /// Resident memory in KiB, from /proc (Linux).
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}
