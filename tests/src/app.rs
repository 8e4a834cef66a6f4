//! `TestApp`: one running `taichu serve` and a helper per endpoint family.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::postgres::TempDatabase;
use crate::redis::RedisServer;

/// JWT secret every test server is started with, so tests can craft tokens.
pub const JWT_SECRET: &str = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
/// Password of the default admin in test servers.
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
/// Master key every test server gets, so a test can seal a value exactly as
/// the server does (to plant hostile rows, as an attacker with database
/// access would).
pub const SECRET_KEY: &str = "5ec2e7000000000000000000000000000000000000000000000000000000a11c";

/// The `taichu` program built for these tests: `target/<profile>/taichu-e2e`,
/// beside the `deps/` folder the test executable runs from (or beside the
/// running program, for the soak).
pub fn taichu_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let parent = exe.parent().expect("executable's directory");
    let profile_dir = if parent.ends_with("deps") {
        parent.parent().expect("target/<profile>")
    } else {
        parent
    };
    let bin = profile_dir.join("taichu-e2e");
    assert!(
        bin.exists(),
        "{} is missing; build it with `cargo build -p taichu-tests`",
        bin.display()
    );
    bin
}

/// A running server. Killed, and its database dropped, on drop.
#[derive(Debug)]
pub struct TestApp {
    command: String,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub client: reqwest::Client,
    pub data_dir: tempfile::TempDir,
    child: Child,
    /// Environment the server got, reused for worker processes.
    env: Vec<(String, String)>,
    _database: Option<TempDatabase>,
    _redis: Option<RedisServer>,
}

/// Starts a server with the default test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts `taichu serve` with extra environment variables (empty value: unset).
pub async fn spawn_app_with(env: &[(&str, &str)]) -> TestApp {
    spawn("serve", env)
}

/// The environment every test process starts from.
fn base_env(data_dir: &Path) -> Vec<(String, String)> {
    vec![
        ("TAICHU_DATA_DIR".into(), data_dir.display().to_string()),
        ("TAICHU_JWT_SECRET".into(), JWT_SECRET.into()),
        ("TAICHU_SECRET_KEY".into(), SECRET_KEY.into()),
        ("TAICHU_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
        ("RUST_LOG".into(), "warn".into()),
        // Tests log in and register far more often than people; the
        // throttling tests set their own limits.
        ("TAICHU_LOGIN_ATTEMPTS_PER_MINUTE".into(), "100000".into()),
        ("TAICHU_REGISTRATIONS_PER_HOUR".into(), "100000".into()),
    ]
}

/// `base` with `env` applied: later entries win, an empty value unsets.
fn with_env(mut base: Vec<(String, String)>, env: &[(&str, &str)]) -> Vec<(String, String)> {
    for (k, v) in env {
        base.retain(|(key, _)| key != k);
        if !v.is_empty() {
            base.push(((*k).to_owned(), (*v).to_owned()));
        }
    }
    base
}

/// Starts `taichu <command>` (serve or api) on a free loopback port.
pub fn spawn(command: &str, env: &[(&str, &str)]) -> TestApp {
    spawn_listening(command, "127.0.0.1:0", env)
}

/// Starts `taichu <command>` on `listen` and waits until it listens.
/// With `TAICHU_TEST_DATABASE=postgres` it gets a fresh PostgreSQL database
/// and, since the queue then cannot live in SQLite, a throwaway redis-server.
pub fn spawn_listening(command: &str, listen: &str, env: &[(&str, &str)]) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut all = base_env(data_dir.path());
    let (database, redis) = match std::env::var("TAICHU_TEST_DATABASE").as_deref() {
        Ok("postgres") => {
            let db = TempDatabase::create().expect("PostgreSQL test database");
            let redis = RedisServer::start().expect("redis-server for the PostgreSQL run");
            all.push(("DATABASE_URL".into(), db.url()));
            all.push(("QUEUE_URL".into(), redis.url()));
            (Some(db), Some(redis))
        }
        _ => (None, None),
    };
    let all = with_env(all, env);
    let log = data_dir.path().join("taichu.log");
    let args = [command, "--listen", listen];
    let (child, addr) = start_process(&args, &all, &log, "taichu listening on socket://");
    let addr = addr.replace("0.0.0.0", "127.0.0.1");
    TestApp {
        command: command.to_owned(),
        base: format!("http://{addr}"),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
        data_dir,
        child,
        env: all,
        _database: database,
        _redis: redis,
    }
}

/// Runs `taichu <args>` on `data_dir` (SQLite) with the test environment
/// plus `env`, for a process expected to exit (a refused start-up); returns
/// its exit code, or `None` if it was still running after `within`, and its log.
pub fn run_to_exit(data_dir: &Path, args: &[&str], env: &[(&str, &str)], within: Duration) -> (Option<i32>, String) {
    let all = with_env(base_env(data_dir), env);
    let log = data_dir.join("exit.log");
    let mut child = Command::new(taichu_bin())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(all.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("start taichu");
    let deadline = std::time::Instant::now() + within;
    let code = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status.code();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (code, std::fs::read_to_string(&log).unwrap_or_default())
}

/// Starts the taichu program with exactly `env`, logging to `log`, and waits
/// for a stdout line starting with `ready`; returns the rest of that line.
pub fn start_process(args: &[&str], env: &[(String, String)], log: &Path, ready: &str) -> (Child, String) {
    let mut cmd = Command::new(taichu_bin());
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).expect("log file"));
    let mut child = cmd.spawn().expect("start taichu");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    let ready = ready.to_owned();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix(&ready) {
                let _ = tx.send(rest.to_owned());
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(rest) => (child, rest),
        Err(_) => {
            let _ = child.kill();
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("taichu {args:?} was not ready within 60 s; log:\n{log}");
        }
    }
}

/// A `taichu worker` process sharing a [`TestApp`]'s database and queue.
#[derive(Debug)]
pub struct WorkerProcess {
    child: Child,
    pub log: PathBuf,
}

impl WorkerProcess {
    /// SIGTERM, as an orchestrator stops a pod; waits up to `within` for the
    /// process to exit and says whether it did.
    pub fn terminate(&mut self, within: std::time::Duration) -> bool {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        false
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still alive (it has not exited or crashed).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Its log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `kill -9`: no shutdown, no cleanup, leases left behind.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill_hard();
    }
}

/// A response: status and parsed JSON body (Null when not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// `data` of a success envelope; panics with the body otherwise.
    pub fn data(&self) -> &Value {
        assert_eq!(
            self.body["code"], 0,
            "expected success, got {} {}",
            self.status, self.body
        );
        &self.body["data"]
    }

    /// Asserts an error envelope with `status` and returns its message.
    pub fn error(&self, status: u16) -> String {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(
            self.body["code"], status,
            "envelope code must equal HTTP status: {}",
            self.body
        );
        assert!(self.body["data"].is_null(), "error data must be null: {}", self.body);
        self.body["message"].as_str().expect("message").to_owned()
    }
}

impl TestApp {
    /// Starts a `taichu worker` on this server's database and queue, with extra env.
    pub fn spawn_worker(&self, name: &str, env: &[(&str, &str)]) -> WorkerProcess {
        let mut all = self.env.clone();
        for (k, v) in env {
            all.retain(|(key, _)| key != k);
            all.push(((*k).to_owned(), (*v).to_owned()));
        }
        let log = self.data_dir.path().join(format!("{name}.log"));
        let (child, _) = start_process(&["worker"], &all, &log, "taichu worker ready");
        WorkerProcess { child, log }
    }

    /// The server process id (to read its memory in /proc).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server (SIGKILL) and starts it again on the same data dir,
    /// database and queue, with `env` applied; the address may change.
    pub fn restart(&mut self, env: &[(&str, &str)]) {
        self.kill_hard();
        self.start_again(env);
    }

    /// `kill -9`: requests in flight are cut off, nothing is cleaned up.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the (stopped) server again on the same data dir, database and
    /// queue, with `env` applied; the address may change.
    pub fn start_again(&mut self, env: &[(&str, &str)]) {
        self.env = with_env(std::mem::take(&mut self.env), env);
        let log = self.data_dir.path().join("taichu.log");
        let args = [self.command.as_str(), "--listen", "127.0.0.1:0"];
        let (child, addr) = start_process(&args, &self.env, &log, "taichu listening on socket://");
        self.child = child;
        self.base = format!("http://{addr}");
    }

    /// Whether the server process is still alive.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The environment variable `key` this server was started with.
    pub fn env_var(&self, key: &str) -> Option<&str> {
        self.env.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.base, path)
    }

    /// Sends a request under `/api/v1` with an optional bearer token and JSON body.
    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request sent");
        Self::reply(resp).await
    }

    pub async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, body, headers }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    /// `POST /auth/login`.
    pub async fn login(&self, username: &str, password: &str) -> Reply {
        self.request(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"username": username, "password": password})),
        )
        .await
    }

    /// Logs in and returns `(access token, refresh token)`.
    pub async fn tokens(&self, username: &str, password: &str) -> (String, String) {
        let reply = self.login(username, password).await;
        let data = reply.data();
        (
            data["token"].as_str().expect("token").to_owned(),
            data["refresh_token"].as_str().expect("refresh").to_owned(),
        )
    }

    pub async fn admin_token(&self) -> String {
        self.tokens("admin", ADMIN_PASSWORD).await.0
    }

    /// Registers `username` (password `password-<username>`, the role new
    /// accounts get: `viewer` by default), returns its id.
    pub async fn register(&self, username: &str) -> String {
        let body = json!({"username": username, "password": format!("password-{username}"), "email": format!("{username}@example.com")});
        let reply = self.request(Method::POST, "/auth/register", None, Some(body)).await;
        reply.data()["id"].as_str().expect("id").to_owned()
    }

    /// Registers `username`, gives it `role` (as an admin does) and logs it
    /// in; returns `(id, token)`.
    pub async fn account(&self, username: &str, role: &str) -> (String, String) {
        let id = self.register(username).await;
        let admin = self.admin_token().await;
        let set = self.put(&format!("/users/{id}"), &admin, json!({"role": role})).await;
        assert_eq!(set.data()["role"], role);
        let (token, _) = self.tokens(username, &format!("password-{username}")).await;
        (id, token)
    }

    /// An account with role `user` (the seed's role); returns `(id, token)`.
    pub async fn user(&self, username: &str) -> (String, String) {
        self.account(username, "user").await
    }

    /// An account with role `viewer`; returns `(id, token)`.
    pub async fn viewer(&self, username: &str) -> (String, String) {
        self.account(username, "viewer").await
    }

    /// Signs arbitrary claims with the server's secret (for expired tokens).
    pub fn craft_token(&self, claims: &Value) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
        )
        .expect("sign")
    }

    /// Polls `GET path` until `done` holds for its `data`, or panics after `within`.
    pub async fn poll(&self, path: &str, token: &str, within: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + within;
        loop {
            let data = self.get(path, token).await.data().clone();
            if done(&data) {
                return data;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "GET {path} not as awaited after {within:?}: {data}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The database this server uses (its SQLite file, or its PostgreSQL URL).
    pub fn database_url(&self) -> String {
        match self.env_var("DATABASE_URL") {
            Some(url) => url.to_owned(),
            None => format!("sqlite://{}?mode=rw", self.data_dir.path().join("taichu.db").display()),
        }
    }

    /// Everything the database stores: the SQLite files (main and WAL) as
    /// bytes, or a full `pg_dump`, for checks that a secret is not in plaintext.
    pub fn stored_bytes(&self) -> Vec<u8> {
        if let Some(url) = self.env_var("DATABASE_URL") {
            let out = Command::new("pg_dump").arg(url).output().expect("pg_dump");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            return out.stdout;
        }
        ["taichu.db", "taichu.db-wal"]
            .iter()
            .filter_map(|f| std::fs::read(self.data_dir.path().join(f)).ok())
            .flatten()
            .collect()
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("taichu.log")).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit code.
    pub fn terminate(&mut self, within: Duration) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
